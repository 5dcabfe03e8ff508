using System.Globalization;

namespace HealthFlow.X12;

/// <summary>Envelope values for the acknowledgements we send: our own control numbers and the clock reading.</summary>
/// <param name="InterchangeControlNumber">ISA13 of the first response interchange (incremented per interchange answered).</param>
/// <param name="GroupControlNumber">GS06 of the first 999 group (incremented likewise).</param>
/// <param name="Timestamp">When the acknowledgement is created (from the caller's TimeProvider; never read here).</param>
public sealed record X12AckEnvelope(int InterchangeControlNumber, int GroupControlNumber, DateTimeOffset Timestamp)
{
    public X12Delimiters Delimiters { get; init; } = X12Delimiters.Standard;
}

/// <summary>
/// Builds and writes 999 (005010X231A1) and TA1 acknowledgements from a parse result.
/// </summary>
/// <remarks>
/// Rules: a rejected interchange (TA1 R) gets only a TA1; otherwise each functional group gets one 999 with an
/// AK2/IK5 per transaction set, IK3/IK4 per segment and element error, and an AK9 with the counts. A TA1 is
/// added when the sender asked for one (ISA14 = 1) or the envelope has errors.
/// </remarks>
public static class X12Acknowledgements
{
    /// <summary>The 999 implementation reference.</summary>
    public const string Version999 = "005010X231A1";

    /// <summary>The 999 content for one received functional group.</summary>
    public static FunctionalAcknowledgement Create999(X12FunctionalGroup group)
    {
        var responses = new List<TransactionSetResponse>(group.TransactionSets.Count);
        foreach (var set in group.TransactionSets)
        {
            responses.Add(CreateResponse(set));
        }

        var status = group.Status;
        var groupRejectedOutright = group.Errors.Any(e => e.Code is "1" or "2");
        return new FunctionalAcknowledgement
        {
            FunctionalIdentifierCode = group.FunctionalIdentifierCode,
            GroupControlNumber = group.ControlNumber,
            Version = group.Version,
            TransactionSets = responses,
            Status = status,
            IncludedCount = group.DeclaredTransactionSetCount ?? group.TransactionSets.Count,
            ReceivedCount = group.TransactionSets.Count,
            AcceptedCount = groupRejectedOutright ? 0 : group.TransactionSets.Count(s => s.Status != X12AckStatus.Rejected),
            SyntaxErrorCodes = group.Errors.Select(e => e.Code).Distinct().Take(5).ToList(),
        };
    }

    /// <summary>The TA1 we answer an interchange with (TA102/TA103 echo the received ISA09/ISA10).</summary>
    public static InterchangeAcknowledgement CreateTa1(X12Interchange interchange) =>
        new(interchange.ControlNumber, interchange.Date, interchange.Time, interchange.Status, interchange.NoteCode);

    /// <summary>Writes the full response (TA1 where due, one 999 per group) for every interchange of a parse.</summary>
    /// <returns>Number of interchanges written.</returns>
    public static int WriteResponses(X12ParseResult result, X12AckEnvelope envelope, Stream output)
    {
        using var writer = new X12Writer(output, envelope.Delimiters);
        var written = 0;
        foreach (var interchange in result.Interchanges)
        {
            WriteResponse(writer, interchange, envelope with
            {
                InterchangeControlNumber = envelope.InterchangeControlNumber + written,
                GroupControlNumber = envelope.GroupControlNumber + written,
            });
            written++;
        }

        return written;
    }

    /// <summary>Writes the response interchange for one received interchange.</summary>
    public static void WriteResponse(X12Writer writer, X12Interchange received, X12AckEnvelope envelope)
    {
        var date = envelope.Timestamp.UtcDateTime.ToString("yyMMdd", CultureInfo.InvariantCulture);
        var time = envelope.Timestamp.UtcDateTime.ToString("HHmm", CultureInfo.InvariantCulture);
        // Values echoed from the received envelope may be broken (that may be why we answer): an invalid one
        // is replaced, so our acknowledgement is always valid X12 itself.
        var ourId = Clean(writer, received.ReceiverId, "UNKNOWN", 15)!;
        var theirId = Clean(writer, received.SenderId, "UNKNOWN", 15)!;
        writer.BeginInterchange(new X12InterchangeHeader(
            Qualifier(received.ReceiverQualifier), ourId, Qualifier(received.SenderQualifier), theirId,
            date, time, envelope.InterchangeControlNumber, false, received.UsageIndicator is "P" or "T" ? received.UsageIndicator : "P"));

        if (received.Ta1Due || received.Status == X12AckStatus.Rejected)
        {
            var ta1 = CreateTa1(received);
            WriteTa1(writer, ta1 with
            {
                ControlNumber = Digits(ta1.ControlNumber, 9) ?? "000000000",
                Date = Digits(ta1.Date, 6) ?? "000101",
                Time = Digits(ta1.Time, 4) ?? "0000",
            });
        }

        if (received.Status != X12AckStatus.Rejected && received.Groups.Count > 0)
        {
            var groupControl = envelope.GroupControlNumber.ToString(CultureInfo.InvariantCulture);
            writer.BeginGroup("FA", ourId, theirId,
                envelope.Timestamp.UtcDateTime.ToString("yyyyMMdd", CultureInfo.InvariantCulture), time, groupControl, Version999);
            var setNumber = 1;
            foreach (var group in received.Groups)
            {
                Write999(writer, Create999(group), setNumber.ToString("D4", CultureInfo.InvariantCulture));
                setNumber++;
            }

            writer.EndGroup();
        }

        writer.EndInterchange();
    }

    /// <summary>Writes one TA1 segment.</summary>
    public static void WriteTa1(X12Writer writer, InterchangeAcknowledgement ta1) =>
        writer.WriteSegment("TA1", ta1.ControlNumber, ta1.Date, ta1.Time, ta1.Status.ToCode(), ta1.NoteCode);

    /// <summary>Writes one 999 transaction set (ST … SE).</summary>
    public static void Write999(X12Writer writer, FunctionalAcknowledgement ack, string controlNumber)
    {
        writer.BeginTransactionSet("999", controlNumber, Version999);
        writer.WriteSegment("AK1", Clean(writer, ack.FunctionalIdentifierCode, "XX", 2), Digits(ack.GroupControlNumber, 9, exact: false) ?? "0",
            Clean(writer, ack.Version, null, 12));
        foreach (var response in ack.TransactionSets)
        {
            writer.WriteSegment("AK2", Digits(response.TransactionSetId, 3) ?? "999", Clean(writer, response.ControlNumber, "0", 9),
                Clean(writer, response.ImplementationReference, null, 35));
            foreach (var segmentError in response.SegmentErrors)
            {
                writer.WriteSegment("IK3", Clean(writer, segmentError.SegmentId, "UNK", 3),
                    segmentError.PositionInTransactionSet.ToString(CultureInfo.InvariantCulture), segmentError.LoopId, segmentError.ErrorCode);
                foreach (var elementError in segmentError.ElementErrors)
                {
                    var position = elementError.ComponentPosition > 0
                        ? writer.Composite(elementError.ElementPosition.ToString(CultureInfo.InvariantCulture), elementError.ComponentPosition.ToString(CultureInfo.InvariantCulture))
                        : elementError.ElementPosition.ToString(CultureInfo.InvariantCulture);
                    writer.WriteSegment("IK4", position, elementError.ElementReference, elementError.ErrorCode,
                        elementError.BadValue is null ? null : Clean(writer, elementError.BadValue, null, 99));
                }
            }

            var ik5 = new string?[6];
            ik5[0] = response.Status.ToCode();
            for (var i = 0; i < Math.Min(5, response.SyntaxErrorCodes.Count); i++)
            {
                ik5[i + 1] = response.SyntaxErrorCodes[i];
            }

            writer.WriteSegment("IK5", ik5);
        }

        var ak9 = new string?[9];
        ak9[0] = ack.Status.ToCode();
        ak9[1] = ack.IncludedCount.ToString(CultureInfo.InvariantCulture);
        ak9[2] = ack.ReceivedCount.ToString(CultureInfo.InvariantCulture);
        ak9[3] = ack.AcceptedCount.ToString(CultureInfo.InvariantCulture);
        for (var i = 0; i < Math.Min(5, ack.SyntaxErrorCodes.Count); i++)
        {
            ak9[i + 4] = ack.SyntaxErrorCodes[i];
        }

        writer.WriteSegment("AK9", ak9);
        writer.EndTransactionSet();
    }

    private static TransactionSetResponse CreateResponse(X12TransactionSet set)
    {
        var notes = new List<SegmentErrorNote>();
        var elementNotes = new List<ElementErrorNote>();
        SegmentErrorNote? current = null;

        void Close()
        {
            if (current is not null)
            {
                notes.Add(elementNotes.Count > 0 ? current with { ElementErrors = elementNotes.ToList() } : current);
            }

            current = null;
            elementNotes.Clear();
        }

        var codes = new List<string>();
        foreach (var error in set.Errors)
        {
            switch (error.Level)
            {
                case X12ErrorLevel.TransactionSet:
                    if (!codes.Contains(error.Code))
                    {
                        codes.Add(error.Code);
                    }

                    break;
                case X12ErrorLevel.Segment:
                    Close();
                    current = new SegmentErrorNote(error.SegmentId ?? "", error.PositionInTransactionSet, error.LoopId, error.Code);
                    break;
                case X12ErrorLevel.Element:
                    if (current is null || current.PositionInTransactionSet != error.PositionInTransactionSet)
                    {
                        Close();
                        current = new SegmentErrorNote(error.SegmentId ?? "", error.PositionInTransactionSet, error.LoopId, "8");
                    }

                    elementNotes.Add(new ElementErrorNote(error.ElementPosition, error.ComponentPosition, error.ElementReference, error.Code, error.BadValue));
                    break;
                default:
                    break;
            }
        }

        Close();

        // IK502 is required whenever IK501 is not A; segment errors alone are code 5.
        if (set.Status != X12AckStatus.Accepted && codes.Count == 0)
        {
            codes.Add("5");
        }

        return new TransactionSetResponse
        {
            TransactionSetId = set.TransactionSetId.Length > 0 ? set.TransactionSetId : "UNK",
            ControlNumber = set.ControlNumber.Length > 0 ? set.ControlNumber : "0",
            ImplementationReference = set.ImplementationReference,
            SegmentErrors = notes,
            Status = set.Status,
            SyntaxErrorCodes = codes,
        };
    }

    /// <summary>Echoed values must not carry our delimiters or control bytes, or the 999 itself would not parse.</summary>
    private static string? Clean(X12Writer writer, string? value, string? fallback, int maxLength)
    {
        if (value is null)
        {
            return fallback;
        }

        var d = writer.Delimiters;
        var cleaned = new string(value.Where(c => c != d.Element && c != d.Segment && c != d.Component && c != d.Repetition && c is >= ' ' and < '\x7f').ToArray()).Trim();
        if (cleaned.Length > maxLength)
        {
            cleaned = cleaned[..maxLength];
        }

        return cleaned.Length > 0 ? cleaned : fallback;
    }

    private static string? Digits(string? value, int length, bool exact = true) =>
        value is { Length: > 0 } && value.Length <= length && (!exact || value.Length == length) && value.All(char.IsAsciiDigit) ? value : null;

    private static readonly string[] IdQualifiers = ["01", "14", "20", "27", "28", "29", "30", "33", "ZZ"];

    private static string Qualifier(string value) => IdQualifiers.Contains(value) ? value : "ZZ";
}
