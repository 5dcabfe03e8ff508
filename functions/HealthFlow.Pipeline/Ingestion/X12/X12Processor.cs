using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using HealthFlow.Finance;
using HealthFlow.Finance.Events;
using HealthFlow.X12;
using X12Adjustment = HealthFlow.X12.Adjustment;

namespace HealthFlow.Pipeline.Ingestion.X12;

/// <summary>
/// X12 5010 to canonical events, with the 999 (and TA1 where due) as the acknowledgement. Only transaction sets
/// the 999 accepts become events; a rejected set is reported in the 999 and kept in the ledger, never posted.
/// A body that is not X12 at all is rejected with no acknowledgement (the HTTP answer is then problem+json).
/// </summary>
/// <remarks>
/// Idempotency keys come from the source (invariant 2): <c>x12:{ISA05}:{ISA06}:{ISA13}:{GS06}:{ST02}</c>, with the
/// claim's CLM01 for claims and the STC's claim tracking number for 277CA statuses.
/// </remarks>
public sealed class X12Processor(TimeProvider clock) : IPayloadProcessor
{
    public const string AckContentType = "application/edi-x12";
    private const string Currency = "USD"; // X12 835/837 amounts are US dollars by definition.

    public PayloadFormat Format => PayloadFormat.X12;

    public ProcessingResult Process(ReadOnlyMemory<byte> payload, ProcessingContext context)
    {
        // Each set's events are written as it ends and its document is dropped (RetainDocuments off): only their JSON
        // bytes outlive the set, not a graph of objects per claim for every collection to trace and copy until the
        // whole interchange is read. Whether a set is finally accepted (IEA, GE) is only known at the end.
        var written = new Dictionary<X12TransactionSet, WrittenEvent[]>(ReferenceEqualityComparer.Instance);
        var writer = new EventWriter();
        var result = X12Parser.Parse(WholeArray(payload), new X12ParseOptions
        {
            TokenizePhi = context.Tokenize,
            TokenizeNamesBesideIds = false, // the events' patient token is the id's, the name's only where there is none
            RetainDocuments = false,
            TransactionSetCompleted = (interchange, group, set) =>
            {
                if (set.Status != X12AckStatus.Rejected)
                    written[set] = Write(interchange, group, set, context, writer);
            },
        });
        if (!result.IsX12)
            return ProcessingResult.Reject([.. result.Errors.Select(e => e.Message).DefaultIfEmpty("not an X12 interchange")]);

        var acknowledgement = Acknowledge(result, context.ReceiptId);
        var events = new List<WrittenEvent>();
        var reasons = new List<string>();
        foreach (var (interchange, group, set) in result.TransactionSets)
        {
            if (!X12ParseResult.IsAccepted(interchange, group, set))
                reasons.Add($"{set.TypeName} ST02 {set.ControlNumber} rejected: {string.Join("; ", set.Errors.Take(5).Select(e => e.Message))}");
            else if (written.TryGetValue(set, out var setEvents))
                events.AddRange(setEvents);
        }
        reasons.AddRange(result.Interchanges.SelectMany(i => i.Errors).Select(e => $"interchange: {e.Message}"));
        return events.Count > 0 || reasons.Count == 0
            ? ProcessingResult.Accept(events, acknowledgement)
            : ProcessingResult.Reject(reasons, acknowledgement);
    }

    private static WrittenEvent[] Write(X12Interchange interchange, X12FunctionalGroup group, X12TransactionSet set, ProcessingContext context, EventWriter writer)
    {
        var source = $"x12:{interchange.SenderQualifier}:{interchange.SenderId}:{interchange.ControlNumber}:{group.ControlNumber}:{set.ControlNumber}";
        var causation = $"x12:{interchange.SenderQualifier}:{interchange.SenderId}:{interchange.ControlNumber}";
        if (set.RemittanceData is { } remittance)
            return [RemittanceJson.Write(writer, remittance, source, context.ReceiptId, causation)];
        if (set.ClaimBatch is { } batch)
            return [.. batch.Claims.Select(c => writer.Write(Map(c, batch.Kind, source, causation, context)))];
        if (set.ClaimStatusReport is { } report)
            return [.. report.Statuses.Where(s => s.ClaimTrackingNumber is not null).Select(s => writer.Write(Map(s, interchange.SenderId, source, causation, context)))];
        return [];
    }

    /// <summary>
    /// The payload's own array when it spans a whole one (what the HTTP endpoint hands over): the parser reads an array
    /// in place and never writes it, so a 64 MiB body is not copied once more.
    /// </summary>
    private static byte[] WholeArray(ReadOnlyMemory<byte> payload) =>
        MemoryMarshal.TryGetArray(payload, out var segment) && segment.Offset == 0 && segment.Count == segment.Array!.Length
            ? segment.Array
            : payload.ToArray();

    private Acknowledgement? Acknowledge(X12ParseResult result, string receiptId)
    {
        // Our control numbers for the answer: derived from the receipt, so re-processing answers identically.
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(receiptId));
        var control = (int)(BinaryPrimitives.ReadUInt32LittleEndian(hash) % 999_999_999) + 1;
        using var output = new MemoryStream();
        var count = X12Acknowledgements.WriteResponses(result, new X12AckEnvelope(control, control % 999_999 + 1, clock.GetUtcNow()), output);
        return count == 0 ? null : new Acknowledgement(AckContentType, Encoding.ASCII.GetString(output.ToArray()));
    }

    /// <summary>
    /// The remittance's event in the Finance model's terms: the reference <see cref="RemittanceJson"/> writes the JSON of
    /// (byte for byte, RemittanceJsonTests); processing writes that JSON straight from the document instead.
    /// </summary>
    internal static RemittanceReceived ToEvent(Remittance remittance, string key, string correlation, string causation) => new()
    {
        IdempotencyKey = key,
        CorrelationId = correlation,
        CausationId = causation,
        Payer = remittance.PayerId ?? remittance.PayerName ?? "unknown-payer",
        PayerId = remittance.PayerId,
        Payee = remittance.PayeeName ?? remittance.PayeeId ?? "unknown-payee",
        PayeeNpi = remittance.PayeeIdQualifier == "XX" ? remittance.PayeeId : null,
        TraceNumber = remittance.TraceNumber ?? "",
        PaymentMethod = remittance.PaymentMethod,
        PaymentAmount = new Money(remittance.PaymentAmount, Currency),
        PaymentDate = remittance.PaymentDate,
        Balanced = remittance.IsBalanced,
        Difference = remittance.Difference,
        Claims = [.. remittance.Claims.Select(c => new Finance.Events.ClaimPayment
        {
            PatientControlNumber = c.PatientControlNumber,
            Status = c.Status,
            Charge = c.Charge,
            Paid = c.Paid,
            PatientResponsibility = c.PatientResponsibility ?? 0m,
            PayerClaimControlNumber = c.PayerClaimControlNumber,
            PatientToken = c.Patient?.IdToken ?? c.Patient?.NameToken,
            Adjustments = [.. c.Adjustments.Select(Map)],
            ServiceLines = [.. c.ServiceLines.Select(l => new ServiceLinePayment(l.ProcedureCode, l.RevenueCode, l.Charge, l.Paid, [.. l.Adjustments.Select(Map)]) { RemarkCodes = l.RemarkCodes })],
            RemarkCodes = c.RemarkCodes,
            Balanced = c.IsBalanced,
        })],
        ProviderAdjustments = [.. remittance.ProviderAdjustments.Select(p => new Finance.Events.ProviderAdjustment(p.Reason, p.Reference, p.Amount))],
    };

    private static Finance.Events.Adjustment Map(X12Adjustment adjustment) => new(adjustment.Group, adjustment.Reason, adjustment.Amount);

    private static ClaimSubmitted Map(Claim claim, ClaimKind kind, string source, string causation, ProcessingContext context) => new()
    {
        IdempotencyKey = $"{source}:{claim.ControlNumber}",
        CorrelationId = context.ReceiptId,
        CausationId = causation,
        ClaimId = claim.ControlNumber,
        ClaimKind = kind == ClaimKind.Institutional ? "837I" : "837P",
        BillingProviderNpi = claim.BillingProviderNpi,
        Payer = claim.PayerId ?? claim.PayerName ?? "unknown-payer",
        PatientToken = (claim.Patient ?? claim.Subscriber)?.IdToken ?? (claim.Patient ?? claim.Subscriber)?.NameToken,
        TotalCharge = new Money(claim.TotalCharge, Currency),
        FrequencyCode = claim.FrequencyCode,
        DiagnosisCodes = [.. claim.Diagnoses.Select(d => d.Code)],
        Lines = [.. claim.ServiceLines.Select(l => new ClaimLine(l.LineNumber, l.RevenueCode, l.ProcedureCode, l.Quantity ?? 1m, new Money(l.Charge, Currency), l.ServiceDate))],
    };

    private static ClaimAcknowledged Map(ClaimStatus status, string payer, string source, string causation, ProcessingContext context) => new()
    {
        IdempotencyKey = $"{source}:{status.ClaimTrackingNumber}:{status.CategoryCode}:{status.StatusCode}",
        CorrelationId = context.ReceiptId,
        CausationId = causation,
        ClaimId = status.ClaimTrackingNumber!,
        Payer = payer,
        Accepted = !status.IsRejected,
        StatusCodes = [$"{status.CategoryCode}:{status.StatusCode}:{status.EntityCode}"],
        Charge = status.Amount is { } amount ? new Money(amount, Currency) : null,
    };
}
