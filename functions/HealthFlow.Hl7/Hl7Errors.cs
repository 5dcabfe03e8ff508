namespace HealthFlow.Hl7;

/// <summary>HL7 table 0357 (message error condition codes), the values HealthFlow reports in ERR-3 (or ERR-1.4 before v2.5).</summary>
public enum Hl7ErrorCode
{
    /// <summary>0: message accepted.</summary>
    MessageAccepted = 0,

    /// <summary>100: a required segment is missing or segments are out of order.</summary>
    SegmentSequenceError = 100,

    /// <summary>101: a required field is missing.</summary>
    RequiredFieldMissing = 101,

    /// <summary>102: a field's content does not match its data type (bad number, date, escape sequence, character).</summary>
    DataTypeError = 102,

    /// <summary>103: a coded value is not in the table HealthFlow understands.</summary>
    TableValueNotFound = 103,

    /// <summary>104: a value is longer than allowed (v2.6+).</summary>
    ValueTooLong = 104,

    /// <summary>200: the message type (MSH-9.1) is not supported.</summary>
    UnsupportedMessageType = 200,

    /// <summary>201: the trigger event (MSH-9.2) is not supported.</summary>
    UnsupportedEventCode = 201,

    /// <summary>202: the processing id (MSH-11) is not supported.</summary>
    UnsupportedProcessingId = 202,

    /// <summary>203: the version (MSH-12) is not supported.</summary>
    UnsupportedVersionId = 203,

    /// <summary>204: unknown key identifier.</summary>
    UnknownKeyIdentifier = 204,

    /// <summary>205: duplicate key identifier.</summary>
    DuplicateKeyIdentifier = 205,

    /// <summary>206: application record locked.</summary>
    ApplicationRecordLocked = 206,

    /// <summary>207: application internal error (for example the ledger write failed, so the message was not stored).</summary>
    ApplicationInternalError = 207,
}

/// <summary>MSA-1 acknowledgment codes of original-mode acknowledgment.</summary>
public enum Hl7AckCode
{
    /// <summary>AA: accepted and stored.</summary>
    ApplicationAccept,

    /// <summary>AE: the message was understood but its content has errors; the sender should correct and resend.</summary>
    ApplicationError,

    /// <summary>AR: the message was rejected (unreadable header, unsupported type or version, or a failure on our side).</summary>
    ApplicationReject,
}

/// <summary>ERR-4 severity (HL7 table 0516).</summary>
public enum Hl7Severity
{
    /// <summary>E: the message was not processed because of this error.</summary>
    Error,

    /// <summary>W: processed, but the sender should look at this.</summary>
    Warning,

    /// <summary>I: information only.</summary>
    Information,
}

/// <summary>
/// Where in a message an error lies, in the ERL form of ERR-2 (v2.5+): segment id, segment occurrence
/// (1 = first segment with that id), field, repetition, component, subcomponent. Zero means "not narrowed".
/// </summary>
public readonly record struct Hl7ErrorLocation(string SegmentId, int SegmentSequence, int Field = 0, int Repetition = 0, int Component = 0, int Subcomponent = 0)
{
    /// <summary>The location in HL7 notation, e.g. <c>PID^1^3</c> or <c>FT1^2^11^1^1</c>; trailing zero positions are left out.</summary>
    public override string ToString() => ToErl('^');

    /// <summary>The location in path notation, e.g. <c>PV1-3.4</c> or <c>FT1(2)-11</c>.</summary>
    public string ToPath()
    {
        var text = SegmentSequence > 1 ? $"{SegmentId}({SegmentSequence})" : SegmentId;
        if (Field == 0)
        {
            return text;
        }

        text += $"-{Field}";
        if (Repetition > 1)
        {
            text += $"({Repetition})";
        }

        if (Component > 0)
        {
            text += $".{Component}";
            if (Subcomponent > 0)
            {
                text += $".{Subcomponent}";
            }
        }

        return text;
    }

    internal string ToErl(char separator)
    {
        Span<int> parts = [SegmentSequence, Field, Repetition, Component, Subcomponent];
        var last = parts.Length - 1;
        while (last >= 0 && parts[last] == 0)
        {
            last--;
        }

        var builder = new System.Text.StringBuilder(SegmentId);
        for (var i = 0; i <= last; i++)
        {
            builder.Append(separator);
            // A repetition the caller left unnarrowed is the first one in ERL terms.
            var value = parts[i] == 0 && i == 2 ? 1 : parts[i];
            if (value != 0)
            {
                builder.Append(value);
            }
        }

        return builder.ToString();
    }
}

/// <summary>
/// One problem found in a message: the value behind an ERR segment. Expected failures are values of this type,
/// never exceptions. <see cref="Diagnostic"/> never contains field content from the message (it may hold PHI).
/// </summary>
public sealed record Hl7Error(Hl7ErrorCode Code, Hl7Severity Severity, Hl7ErrorLocation? Location, string Diagnostic)
{
    /// <summary>The table 0357 text for <see cref="Code"/>, used as ERR-3.2.</summary>
    public string CodeText => Hl7ErrorCodes.TextOf(Code);

    /// <summary>An error of severity E.</summary>
    public static Hl7Error At(Hl7ErrorCode code, Hl7ErrorLocation? location, string diagnostic) =>
        new(code, Hl7Severity.Error, location, diagnostic);

    /// <summary>207 application internal error without location: what the lead's listener answers when storing failed.</summary>
    public static Hl7Error Internal(string diagnostic) =>
        new(Hl7ErrorCode.ApplicationInternalError, Hl7Severity.Error, null, diagnostic);
}

/// <summary>Table 0357 texts.</summary>
public static class Hl7ErrorCodes
{
    /// <summary>The HL7 text of a table 0357 code, as ERR-3.2 carries it.</summary>
    public static string TextOf(Hl7ErrorCode code) => code switch
    {
        Hl7ErrorCode.MessageAccepted => "Message accepted",
        Hl7ErrorCode.SegmentSequenceError => "Segment sequence error",
        Hl7ErrorCode.RequiredFieldMissing => "Required field missing",
        Hl7ErrorCode.DataTypeError => "Data type error",
        Hl7ErrorCode.TableValueNotFound => "Table value not found",
        Hl7ErrorCode.ValueTooLong => "Value too long",
        Hl7ErrorCode.UnsupportedMessageType => "Unsupported message type",
        Hl7ErrorCode.UnsupportedEventCode => "Unsupported event code",
        Hl7ErrorCode.UnsupportedProcessingId => "Unsupported processing id",
        Hl7ErrorCode.UnsupportedVersionId => "Unsupported version id",
        Hl7ErrorCode.UnknownKeyIdentifier => "Unknown key identifier",
        Hl7ErrorCode.DuplicateKeyIdentifier => "Duplicate key identifier",
        Hl7ErrorCode.ApplicationRecordLocked => "Application record locked",
        Hl7ErrorCode.ApplicationInternalError => "Application internal error",
        _ => "Unknown error",
    };
}
