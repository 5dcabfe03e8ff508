using System.Buffers.Binary;
using System.Text.Json;
using System.Text.Json.Serialization;
using HealthFlow.Ledger;

namespace HealthFlow.Pipeline.Bus;

/// <summary>
/// How the embedded bus lays itself out in the ledger.
/// <list type="bullet">
/// <item><c>topic/{T}</c>: one record per published message. Type = message type, key = message id,
/// correlation/causation from the message, payload = <see cref="BusEnvelope"/> (a small JSON header, then the body bytes as published).</item>
/// <item><c>bus/{T}/{S}</c>: the subscription's bookkeeping: <c>MessageCompleted</c> and <c>DeliveryFailed</c>
/// (abandon or lock expiry; counts toward the max delivery count). Key = message id; payload = <see cref="Settlement"/>.</item>
/// <item><c>bus/{T}/{S}/$deadletter</c>: <c>MessageDeadLettered</c> records with reason and description; the body
/// stays in the topic record (claim-check), the settlement names its sequence number.</item>
/// </list>
/// Bookkeeping records carry the message's correlation id, so reading a correlation shows delivery history too.
/// </summary>
/// <summary>
/// The ledger record of a published message, as the embedded bus writes it (stream <c>topic/{T}</c>, type, key = message
/// id, the envelope as payload). A bus that lives outside the ledger (Service Bus, in the Functions app) appends it too,
/// so the read models rebuild from the ledger and a claim-check can name a message by its record.
/// </summary>
public static class TopicRecords
{
    public static LedgerEntry For(string topic, BusMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return new LedgerEntry(BusRecords.TopicStream(topic), message.Type, message.MessageId, message.CorrelationId, message.CausationId, BusEnvelope.Encode(message));
    }

    /// <summary>The body of the message a topic record holds: what a claim-check that names the record stands for.</summary>
    public static ReadOnlyMemory<byte> BodyOf(LedgerRecord record) => BusEnvelope.Body(record);
}

internal static class BusRecords
{
    public const string MessageCompleted = "MessageCompleted";
    public const string DeliveryFailed = "DeliveryFailed";
    public const string MessageDeadLettered = "MessageDeadLettered";

    public static string TopicStream(string topic) => $"topic/{topic}";

    public static string SubscriptionStream(string topic, string subscription) => $"bus/{topic}/{subscription}";

    public static string DeadLetterStream(string topic, string subscription) => $"bus/{topic}/{subscription}/$deadletter";

    public static LedgerEntry Settle(string stream, string type, MessageRef message, Settlement settlement) =>
        new(stream, type, message.MessageId, message.CorrelationId, message.MessageId,
            JsonSerializer.SerializeToUtf8Bytes(settlement, BusJson.Default.Settlement));

    public static Settlement ReadSettlement(LedgerRecord record) =>
        JsonSerializer.Deserialize(record.Payload.Span, BusJson.Default.Settlement)
        ?? throw new InvalidDataException($"Record {record.Seq} ({record.Stream}) has an empty settlement.");
}

/// <summary>Identity of a published message, enough to write its bookkeeping records.</summary>
internal readonly record struct MessageRef(long Seq, string MessageId, string CorrelationId);

/// <summary>Payload of a bookkeeping record.</summary>
/// <param name="Seq">Sequence number of the message's topic record.</param>
/// <param name="DeliveryCount">Delivery count of the delivery this settles (0 when the message was never delivered).</param>
/// <param name="Reason">Failure or dead-letter reason; null on completion.</param>
/// <param name="Description">Dead-letter description; null when none.</param>
internal sealed record Settlement(long Seq, int DeliveryCount, string? Reason = null, string? Description = null);

/// <summary>Header of a topic record's payload.</summary>
internal sealed record EnvelopeHeader(string? SessionKey, DateTimeOffset? ScheduledFor);

/// <summary>
/// A topic record's payload: byte 0 is the format version (1), bytes 1–4 the big-endian length of a UTF-8 JSON
/// <see cref="EnvelopeHeader"/>, then the body exactly as published, so tools can slice the body without decoding
/// it and the bytes the ledger hashes are the bytes the publisher gave.
/// </summary>
internal static class BusEnvelope
{
    private const byte Version = 1;
    private const int PrefixLength = 5;

    public static byte[] Encode(BusMessage message)
    {
        var header = JsonSerializer.SerializeToUtf8Bytes(
            new EnvelopeHeader(message.SessionKey.Length == 0 ? null : message.SessionKey, message.ScheduledFor), BusJson.Default.EnvelopeHeader);
        var payload = new byte[checked(PrefixLength + header.Length + message.Body.Length)];
        payload[0] = Version;
        BinaryPrimitives.WriteInt32BigEndian(payload.AsSpan(1), header.Length);
        header.CopyTo(payload.AsSpan(PrefixLength));
        message.Body.Span.CopyTo(payload.AsSpan(PrefixLength + header.Length));
        return payload;
    }

    /// <summary>Splits a topic record's payload into header and body (the body shares the record's memory).</summary>
    public static (EnvelopeHeader Header, ReadOnlyMemory<byte> Body) Decode(LedgerRecord record)
    {
        var headerLength = HeaderLength(record);
        var header = JsonSerializer.Deserialize(record.Payload.Span.Slice(PrefixLength, headerLength), BusJson.Default.EnvelopeHeader)
            ?? throw new InvalidDataException($"Record {record.Seq} in {record.Stream} has an empty bus envelope header.");
        return (header, record.Payload[(PrefixLength + headerLength)..]);
    }

    /// <summary>The body alone, without parsing the header (delivery already knows the header's contents).</summary>
    public static ReadOnlyMemory<byte> Body(LedgerRecord record) => record.Payload[(PrefixLength + HeaderLength(record))..];

    /// <summary>The body alone, as a span over the record's payload (a scan's view of it, during its call).</summary>
    public static ReadOnlySpan<byte> Body(LedgerRecordView record) => record.Payload[(PrefixLength + HeaderLength(record))..];

    private static int HeaderLength(LedgerRecordView record)
    {
        var payload = record.Payload;
        if (payload.Length < PrefixLength || payload[0] != Version)
            throw new InvalidDataException($"Record {record.Seq} in {record.Stream} is not a version-{Version} bus envelope.");
        var headerLength = BinaryPrimitives.ReadInt32BigEndian(payload[1..]);
        return headerLength >= 0 && headerLength <= payload.Length - PrefixLength
            ? headerLength
            : throw new InvalidDataException($"Record {record.Seq} in {record.Stream} has a bus envelope header length out of range.");
    }
}

/// <summary>Checkpoint blob of a subscription; see <see cref="EmbeddedBusOptions.CheckpointStore"/>.</summary>
/// <param name="Position">Every message of the topic with a lower sequence number is settled on the subscription.</param>
/// <param name="HashBefore">Hex hash of ledger record <c>Position - 1</c>: a repaired (rewritten) ledger invalidates the checkpoint.</param>
internal sealed record BusCheckpoint(long Position, string HashBefore);

[JsonSerializable(typeof(Settlement))]
[JsonSerializable(typeof(EnvelopeHeader))]
[JsonSerializable(typeof(BusCheckpoint))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
internal sealed partial class BusJson : JsonSerializerContext;
