using System.Text.Json;
using System.Text.Json.Serialization;

namespace HealthFlow.Ledger;

/// <summary>The ledger's own records, in stream <c>$ledger</c>: they are part of the hash chain like any other.</summary>
internal static class SystemRecords
{
    public const string Stream = "$ledger";
    public const string SegmentOpened = "SegmentOpened";
    public const string SegmentSealed = "SegmentSealed";

    public static LedgerEntry Opened(SegmentOpening opening) =>
        new(Stream, SegmentOpened, $"segment-{opening.Segment}", "", "", JsonSerializer.SerializeToUtf8Bytes(opening, SystemRecordsJson.Default.SegmentOpening));

    public static LedgerEntry Sealed(int segment) => new(Stream, SegmentSealed, $"segment-{segment}", "", "", ReadOnlyMemory<byte>.Empty);

    public static SegmentOpening? ReadOpening(LedgerRecord record) =>
        record.Stream == Stream && record.Type == SegmentOpened
            ? JsonSerializer.Deserialize(record.Payload.Span, SystemRecordsJson.Default.SegmentOpening)
            : null;
}

/// <summary>
/// First record of every segment: where the previous segment's valid records end, how many bytes after that
/// point were cut off (a torn write, or damage an operator accepted with <see cref="Repair"/>), so a reader
/// knows exactly which bytes of the previous segment count.
/// </summary>
internal sealed record SegmentOpening(
    int Segment,
    int PreviousSegment,
    long PreviousSegmentLength,
    long CutBytes,
    string? Repair);

[JsonSerializable(typeof(SegmentOpening))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
internal sealed partial class SystemRecordsJson : JsonSerializerContext;
