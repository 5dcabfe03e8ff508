namespace HealthFlow.X12;

/// <summary>Which standard answer an <see cref="X12Error"/> belongs to.</summary>
public enum X12ErrorLevel
{
    /// <summary>The input is not X12 at all (no ISA, unusable delimiters): answered with a problem report, not a 999.</summary>
    Input,

    /// <summary>ISA/IEA problem: a TA1 note code (TA105).</summary>
    Interchange,

    /// <summary>GS/GE problem: an AK905 functional group syntax error code.</summary>
    FunctionalGroup,

    /// <summary>ST/SE problem: an IK502 transaction set syntax error code.</summary>
    TransactionSet,

    /// <summary>A segment problem: an IK304 segment syntax error code.</summary>
    Segment,

    /// <summary>A data element problem: an IK403 element syntax error code.</summary>
    Element,
}

/// <summary>
/// One thing wrong with an input, as a value: the standard code it maps to and where it is.
/// </summary>
/// <remarks>
/// <see cref="Code"/> is the bare X12 code of <see cref="Level"/> (TA105 "024", IK304 "8", IK403 "6", ...);
/// <see cref="QualifiedCode"/> prefixes it with the acknowledgement element so codes of different levels
/// never collide in reports. Messages never carry patient data: a bad value is echoed only for amounts,
/// dates, counts and codes (<see cref="BadValue"/>).
/// </remarks>
public sealed record X12Error
{
    public required X12ErrorLevel Level { get; init; }

    /// <summary>The X12 code for the level (e.g. "4" for IK502 segment count mismatch).</summary>
    public required string Code { get; init; }

    /// <summary>Segment id concerned, when there is one.</summary>
    public string? SegmentId { get; init; }

    /// <summary>1-based segment number within the interchange (ISA = 1); 0 when the error has no segment.</summary>
    public int Position { get; init; }

    /// <summary>1-based segment number within the transaction set (ST = 1), for IK302; 0 outside a set.</summary>
    public int PositionInTransactionSet { get; init; }

    /// <summary>Element position (IK401), 0 when not an element error.</summary>
    public int ElementPosition { get; init; }

    /// <summary>Component position within a composite (IK401-2), 0 when none.</summary>
    public int ComponentPosition { get; init; }

    /// <summary>X12 data element reference number (IK402), when known.</summary>
    public string? ElementReference { get; init; }

    /// <summary>Loop identifier (IK303), when known.</summary>
    public string? LoopId { get; init; }

    /// <summary>Copy of the bad element (IK404); only set for non-PHI elements.</summary>
    public string? BadValue { get; init; }

    public required string Message { get; init; }

    /// <summary>Code with its acknowledgement element, e.g. "TA105-024", "IK502-4", "IK403-6", or the input code.</summary>
    public string QualifiedCode => Level switch
    {
        X12ErrorLevel.Interchange => "TA105-" + Code,
        X12ErrorLevel.FunctionalGroup => "AK905-" + Code,
        X12ErrorLevel.TransactionSet => "IK502-" + Code,
        X12ErrorLevel.Segment => "IK304-" + Code,
        X12ErrorLevel.Element => "IK403-" + Code,
        _ => Code,
    };
}

/// <summary>Acknowledgement status codes shared by TA104, IK501 and AK901.</summary>
public enum X12AckStatus
{
    /// <summary>A: accepted.</summary>
    Accepted,

    /// <summary>E: accepted, but errors were noted.</summary>
    AcceptedWithErrors,

    /// <summary>P: partially accepted (AK901 only): at least one transaction set was rejected.</summary>
    PartiallyAccepted,

    /// <summary>R: rejected.</summary>
    Rejected,
}

/// <summary>Codes used in this library for <see cref="X12ErrorLevel.Input"/> errors.</summary>
public static class X12InputErrorCodes
{
    /// <summary>The input does not start with an ISA segment.</summary>
    public const string NotX12 = "NOT_X12";

    /// <summary>The input is empty or only whitespace.</summary>
    public const string Empty = "EMPTY";

    /// <summary>An ISA is truncated or its delimiters cannot tokenise the rest.</summary>
    public const string BadInterchangeHeader = "BAD_ISA";

    /// <summary>Content after an IEA that is not a new ISA.</summary>
    public const string ContentOutsideInterchange = "OUTSIDE_INTERCHANGE";

    /// <summary>The stream failed while being read.</summary>
    public const string ReadFailed = "READ_FAILED";
}

internal static class X12AckStatusExtensions
{
    public static string ToCode(this X12AckStatus status) => status switch
    {
        X12AckStatus.Accepted => "A",
        X12AckStatus.AcceptedWithErrors => "E",
        X12AckStatus.PartiallyAccepted => "P",
        _ => "R",
    };

    public static X12AckStatus? FromCode(string? code) => code switch
    {
        "A" => X12AckStatus.Accepted,
        "E" => X12AckStatus.AcceptedWithErrors,
        "P" => X12AckStatus.PartiallyAccepted,
        "R" or "M" or "W" or "X" => X12AckStatus.Rejected,
        _ => null,
    };
}
