using System.Text.Json.Serialization;

namespace HealthFlow.Pipeline.Ingestion;

/// <summary>The formats HealthFlow ingests; the name is also the route (<c>/api/x12</c>, <c>/api/fhir</c>, <c>/api/hl7v2</c>).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<PayloadFormat>))]
public enum PayloadFormat
{
    X12,
    Fhir,
    Hl7v2,
}

/// <summary>Where a receipt is in its life: received (durable), parsed, then published or rejected.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ReceiptStatus>))]
public enum ReceiptStatus
{
    Received,
    Parsed,
    Published,
    Rejected,
}

/// <summary>
/// The honest answer to a vendor: the payload with this SHA-256 is durable in the ledger under
/// <see cref="ReceiptId"/>, which is also the correlation id of everything that follows from it.
/// </summary>
public sealed record Receipt
{
    public required string ReceiptId { get; init; }
    public required string Vendor { get; init; }
    public required PayloadFormat Format { get; init; }
    /// <summary>Lower-case hex SHA-256 of the payload bytes as received.</summary>
    public required string Sha256 { get; init; }
    public required long Size { get; init; }
    public required DateTimeOffset ReceivedAt { get; init; }
    public required ReceiptStatus Status { get; init; }
    public IReadOnlyList<string> Reasons { get; init; } = [];
    /// <summary>Canonical events published from this payload.</summary>
    public int EventCount { get; init; }
    /// <summary>W3C trace id of the request that delivered the payload.</summary>
    public string? TraceId { get; init; }
    /// <summary>The standard acknowledgement returned to the sender (999/TA1 text, HL7 ACK, OperationOutcome JSON).</summary>
    public Acknowledgement? Acknowledgement { get; init; }
}

/// <summary>A standard acknowledgement document and its media type.</summary>
public sealed record Acknowledgement(string ContentType, string Body);
