using System.Globalization;
using System.Text;

namespace HealthFlow.Hl7;

/// <summary>Who HealthFlow is in the ACKs it writes when the sender did not address a receiver (or MSH was unreadable).</summary>
public sealed record Hl7AckOptions
{
    /// <summary>Default identity.</summary>
    public static Hl7AckOptions Default { get; } = new();

    /// <summary>MSH-3 of the ACK when the original MSH-5 is empty.</summary>
    public string ApplicationName { get; init; } = "HEALTHFLOW";

    /// <summary>MSH-4 of the ACK when the original MSH-6 is empty.</summary>
    public string FacilityName { get; init; } = "HEALTHFLOW";

    /// <summary>MSH-12 of the ACK when the original version is missing or not one we speak.</summary>
    public string FallbackVersion { get; init; } = "2.5.1";
}

/// <summary>
/// Builds original-mode acknowledgements: MSH (sender and receiver swapped, same version, <c>ACK^trigger^ACK</c>),
/// MSA (AA/AE/AR, MSA-2 = the original MSH-10) and one ERR per error.
/// </summary>
/// <remarks>
/// ERR is written in the v2.5+ form (ERR-2 location <c>PID^1^3</c>, ERR-3 table 0357 code, ERR-4 severity, ERR-7
/// diagnostic) for v2.5 and later; for v2.3 and v2.4, whose ERR has only ERR-1, it is written as ERR-1
/// (<c>PID^1^3^101&amp;Required field missing&amp;HL70357</c>) and the first diagnostic goes to MSA-3.
/// The ACK always uses the standard delimiters <c>|^~\&amp;</c> and CR segment terminators, whatever the sender used.
/// Diagnostics never contain field values (see <see cref="Hl7Error"/>), so an ACK carries no PHI.
/// </remarks>
public static class Hl7AckBuilder
{
    private static readonly Hl7Delimiters Delimiters = Hl7Delimiters.Standard;

    /// <summary>The ACK for a read result: AA, AE with ERRs, or AR (a minimal one when MSH was unreadable).</summary>
    /// <param name="result">What the reader concluded.</param>
    /// <param name="timestamp">MSH-7 of the ACK (from the caller's <see cref="TimeProvider"/>).</param>
    /// <param name="ackControlId">MSH-10 of the ACK; defaults to the original control id (deterministic for redelivery).</param>
    /// <param name="options">HealthFlow's own application and facility names.</param>
    public static string Build(Hl7ReadResult result, DateTimeOffset timestamp, string? ackControlId = null, Hl7AckOptions? options = null) =>
        Build(result.Header, result.AckCode, result.Errors, timestamp, ackControlId, options);

    /// <summary>An AR with error 207 for a message that was read but could not be stored (the sender must resend).</summary>
    public static string BuildInternalError(Hl7MessageHeader? original, string diagnostic, DateTimeOffset timestamp, string? ackControlId = null, Hl7AckOptions? options = null) =>
        Build(original, Hl7AckCode.ApplicationReject, [Hl7Error.Internal(diagnostic)], timestamp, ackControlId, options);

    /// <summary>An ACK for any header, code and errors.</summary>
    public static string Build(Hl7MessageHeader? original, Hl7AckCode code, IReadOnlyList<Hl7Error> errors, DateTimeOffset timestamp, string? ackControlId = null, Hl7AckOptions? options = null)
    {
        options ??= Hl7AckOptions.Default;
        var version = original is { Version: var v } && IsVersionText(v) ? v : options.FallbackVersion;
        var legacyErr = version.StartsWith("2.3", StringComparison.Ordinal) || version.StartsWith("2.4", StringComparison.Ordinal);
        var originalControlId = original?.ControlId ?? string.Empty;
        var controlId = ackControlId
            ?? (originalControlId.Length > 0 ? originalControlId : "HF" + timestamp.UtcDateTime.ToString("yyyyMMddHHmmssfff", CultureInfo.InvariantCulture));

        var builder = new StringBuilder(256);
        builder.Append("MSH|^~\\&|");
        AppendDesignator(builder, original?.ReceivingApplication, options.ApplicationName);
        builder.Append('|');
        AppendDesignator(builder, original?.ReceivingFacility, options.FacilityName);
        builder.Append('|');
        AppendDesignator(builder, original?.SendingApplication, null);
        builder.Append('|');
        AppendDesignator(builder, original?.SendingFacility, null);
        builder.Append('|').Append(Hl7Timestamp.Format(timestamp)).Append("||ACK");
        var trigger = original?.TriggerEvent ?? string.Empty;
        if (trigger.Length > 0)
        {
            builder.Append('^').Append(Escape(trigger));
            if (version != "2.3")
            {
                // MSH-9.3 message structure exists from v2.3.1.
                builder.Append("^ACK");
            }
        }

        builder.Append('|').Append(Escape(controlId));
        builder.Append('|').Append(original is { ProcessingId: "P" or "T" or "D" } ? original.ProcessingId : "P");
        builder.Append('|').Append(Escape(version)).Append('\r');

        builder.Append("MSA|").Append(AckCodeText(code)).Append('|').Append(Escape(originalControlId));
        var firstError = FirstError(errors);
        if (legacyErr && firstError is not null)
        {
            builder.Append('|').Append(Escape(firstError.Diagnostic));
        }

        builder.Append('\r');
        foreach (var error in errors)
        {
            if (legacyErr)
            {
                AppendLegacyErr(builder, error);
            }
            else
            {
                AppendErr(builder, error);
            }
        }

        return builder.ToString();
    }

    /// <summary>MSA-1 text: AA, AE or AR.</summary>
    public static string AckCodeText(Hl7AckCode code) => code switch
    {
        Hl7AckCode.ApplicationAccept => "AA",
        Hl7AckCode.ApplicationError => "AE",
        Hl7AckCode.ApplicationReject => "AR",
        _ => throw new ArgumentOutOfRangeException(nameof(code), code, "Not an acknowledgment code."),
    };

    private static Hl7Error? FirstError(IReadOnlyList<Hl7Error> errors)
    {
        foreach (var error in errors)
        {
            if (error.Severity == Hl7Severity.Error)
            {
                return error;
            }
        }

        return null;
    }

    private static void AppendErr(StringBuilder builder, Hl7Error error)
    {
        builder.Append("ERR||");
        if (error.Location is { } location)
        {
            builder.Append(Escape(location.SegmentId)).Append(location.ToErl('^').AsSpan(location.SegmentId.Length));
        }

        builder.Append('|').Append((int)error.Code).Append('^').Append(Escape(error.CodeText)).Append("^HL70357");
        builder.Append('|').Append(SeverityText(error.Severity));
        builder.Append("|||").Append(Escape(error.Diagnostic)).Append('\r');
    }

    private static void AppendLegacyErr(StringBuilder builder, Hl7Error error)
    {
        // v2.3/2.4 ELD: segment id ^ sequence ^ field position ^ code (CE, so its parts are subcomponents).
        builder.Append("ERR|");
        if (error.Location is { } location)
        {
            builder.Append(Escape(location.SegmentId)).Append('^').Append(location.SegmentSequence).Append('^');
            if (location.Field > 0)
            {
                builder.Append(location.Field);
            }
        }
        else
        {
            builder.Append("^^");
        }

        builder.Append('^').Append((int)error.Code).Append('&').Append(Escape(error.CodeText)).Append("&HL70357").Append('\r');
    }

    private static string SeverityText(Hl7Severity severity) => severity switch
    {
        Hl7Severity.Warning => "W",
        Hl7Severity.Information => "I",
        _ => "E",
    };

    private static void AppendDesignator(StringBuilder builder, Hl7HierarchicDesignator? designator, string? fallback)
    {
        if (designator is not { IsEmpty: false } value)
        {
            if (fallback is not null)
            {
                builder.Append(Escape(fallback));
            }

            return;
        }

        builder.Append(Escape(value.NamespaceId));
        if (value.UniversalId.Length > 0 || value.UniversalIdType.Length > 0)
        {
            builder.Append('^').Append(Escape(value.UniversalId));
            if (value.UniversalIdType.Length > 0)
            {
                builder.Append('^').Append(Escape(value.UniversalIdType));
            }
        }
    }

    private static string Escape(string value) => Hl7Escaping.Encode(value, Delimiters);

    private static bool IsVersionText(string version)
    {
        if (version.Length is < 3 or > 10 || version[0] != '2' || version[1] != '.')
        {
            return false;
        }

        foreach (var c in version)
        {
            if (!char.IsAsciiDigit(c) && c != '.')
            {
                return false;
            }
        }

        return version[2] is >= '3' and <= '8';
    }
}
