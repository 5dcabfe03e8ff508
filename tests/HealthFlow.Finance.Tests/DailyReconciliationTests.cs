using System.Text.Json;
using HealthFlow.Finance.Batching;
using HealthFlow.Finance.Events;
using HealthFlow.Finance.Journals;
using HealthFlow.Finance.Posting;
using HealthFlow.Finance.Reconciliation;
using static HealthFlow.Finance.Tests.TestData;

namespace HealthFlow.Finance.Tests;

/// <summary>
/// A generated day built by the real posting rules and batcher, reconciled by <see cref="DailyReconciliation"/>: clean, it
/// has no break; each injected fault is exactly one break with its cause.
/// </summary>
public sealed class DailyReconciliationTests
{
    private static readonly DateOnly Day = new(2026, 1, 16);
    private static readonly DateTimeOffset Morning = new(2026, 1, 16, 8, 0, 0, TimeSpan.Zero);
    private static readonly PatientTokenizer Tokenizer = new(new byte[32]);

    [Fact]
    public void A_clean_day_reconciles_to_zero_breaks_and_every_side_ties()
    {
        var day = GeneratedDay.Create();

        var report = day.Reconcile();

        Assert.Empty(report.Breaks);
        Assert.Contains(report.Totals, t => t.Key.Measure == ReconciliationTotals.Payments && t.Source != 0m);
        Assert.Contains(report.Totals, t => t.Key.Measure == ReconciliationTotals.Charges && t.Source != 0m);
        Assert.All(report.Totals.Where(t => t.Posted is not null), t => Assert.Equal((t.Source, t.Source), (t.Posted!.Value, t.Erp!.Value)));
        Assert.All(report.Remittances, r => Assert.Equal(r.Bpr, r.PostedCash));
        Assert.All(report.Accounts, a => Assert.Equal(a.Posted, a.Erp));
        Assert.Equal(day.Posted.Count, report.Counts.Where(c => c.Stage == CountStages.Posted).Sum(c => c.Count));
        Assert.DoesNotContain(report.Slas, s => s.Breached);
    }

    [Fact]
    public void A_dropped_claim_payment_journal_is_one_unposted_claim_break()
    {
        var day = GeneratedDay.Create(drop: j => j.Kind == JournalKinds.Cash && j.Lines.Any(l => l.Debit > 0));

        var found = Assert.Single(day.Reconcile().Breaks);

        Assert.Equal((BreakCauses.Unposted, BreakLevels.Claim), (found.Cause, found.Level));
        Assert.Equal(day.Dropped!.Lines.Sum(l => l.Debit), found.Difference);
        Assert.StartsWith("remit:", found.Reference, StringComparison.Ordinal);
        Assert.Contains(":pt_", found.Reference, StringComparison.Ordinal);
        Assert.Equal(day.Dropped.IdempotencyKey[..day.Dropped.IdempotencyKey.LastIndexOf(':')], found.Reference); // the claim's key: its journal's without the kind
    }

    [Fact]
    public void A_dropped_journal_of_the_second_payment_of_a_claim_in_an_835_is_one_break_of_that_payment()
    {
        var remittance = Remittance("TRN-TWICE", [Claim("PCN-T1", 300m), Claim("PCN-T1", 200m), Claim("PCN-T2", 100m)]) with { PaymentDate = Day };
        var matches = Matches(("PCN-T1", "RMC", "ACME"), ("PCN-T2", "RMC", "ACME"));
        var journals = RemittanceRule.Build(Sample, remittance, matches, Day, protectIdentifier: Tokenizer.Tokenize).Journals;
        var dropped = Assert.Single(journals, j => j.Kind == JournalKinds.Cash && j.IdempotencyKey.Contains("#2:", StringComparison.Ordinal));
        var reconciliation = new DailyReconciliation(Sample, Day, Tokenizer.Tokenize);
        reconciliation.AddRemittance(remittance, matches, "remit:TRN-TWICE", Morning);
        foreach (var journal in journals.Where(j => j != dropped))
            reconciliation.AddPostedJournal(journal, Morning.AddMinutes(5));

        var found = Assert.Single(reconciliation.Finish(Morning.AddHours(1)).Breaks);

        Assert.Equal((BreakCauses.Unposted, BreakLevels.Claim, 200m), (found.Cause, found.Level, found.Difference));
        Assert.Equal($"remit:ACME HEALTH PLAN:TRN-TWICE:{Tokenizer.Tokenize("PCN-T1")}#2", found.Reference);
    }

    [Fact]
    public void An_835_of_work_queue_denials_only_posts_nothing_and_is_no_break()
    {
        var remittance = Remittance("TRN-WQ", [Claim("PCN-WQ1", 0m, new Adjustment("CO", "50", 250m)) with { Status = "4" }]) with { PaymentDate = Day };
        var matches = Matches(("PCN-WQ1", "RMC", "ACME"));
        Assert.Empty(RemittanceRule.Build(Sample, remittance, matches, Day, protectIdentifier: Tokenizer.Tokenize).Journals);
        var reconciliation = new DailyReconciliation(Sample, Day, Tokenizer.Tokenize);
        reconciliation.AddRemittance(remittance, matches, "remit:TRN-WQ", Morning);

        Assert.Empty(reconciliation.Finish(Morning.AddHours(1)).Breaks);
    }

    [Fact]
    public void An_835_of_zero_payments_whose_adjustments_post_is_one_unposted_break_when_nothing_posted()
    {
        var remittance = Remittance("TRN-ZERO", [Claim("PCN-Z1", 0m, new Adjustment("CO", "45", 250m))]) with { PaymentDate = Day };
        var matches = Matches(("PCN-Z1", "RMC", "ACME"));
        Assert.NotEmpty(RemittanceRule.Build(Sample, remittance, matches, Day, protectIdentifier: Tokenizer.Tokenize).Journals);
        var reconciliation = new DailyReconciliation(Sample, Day, Tokenizer.Tokenize);
        reconciliation.AddRemittance(remittance, matches, "remit:TRN-ZERO", Morning);

        var found = Assert.Single(reconciliation.Finish(Morning.AddHours(1)).Breaks);
        Assert.Equal((BreakCauses.Unposted, BreakLevels.Remittance), (found.Cause, found.Level));
    }

    [Fact]
    public void A_journal_recorded_twice_is_one_posted_twice_break_and_counts_once()
    {
        var day = GeneratedDay.Create();
        var twice = day.Posted.First(j => j.Kind == JournalKinds.ContractualAllowance);
        day.Posted.Add(twice);

        var report = day.Reconcile();

        var found = Assert.Single(report.Breaks);
        Assert.Equal((BreakCauses.PostedTwice, BreakLevels.Journal, twice.JournalId), (found.Cause, found.Level, found.Reference));
        Assert.All(report.Totals.Where(t => t.Posted is not null), t => Assert.Equal(t.Source, t.Posted));
    }

    [Fact]
    public void Journals_prepared_from_their_bytes_reconcile_as_the_journals_themselves()
    {
        var day = GeneratedDay.Create(drop: j => j.Kind == JournalKinds.Cash && j.Lines.Any(l => l.Debit > 0));
        day.Posted.Add(day.Posted.First(j => j.Kind == JournalKinds.Cash)); // recorded twice: its break names its id
        var written = day.Posted.First(j => j.Kind == JournalKinds.ContractualAllowance);
        var other = written with { JournalId = "JE-" + written.JournalId[3..].ToLowerInvariant() }; // hex digits not as written: read as a Journal
        day.Posted[day.Posted.IndexOf(written)] = other;
        var reconciliation = new DailyReconciliation(Sample, Day, Tokenizer.Tokenize);
        var strings = new Utf8StringPool();

        Assert.All(day.Posted.Where(j => j != other), j => Assert.NotNull(reconciliation.TryPrepareExact(JsonSerializer.SerializeToUtf8Bytes(j, EventJson.Options), strings)));
        Assert.Null(reconciliation.TryPrepareExact(JsonSerializer.SerializeToUtf8Bytes(other, EventJson.Options), strings));
        Assert.Equal(Reserialized(day.Reconcile()), Reserialized(day.Reconcile(fromBytes: true)));
        Assert.Equal(2, day.Reconcile(fromBytes: true).Breaks.Count);
    }

    private static string Reserialized(ReconciliationReport report) => JsonSerializer.Serialize(report, EventJson.Options);

    [Fact]
    public void A_post_found_twice_in_the_erp_copy_is_one_posted_twice_break()
    {
        var day = GeneratedDay.Create();
        var twice = day.Copy[3];
        day.Copy.Add(twice);

        var found = Assert.Single(day.Reconcile().Breaks);

        Assert.Equal((BreakCauses.PostedTwice, BreakLevels.Post, twice.JournalId), (found.Cause, found.Level, found.Reference));
    }

    [Fact]
    public void A_post_the_erp_rejected_is_one_erp_rejected_break()
    {
        var day = GeneratedDay.Create(reject: b => b.MemberKeys.Count > 2);

        var report = day.Reconcile();

        var found = Assert.Single(report.Breaks);
        Assert.Equal((BreakCauses.ErpRejected, BreakLevels.Post, day.Rejected!.Journal.JournalId), (found.Cause, found.Level, found.Reference));
        Assert.Contains("account closed", found.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void An_amount_changed_in_the_erp_copy_is_one_amount_mismatch_break()
    {
        var day = GeneratedDay.Create();
        var index = day.Copy.FindIndex(j => j.Lines.Count > 2);
        var changed = day.Copy[index];
        var line = changed.Lines[1];
        day.Copy[index] = changed with { Lines = [.. changed.Lines.Select(l => ReferenceEquals(l, line) ? l with { Debit = l.Debit == 0 ? 0 : l.Debit + 10m, Credit = l.Credit == 0 ? 0 : l.Credit + 10m } : l)] };

        var report = day.Reconcile();

        var found = Assert.Single(report.Breaks);
        Assert.Equal((BreakCauses.AmountMismatch, BreakLevels.Erp, changed.Source.CorrelationId), (found.Cause, found.Level, found.Reference));
        Assert.Equal(10m, Math.Abs(found.Difference));
        Assert.Contains(line.Account, found.Detail, StringComparison.Ordinal);
        Assert.Single(report.Accounts, a => a.Posted != a.Erp);
    }

    [Fact]
    public void An_acknowledged_post_missing_from_the_erp_copy_is_one_unposted_post_break()
    {
        var day = GeneratedDay.Create();
        var lost = day.Copy[0];
        day.Copy.RemoveAt(0);

        var found = Assert.Single(day.Reconcile().Breaks);

        Assert.Equal((BreakCauses.Unposted, BreakLevels.Post, lost.JournalId), (found.Cause, found.Level, found.Reference));
    }

    [Fact]
    public void An_835_waiting_on_a_missing_mapping_is_one_unmapped_break()
    {
        var day = GeneratedDay.Create();
        var remittance = Remittance("TRN-UNMAPPED", [Claim("PCN-U1", 100m, new Adjustment("CO", "45", 20m))]) with { PaymentDate = Day };
        var matches = Matches(("PCN-U1", "NEW-CLINIC", "ACME"));
        var instance = $"remit:{remittance.Payer}:TRN-UNMAPPED";
        Assert.True(RemittanceRule.Build(Sample, remittance, matches, Day).Blocked);
        day.Remittances.Add((remittance, matches));
        day.Exceptions.Add(new ExceptionFact("EX-1", "missing-mapping", "facility:NEW-CLINIC", instance, true, Morning, null));

        var report = day.Reconcile();

        var found = Assert.Single(report.Breaks);
        Assert.Equal((BreakCauses.Unmapped, BreakLevels.Remittance, instance, 100m), (found.Cause, found.Level, found.Reference, found.Difference));
        Assert.Contains("EX-1", found.Detail, StringComparison.Ordinal);
        Assert.Single(report.Counts, c => c.Stage == CountStages.InException && c.Source == "missing-mapping");
    }

    [Fact]
    public void Breaks_age_from_the_source_and_late_posting_breaches_the_payment_posting_lag()
    {
        var day = GeneratedDay.Create(drop: j => j.Kind == JournalKinds.Cash);
        day.RecordedAt = Morning.AddHours(30);

        var report = day.Reconcile(asOf: Morning.AddDays(3));

        Assert.All(report.Breaks, b => Assert.Equal(3m, b.AgeDays));
        Assert.Contains(report.SlaBreaches, s => s.Sla == SlaNames.PaymentPostingLag && s.Hours == 30m && !s.Open);
        Assert.DoesNotContain(report.Slas, s => s.Sla == SlaNames.DischargeToBill && s.Breached);
    }

    /// <summary>Sources, the journals the rules built for them, the posts the ERP acknowledged and its copy of them.</summary>
    private sealed class GeneratedDay
    {
        public List<(EncounterDischarged Discharge, List<ChargeEvent> Charges)> Discharges { get; } = [];
        public List<(RemittanceReceived Remittance, IReadOnlyDictionary<string, ClaimMatch> Matches)> Remittances { get; } = [];
        public List<Journal> Posted { get; } = [];
        public List<ErpPostFact> Posts { get; } = [];
        public List<Journal> Copy { get; } = [];
        public List<ExceptionFact> Exceptions { get; } = [];
        public Journal? Dropped { get; private set; }
        public JournalBatch? Rejected { get; private set; }
        public DateTimeOffset RecordedAt { get; set; } = Morning.AddMinutes(5);

        public static GeneratedDay Create(Func<Journal, bool>? drop = null, Func<JournalBatch, bool>? reject = null)
        {
            var day = new GeneratedDay();
            var random = new Random(20260116);
            var perReceipt = new List<List<Journal>>();
            for (var e = 0; e < 12; e++)
            {
                var discharge = TestData.Discharge(encounter: $"V{e:D4}") with { CorrelationId = $"rcpt-adt-{e}", DischargedAt = Morning.AddHours(-2) };
                var charges = new List<ChargeEvent> { Charge($"{e}-1", "0450", 1000m + e, "ED", encounter: discharge.EncounterId), Charge($"{e}-2", "0300", 80.5m, "LAB", encounter: discharge.EncounterId) };
                var accrual = RevenueAccrualRule.Build(Sample, discharge, charges, Day, protectIdentifier: Tokenizer.Tokenize);
                Assert.False(accrual.Blocked, string.Join(", ", accrual.Issues));
                day.Discharges.Add((discharge, charges));
                perReceipt.Add([.. accrual.Journals]);
            }

            while (day.Remittances.Count < 15)
            {
                var (remittance, matches) = RemittanceGenerator.Create(random.Next());
                remittance = remittance with { PaymentDate = Day };
                var built = RemittanceRule.Build(Sample, remittance, matches, Day, protectIdentifier: Tokenizer.Tokenize);
                if (built.Blocked || built.Journals.Count == 0)
                    continue;
                day.Remittances.Add((remittance, matches));
                perReceipt.Add([.. built.Journals]);
            }

            foreach (var journals in perReceipt)
            {
                if (drop is not null && day.Dropped is null && journals.FirstOrDefault(drop) is { } dropped)
                {
                    journals.Remove(dropped);
                    day.Dropped = dropped;
                }

                // As the workflow does: batch per source document, post, record the members the ERP accepted.
                foreach (var batch in JournalBatcher.Batch(journals, Sample))
                {
                    if (reject is not null && day.Rejected is null && reject(batch))
                    {
                        day.Rejected = batch;
                        day.Posts.Add(new ErpPostFact(batch.Journal.IdempotencyKey, batch.Journal.Source.CorrelationId, false, Morning, "account closed"));
                        continue;
                    }

                    day.Posts.Add(new ErpPostFact(batch.Journal.IdempotencyKey, batch.Journal.Source.CorrelationId, true, Morning));
                    day.Copy.Add(batch.Journal);
                    day.Posted.AddRange(journals.Where(j => batch.MemberKeys.Contains(j.IdempotencyKey)));
                }
            }

            if (drop is not null)
                Assert.NotNull(day.Dropped);
            if (reject is not null)
                Assert.NotNull(day.Rejected);
            return day;
        }

        /// <param name="asOf">When breaks are aged (an hour after the morning).</param>
        /// <param name="fromBytes">The posted journals prepared from their JSON, as reconciliation's scans read them, else added as journals.</param>
        public ReconciliationReport Reconcile(DateTimeOffset? asOf = null, bool fromBytes = false)
        {
            var reconciliation = new DailyReconciliation(Sample, Day, Tokenizer.Tokenize, new ReconciliationSettings { ErpKeepsCopy = true });
            var strings = new Utf8StringPool();
            foreach (var (discharge, charges) in Discharges)
                reconciliation.AddDischarge(discharge, charges, $"discharge:{discharge.Facility}:{discharge.EncounterId}", Morning.AddHours(-1));
            foreach (var (remittance, matches) in Remittances)
                reconciliation.AddRemittance(remittance, matches, $"remit:{remittance.Payer}:{remittance.TraceNumber}", Morning);
            foreach (var journal in Posted)
            {
                if (fromBytes)
                    reconciliation.AddPostedJournal(reconciliation.Prepare(JsonSerializer.SerializeToUtf8Bytes(journal, EventJson.Options), strings)!, RecordedAt);
                else
                    reconciliation.AddPostedJournal(journal, RecordedAt);
            }
            foreach (var post in Posts)
                reconciliation.AddErpPost(post);
            foreach (var journal in Copy)
                reconciliation.AddErpCopy(journal);
            foreach (var exception in Exceptions)
                reconciliation.AddException(exception);
            return reconciliation.Finish(asOf ?? Morning.AddHours(1));
        }
    }
}
