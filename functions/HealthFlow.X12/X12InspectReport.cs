using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace HealthFlow.X12;

/// <summary>
/// The JSON document behind <c>healthflow x12 inspect FILE</c> and the text behind <c>healthflow x12 ack FILE</c>.
/// </summary>
/// <remarks>
/// Shape (names are a contract other tools read; more fields may be added, none renamed):
/// <c>{"transactions":[{"type","interchangeControlNumber","groupControlNumber","controlNumber","sender","receiver","accepted",
/// "remittance":{…}|"claims":[…]|…}],"errors":[{"code","segment","position","message"}]}</c>.
/// Amounts are JSON numbers written from the decimal, so they keep the file's decimals. No PHI is written:
/// persons appear only as tokens, and only when the caller supplies its own tokenizer.
/// </remarks>
public static class X12InspectReport
{
    /// <summary>Parses <paramref name="input"/> and writes the inspect document.</summary>
    /// <param name="input">The X12 input.</param>
    /// <param name="output">Where the JSON goes (flushed at the end).</param>
    /// <param name="tokenizePhi">PHI tokenizer; defaults to HMAC-SHA256 with a random per-call key, so tokens are unlinkable.</param>
    /// <returns>True when every transaction set is accepted (exit code 0); false when any is rejected or the input is not X12 (exit code 2).</returns>
    public static bool Write(Stream input, Utf8JsonWriter output, Func<string, string>? tokenizePhi = null)
    {
        var result = X12Parser.Parse(input, new X12ParseOptions { TokenizePhi = tokenizePhi ?? RandomKeyTokenizer() });
        Write(result, output);
        return result.AllAccepted;
    }

    /// <summary>Writes the inspect document for an existing parse result (documents must have been retained).</summary>
    public static void Write(X12ParseResult result, Utf8JsonWriter output)
    {
        output.WriteStartObject();
        output.WriteStartArray("transactions");
        foreach (var interchange in result.Interchanges)
        {
            foreach (var ta1 in interchange.ReceivedAcknowledgements)
            {
                output.WriteStartObject();
                output.WriteString("type", "TA1");
                output.WriteString("interchangeControlNumber", interchange.ControlNumber);
                output.WriteNull("groupControlNumber");
                output.WriteString("controlNumber", ta1.ControlNumber);
                output.WriteString("sender", interchange.SenderId);
                output.WriteString("receiver", interchange.ReceiverId);
                output.WriteBoolean("accepted", interchange.Status != X12AckStatus.Rejected);
                output.WriteStartObject("interchangeAcknowledgement");
                output.WriteString("acknowledgedControlNumber", ta1.ControlNumber);
                output.WriteString("status", ta1.Status.ToCode());
                output.WriteString("noteCode", ta1.NoteCode);
                output.WriteEndObject();
                output.WriteEndObject();
            }

            foreach (var group in interchange.Groups)
            {
                foreach (var set in group.TransactionSets)
                {
                    WriteTransaction(output, interchange, group, set);
                }
            }
        }

        output.WriteEndArray();
        output.WriteStartArray("errors");
        foreach (var error in result.AllErrors)
        {
            output.WriteStartObject();
            output.WriteString("code", error.QualifiedCode);
            output.WriteString("segment", error.SegmentId);
            output.WriteNumber("position", error.Position);
            output.WriteString("message", error.Message);
            output.WriteString("level", error.Level.ToString());
            if (error.ElementPosition > 0)
            {
                output.WriteNumber("element", error.ElementPosition);
            }

            if (error.PositionInTransactionSet > 0)
            {
                output.WriteNumber("positionInTransactionSet", error.PositionInTransactionSet);
            }

            output.WriteEndObject();
        }

        output.WriteEndArray();
        output.WriteBoolean("accepted", result.AllAccepted);
        output.WriteEndObject();
        output.Flush();
    }

    /// <summary>Parses <paramref name="input"/> and writes the 999 (and TA1 where due) we would send.</summary>
    /// <returns>Same meaning as <see cref="Write(Stream, Utf8JsonWriter, Func{string, string}?)"/>.</returns>
    public static bool WriteAcknowledgements(Stream input, Stream output, X12AckEnvelope envelope)
    {
        var result = X12Parser.Parse(input, new X12ParseOptions { TokenizePhi = RandomKeyTokenizer(), RetainDocuments = false });
        X12Acknowledgements.WriteResponses(result, envelope, output);
        if (!result.IsX12)
        {
            var problem = string.Join("\n", result.Errors.Select(e => $"{e.QualifiedCode}: {e.Message}")) + "\n";
            output.Write(Encoding.UTF8.GetBytes(problem));
        }

        return result.AllAccepted;
    }

    /// <summary>HMAC-SHA256 under a key that lives only as long as the returned function.</summary>
    public static Func<string, string> RandomKeyTokenizer()
    {
        var key = RandomNumberGenerator.GetBytes(32);
        return value => Convert.ToHexStringLower(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(value)));
    }

    private static void WriteTransaction(Utf8JsonWriter output, X12Interchange interchange, X12FunctionalGroup group, X12TransactionSet set)
    {
        output.WriteStartObject();
        output.WriteString("type", set.TypeName);
        output.WriteString("interchangeControlNumber", interchange.ControlNumber);
        output.WriteString("groupControlNumber", group.ControlNumber);
        output.WriteString("controlNumber", set.ControlNumber);
        output.WriteString("sender", interchange.SenderId);
        output.WriteString("receiver", interchange.ReceiverId);
        output.WriteBoolean("accepted", X12ParseResult.IsAccepted(interchange, group, set));
        output.WriteString("status", set.Status.ToCode());
        output.WriteString("implementationReference", set.ImplementationReference);
        output.WriteNumber("position", set.StartPosition);
        output.WriteNumber("segmentCount", set.SegmentCount);

        if (set.Remittance is { } remittance)
        {
            WriteRemittance(output, remittance);
        }

        if (set.ClaimBatch is { } batch)
        {
            WriteClaims(output, batch);
        }

        if (set.ClaimStatusReport is { } report)
        {
            output.WriteStartArray("claimStatuses");
            foreach (var status in report.Statuses)
            {
                output.WriteStartObject();
                output.WriteString("level", status.Level);
                output.WriteString("claimTrackingNumber", status.ClaimTrackingNumber);
                output.WriteString("payerClaimControlNumber", status.PayerClaimControlNumber);
                output.WriteString("category", status.CategoryCode);
                output.WriteString("statusCode", status.StatusCode);
                WriteAmount(output, "amount", status.Amount);
                output.WriteBoolean("rejected", status.IsRejected);
                output.WriteEndObject();
            }

            output.WriteEndArray();
        }

        if (set.Acknowledgement is { } ack)
        {
            output.WriteStartObject("acknowledgement");
            output.WriteString("functionalIdentifierCode", ack.FunctionalIdentifierCode);
            output.WriteString("groupControlNumber", ack.GroupControlNumber);
            output.WriteString("status", ack.Status.ToCode());
            output.WriteNumber("included", ack.IncludedCount);
            output.WriteNumber("received", ack.ReceivedCount);
            output.WriteNumber("acceptedCount", ack.AcceptedCount);
            output.WriteStartArray("transactionSets");
            foreach (var response in ack.TransactionSets)
            {
                output.WriteStartObject();
                output.WriteString("transactionSetId", response.TransactionSetId);
                output.WriteString("controlNumber", response.ControlNumber);
                output.WriteString("status", response.Status.ToCode());
                output.WriteStartArray("syntaxErrorCodes");
                foreach (var code in response.SyntaxErrorCodes)
                {
                    output.WriteStringValue(code);
                }

                output.WriteEndArray();
                output.WriteStartArray("segmentErrors");
                foreach (var segmentError in response.SegmentErrors)
                {
                    output.WriteStartObject();
                    output.WriteString("segment", segmentError.SegmentId);
                    output.WriteNumber("position", segmentError.PositionInTransactionSet);
                    output.WriteString("code", segmentError.ErrorCode);
                    output.WriteEndObject();
                }

                output.WriteEndArray();
                output.WriteEndObject();
            }

            output.WriteEndArray();
            output.WriteEndObject();
        }

        output.WriteEndObject();
    }

    private static void WriteRemittance(Utf8JsonWriter output, Remittance remittance)
    {
        output.WriteStartObject("remittance");
        output.WriteString("payer", remittance.PayerName);
        output.WriteString("payerId", remittance.PayerId);
        output.WriteString("payee", remittance.PayeeName);
        output.WriteString("payeeId", remittance.PayeeId);
        output.WriteString("traceNumber", remittance.TraceNumber);
        output.WriteString("paymentMethod", remittance.PaymentMethod);
        output.WriteString("paymentDate", remittance.PaymentDate?.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
        output.WriteNumber("paymentAmount", remittance.PaymentAmount);
        output.WriteBoolean("balanced", remittance.IsBalanced);
        output.WriteNumber("difference", remittance.Difference);
        output.WriteStartArray("claims");
        foreach (var claim in remittance.Claims)
        {
            output.WriteStartObject();
            output.WriteString("patientControlNumber", claim.PatientControlNumber);
            output.WriteString("status", claim.Status);
            output.WriteNumber("charge", claim.Charge);
            output.WriteNumber("paid", claim.Paid);
            WriteAmount(output, "patientResponsibility", claim.PatientResponsibility);
            output.WriteString("payerClaimControlNumber", claim.PayerClaimControlNumber);
            output.WriteBoolean("balanced", claim.IsBalanced);
            output.WriteNumber("difference", claim.Difference);
            WriteAdjustments(output, claim.Adjustments);
            output.WriteStartArray("remarkCodes");
            foreach (var remark in claim.RemarkCodes)
            {
                output.WriteStringValue(remark);
            }

            output.WriteEndArray();
            output.WriteStartArray("serviceLines");
            foreach (var line in claim.ServiceLines)
            {
                output.WriteStartObject();
                output.WriteString("procedureQualifier", line.ProcedureQualifier);
                output.WriteString("procedureCode", line.ProcedureCode);
                output.WriteNumber("charge", line.Charge);
                output.WriteNumber("paid", line.Paid);
                output.WriteString("revenueCode", line.RevenueCode);
                WriteAmount(output, "units", line.Units);
                WriteAdjustments(output, line.Adjustments);
                output.WriteStartArray("remarkCodes");
                foreach (var remark in line.RemarkCodes)
                {
                    output.WriteStringValue(remark);
                }

                output.WriteEndArray();
                output.WriteEndObject();
            }

            output.WriteEndArray();
            output.WriteEndObject();
        }

        output.WriteEndArray();
        output.WriteStartArray("providerAdjustments");
        foreach (var adjustment in remittance.ProviderAdjustments)
        {
            output.WriteStartObject();
            output.WriteString("provider", adjustment.ProviderId);
            output.WriteString("reason", adjustment.Reason);
            output.WriteString("reference", adjustment.Reference);
            output.WriteNumber("amount", adjustment.Amount);
            output.WriteEndObject();
        }

        output.WriteEndArray();
        output.WriteEndObject();
    }

    private static void WriteClaims(Utf8JsonWriter output, ClaimBatch batch)
    {
        output.WriteStartArray("claims");
        foreach (var claim in batch.Claims)
        {
            output.WriteStartObject();
            output.WriteString("controlNumber", claim.ControlNumber);
            output.WriteNumber("totalCharge", claim.TotalCharge);
            output.WriteNumber("serviceLineCount", claim.ServiceLines.Count);
            output.WriteString("frequencyCode", claim.FrequencyCode);
            output.WriteString("facilityCode", claim.FacilityCode);
            output.WriteString("billingProvider", claim.BillingProviderName);
            output.WriteString("billingProviderNpi", claim.BillingProviderNpi);
            output.WriteString("payer", claim.PayerName);
            output.WriteString("payerId", claim.PayerId);
            output.WriteStartArray("diagnosisCodes");
            foreach (var diagnosis in claim.Diagnoses)
            {
                output.WriteStringValue(diagnosis.Code);
            }

            output.WriteEndArray();
            output.WriteStartArray("serviceLines");
            foreach (var line in claim.ServiceLines)
            {
                output.WriteStartObject();
                output.WriteNumber("lineNumber", line.LineNumber);
                output.WriteString("revenueCode", line.RevenueCode);
                output.WriteString("procedureCode", line.ProcedureCode);
                output.WriteNumber("charge", line.Charge);
                WriteAmount(output, "quantity", line.Quantity);
                output.WriteEndObject();
            }

            output.WriteEndArray();
            output.WriteEndObject();
        }

        output.WriteEndArray();
    }

    private static void WriteAdjustments(Utf8JsonWriter output, IReadOnlyList<Adjustment> adjustments)
    {
        output.WriteStartArray("adjustments");
        foreach (var adjustment in adjustments)
        {
            output.WriteStartObject();
            output.WriteString("group", adjustment.Group);
            output.WriteString("reason", adjustment.Reason);
            output.WriteNumber("amount", adjustment.Amount);
            WriteAmount(output, "quantity", adjustment.Quantity);
            output.WriteEndObject();
        }

        output.WriteEndArray();
    }

    private static void WriteAmount(Utf8JsonWriter output, string name, decimal? amount)
    {
        if (amount is { } value)
        {
            output.WriteNumber(name, value);
        }
        else
        {
            output.WriteNull(name);
        }
    }
}
