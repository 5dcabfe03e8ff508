using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization;
using HealthFlow.Finance.Events;
using HealthFlow.Pipeline.Bus;

namespace HealthFlow.Pipeline.Ingestion;

/// <summary>
/// Turns one durable raw payload into canonical events, or rejects it with reasons and the format's standard
/// acknowledgement. One processor per format; it must not throw for bad input (that is a rejection).
/// </summary>
public interface IPayloadProcessor
{
    PayloadFormat Format { get; }

    ProcessingResult Process(ReadOnlyMemory<byte> payload, ProcessingContext context);
}

/// <summary>What a processor knows about the payload it is given.</summary>
/// <param name="ReceiptId">The receipt, used as correlation id of every event.</param>
/// <param name="Vendor">The authenticated sender.</param>
/// <param name="Tokenize">Keyed tokenizer for patient identifiers; clear identifiers never leave the reader.</param>
public sealed record ProcessingContext(string ReceiptId, string Vendor, Func<string, string> Tokenize);

/// <summary>The outcome of processing: accepted with events, or rejected with reasons; both may carry an acknowledgement.</summary>
public sealed record ProcessingResult(bool Accepted, IReadOnlyList<WrittenEvent> Events, IReadOnlyList<string> Reasons, Acknowledgement? Acknowledgement)
{
    public static ProcessingResult Accept(IReadOnlyList<CanonicalEvent> events, Acknowledgement? acknowledgement = null) =>
        Accept([.. events.Select(new EventWriter().Write)], acknowledgement);

    public static ProcessingResult Accept(IReadOnlyList<WrittenEvent> events, Acknowledgement? acknowledgement = null) =>
        new(true, events, [], acknowledgement);

    public static ProcessingResult Reject(IReadOnlyList<string> reasons, Acknowledgement? acknowledgement = null) =>
        new(false, [], reasons, acknowledgement);
}

/// <summary>
/// A canonical event as the bus and the ledger keep it: its JSON (<see cref="EventJson"/>) written once, when it is
/// read (<see cref="EventWriter"/>). A large payload's events then wait for their commit as bytes, which the
/// collector neither traces nor keeps alive an object graph for.
/// </summary>
/// <param name="Topic">The topic it is published on.</param>
/// <param name="Message">The message published, the event's JSON as its body.</param>
public sealed record WrittenEvent(string Topic, BusMessage Message);

/// <summary>
/// Writes one payload's events, their JSON packed one after another into blocks that double from 4 KB up to 1 MB.
/// The blocks of a large payload are on the large-object heap: its tens of megabytes of JSON are then neither
/// copied from generation to generation as one array per event would be, nor traced.
/// </summary>
public sealed class EventWriter
{
    private const int FirstBlockBytes = 4 << 10;
    private const int LastBlockBytes = 1 << 20;
    // The writer options EventJson.Serialize (JsonSerializer.SerializeToUtf8Bytes) uses: the same bytes.
    internal static readonly JsonWriterOptions WriterOptions = new() { Encoder = EventJson.Options.Encoder, Indented = EventJson.Options.WriteIndented, SkipValidation = true };
    private readonly ArrayBufferWriter<byte> _json = new(FirstBlockBytes);
    private byte[] _block = [];
    private int _used;

    public WrittenEvent Write(CanonicalEvent @event)
    {
        var body = Write(@event, static (json, e) =>
        {
            using var writer = new Utf8JsonWriter(json, WriterOptions);
            JsonSerializer.Serialize(writer, e, WrittenEventJson.Default.CanonicalEvent);
        });
        return new(@event.Topic, new BusMessage(@event.IdempotencyKey, @event.EventType, body, @event.SessionKey, @event.CorrelationId, @event.CausationId));
    }

    /// <summary>
    /// An event's JSON written by <paramref name="write"/> from <paramref name="source"/> without an event object, packed as
    /// the others are; it must write the bytes <see cref="EventJson.Serialize"/> would (see RemittanceJson).
    /// </summary>
    public ReadOnlyMemory<byte> Write<TSource>(TSource source, Action<ArrayBufferWriter<byte>, TSource> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        _json.ResetWrittenCount();
        write(_json, source);
        var json = _json.WrittenSpan;
        if (json.Length > _block.Length - _used)
        {
            // Not cleared first: every byte handed out is written just below (a large 835's JSON is about twice its size).
            _block = GC.AllocateUninitializedArray<byte>(Math.Max(json.Length, Math.Clamp(2 * _block.Length, FirstBlockBytes, LastBlockBytes)));
            _used = 0;
        }
        json.CopyTo(_block.AsSpan(_used));
        var body = _block.AsMemory(_used, json.Length);
        _used += json.Length;
        return body;
    }
}

/// <summary>
/// <see cref="EventJson"/>'s options with serialisers generated at build time instead of reflection-built converters:
/// the same JSON (EventWriterTests), about a third of the cost of writing a remittance.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, WriteIndented = false)]
[JsonSerializable(typeof(CanonicalEvent))]
internal sealed partial class WrittenEventJson : JsonSerializerContext;
