namespace HealthFlow.Hl7;

/// <summary>Reader settings. Defaults suit ADT and DFT from typical EHR interfaces.</summary>
public sealed record Hl7ReadOptions
{
    /// <summary>Default settings.</summary>
    public static Hl7ReadOptions Default { get; } = new();

    /// <summary>Largest message accepted, in bytes or characters; larger input is rejected without being decoded.</summary>
    public int MaxMessageLength { get; init; } = Hl7Parser.DefaultMaxMessageLength;

    /// <summary>Offset for timestamps sent without one (most senders send facility local time); UTC unless the caller knows better.</summary>
    public TimeSpan AssumedUtcOffset { get; init; } = TimeSpan.Zero;

    /// <summary>
    /// The sender's time zone (e.g. <c>TimeZoneInfo.FindSystemTimeZoneById("America/Chicago")</c>) for timestamps sent
    /// without an offset; daylight saving is applied per timestamp. Takes precedence over <see cref="AssumedUtcOffset"/>.
    /// </summary>
    public TimeZoneInfo? SenderTimeZone { get; init; }

    /// <summary>
    /// Where a vendor puts the revenue code when FT1-7 is a chargemaster code: a field of the Z-segment directly
    /// after each FT1, e.g. <c>"ZFT-3"</c> or <c>"ZFT-3.1"</c>. Null: revenue codes come only from FT1-7 with a NUBC coding system.
    /// </summary>
    public string? RevenueCodeZField { get; init; }
}

/// <summary>
/// Everything the reader concluded about one message: the header (for the ACK), the ACK code, the errors, the typed
/// message and its facts.
/// </summary>
/// <remarks>
/// Invariants: <see cref="Facts"/> is empty unless <see cref="AckCode"/> is AA; <see cref="Message"/> is set exactly
/// when AA; <see cref="Errors"/> holds at least one error of severity E when not AA; <see cref="Header"/> is null
/// only when MSH itself was unreadable (then the ACK is a minimal AR).
/// </remarks>
public sealed class Hl7ReadResult
{
    internal Hl7ReadResult(Hl7MessageHeader? header, Hl7AckCode ackCode, IReadOnlyList<Hl7Error> errors, Hl7TypedMessage? message, IReadOnlyList<Hl7Fact> facts, Hl7Message? parsed)
    {
        Header = header;
        AckCode = ackCode;
        Errors = errors;
        Message = message;
        Facts = facts;
        Parsed = parsed;
    }

    /// <summary>The MSH fields, when MSH could be read.</summary>
    public Hl7MessageHeader? Header { get; }

    /// <summary>AA, AE or AR.</summary>
    public Hl7AckCode AckCode { get; }

    /// <summary>Errors and warnings, each becoming an ERR segment.</summary>
    public IReadOnlyList<Hl7Error> Errors { get; }

    /// <summary>The typed message when accepted.</summary>
    public Hl7TypedMessage? Message { get; }

    /// <summary>Canonical facts to emit (none for A02, A06, A07, A08 and for PY/AJ lines).</summary>
    public IReadOnlyList<Hl7Fact> Facts { get; }

    /// <summary>The structural message (segments, Z-segments) when the text parsed.</summary>
    public Hl7Message? Parsed { get; }

    /// <summary>True when the message is accepted (AA).</summary>
    public bool IsAccepted => AckCode == Hl7AckCode.ApplicationAccept;

    /// <summary><c>MSH-4|MSH-10</c> when the header was read.</summary>
    public string? IdempotencyKey => Header?.IdempotencyKey;
}
