using System.Text.Json;
using HealthFlow.Finance;
using HealthFlow.Finance.Events;
using HealthFlow.Finance.Journals;
using HealthFlow.Finance.Mapping;
using HealthFlow.Finance.Posting;
using HealthFlow.Ledger;
using HealthFlow.Pipeline.Bus;
using HealthFlow.Pipeline.Workflows;

namespace HealthFlow.Benchmarks;

/// <summary>One generated 835: the claims it pays, as billed; the remittance; and the member journals the real rule built for it.</summary>
internal sealed record GeneratedRemittance(string Receipt, string InstanceId, IReadOnlyList<ClaimSubmitted> Claims, RemittanceReceived Remittance, PostingResult Built);

/// <summary>
/// The business day the reconciliation and rebuild harnesses write into a ledger as the workflows leave it: 835s whose
/// claims were each billed (an 837I claim), paid at CLP04 with a CO-45 contractual adjustment, and posted by the real
/// <see cref="RemittanceRule"/> against the embedded master data. Seeded, so every run writes the same day.
/// </summary>
internal sealed class GeneratedRemittances
{
    public static readonly DateOnly Day = new(2026, 11, 20);
    public static readonly byte[] TokenKey = [.. Enumerable.Range(1, 32).Select(i => (byte)i)];
    private static readonly string[] Facilities = ["RMC", "LCH", "SVH"];
    private static readonly (string Code, string RemitName)[] Payers = [("ACME", "ACME HEALTH PLAN"), ("BRM", "BLUE RIVER MUTUAL"), ("UCARE", "UNITED CARE")];

    private readonly Random _random = new(20261120);
    private readonly PatientTokenizer _tokenizer = new(TokenKey);

    public MasterDataSet MasterData { get; } = LoadMasterData();

    public static MasterDataSet LoadMasterData() =>
        Finance.Mapping.MasterData.LoadEmbedded().Value ?? throw new InvalidOperationException("The embedded master data does not load.");

    /// <summary>The <paramref name="number"/>th 835 (0-based), paying <paramref name="claimCount"/> claims.</summary>
    public GeneratedRemittance Next(int number, int claimCount)
    {
        var (payerCode, remitName) = Payers[number % Payers.Length];
        var trace = $"EFT{number:D7}";
        var receipt = $"rcpt-835-{number:D7}";
        var claims = new List<ClaimSubmitted>(claimCount);
        var payments = new List<ClaimPayment>(claimCount);
        var matches = new Dictionary<string, ClaimMatch>(StringComparer.Ordinal);
        for (var c = 0; c < claimCount; c++)
        {
            var pcn = $"PCN{number:D6}{c:D4}";
            var facility = Facilities[_random.Next(Facilities.Length)];
            var charge = _random.Next(10_000, 500_000) / 100m;
            var contractual = decimal.Round(charge * _random.Next(10, 60) / 100m, 2);
            claims.Add(new ClaimSubmitted
            {
                IdempotencyKey = $"837I:{pcn}",
                CorrelationId = $"rcpt-837-{number:D7}",
                CausationId = $"rcpt-837-{number:D7}",
                ClaimId = pcn,
                ClaimKind = "837I",
                Facility = facility,
                Payer = payerCode,
                TotalCharge = new Money(charge, "USD"),
            });
            matches[pcn] = new ClaimMatch(facility, payerCode);
            payments.Add(new ClaimPayment { PatientControlNumber = pcn, Status = "1", Charge = charge, Paid = charge - contractual, Adjustments = [new Adjustment("CO", "45", contractual)] });
        }

        var remittance = new RemittanceReceived
        {
            IdempotencyKey = $"835:{payerCode}:{trace}",
            CorrelationId = receipt,
            CausationId = receipt,
            Payer = remitName,
            Payee = "RIVERBEND MEDICAL CENTER",
            PayeeNpi = "1234567893",
            TraceNumber = trace,
            PaymentMethod = "ACH",
            PaymentAmount = new Money(payments.Sum(p => p.Paid), "USD"),
            PaymentDate = Day,
            Balanced = true,
            Claims = payments,
        };
        var built = RemittanceRule.Build(MasterData, remittance, matches, Day, protectIdentifier: _tokenizer.Tokenize);
        if (built.Blocked)
            throw new InvalidOperationException("The generated 835 does not post: " + string.Join(", ", built.Issues));
        return new GeneratedRemittance(receipt, WorkflowInstanceIds.Remittance(remitName, trace), claims, remittance, built);
    }

    /// <summary>An event on its topic, as the pipeline publishes it.</summary>
    public static LedgerEntry Topic(CanonicalEvent @event) =>
        TopicRecords.For(@event.Topic, new BusMessage(@event.IdempotencyKey, @event.EventType, EventJson.Serialize(@event), @event.SessionKey, @event.CorrelationId, @event.CausationId));

    /// <summary>A member journal as the workflow records it once the ERP accepted its post.</summary>
    public static LedgerEntry MemberJournal(Journal member, GeneratedRemittance source) =>
        new(WorkflowReadModels.JournalStream, WorkflowReadModels.JournalRecordType, member.IdempotencyKey, source.Receipt, source.InstanceId,
            JsonSerializer.SerializeToUtf8Bytes(member, EventJson.Options));
}
