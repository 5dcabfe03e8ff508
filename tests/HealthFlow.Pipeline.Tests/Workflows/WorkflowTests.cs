using System.Globalization;
using System.Text.Json;
using HealthFlow.Finance;
using HealthFlow.Finance.Events;
using HealthFlow.Finance.Journals;
using HealthFlow.Finance.Posting;
using HealthFlow.Pipeline.Bus;
using HealthFlow.Pipeline.Orchestration;
using HealthFlow.Pipeline.Workflows;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using static HealthFlow.Pipeline.Tests.Workflows.WorkflowSamples;
using HealthFlow.Tests.Shared;

namespace HealthFlow.Pipeline.Tests.Workflows;

/// <summary>Discharge-to-bill and remittance-to-GL end to end on the embedded engine, bus, ledger and file ERP.</summary>
public sealed class WorkflowTests
{
    [Fact]
    public async Task A_discharged_encounter_with_charges_posts_one_balanced_accrual_without_the_encounter_number()
    {
        await using var f = await WorkflowFixture.StartAsync();
        await f.PublishAsync(Charge("ENC-1001", "C1", 450.00m, "0450"));
        await f.PublishAsync(Charge("ENC-1001", "C2", 120.25m, "0300"));
        await UntilChargesAsync(f, "ENC-1001", 2);
        await f.PublishAsync(Discharge("ENC-1001"));

        var done = await f.WaitAsync(WorkflowInstanceIds.Discharge("RMC", "ENC-1001"));

        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        Assert.Equal(DischargeToBillResult.Posted, done.ReadOutputAs<DischargeToBillResult>()!.Outcome);
        Assert.True((await f.Engine.VerifyReplayAsync(done.InstanceId)).IsDeterministic);
        var journal = Assert.Single(f.ErpJournals());
        Assert.Equal(JournalIds.Accrual("RMC", f.Tokenizer.Tokenize("ENC-1001")), journal.GetProperty("idempotencyKey").GetString());
        var (debit, credit) = Totals(journal);
        Assert.Equal(570.25m, debit);
        Assert.Equal(debit, credit);
        Assert.DoesNotContain("ENC-1001", await File.ReadAllTextAsync(f.JournalsFile), StringComparison.Ordinal);
        Assert.Empty(f.Services.GetRequiredService<ExceptionBook>().List(open: null));
    }

    [Fact]
    public async Task An_unmapped_department_waits_and_resumes_after_the_mapping_fix()
    {
        await using var f = await WorkflowFixture.StartAsync();
        await f.PublishAsync(Charge("ENC-2001", "C1", 300.00m, "0450"));
        await UntilChargesAsync(f, "ENC-2001", 1);
        await f.PublishAsync(Discharge("ENC-2001", department: "ER-9"));
        var instance = WorkflowInstanceIds.Discharge("RMC", "ENC-2001");
        var book = f.Services.GetRequiredService<ExceptionBook>();

        await Poll.UntilAsync(() => Task.FromResult(book.List(open: true).Any(e => e.Reference == "department:ER-9")), "the missing-mapping exception");
        var exception = book.List(open: true).Single(e => e.Reference == "department:ER-9");
        Assert.Equal("missing-mapping", exception.Reason);
        Assert.Equal(instance, exception.InstanceId);
        Assert.Equal(WorkflowEvents.MappingUpdated, exception.ResumeEvent);
        Assert.Contains($"/api/exceptions/{exception.Id}/resolve", exception.Action, StringComparison.Ordinal);
        Assert.Equal(Discharge("ENC-2001").CorrelationId, exception.CorrelationId);
        Assert.Equal(OrchestrationRuntimeStatus.Running, (await f.Engine.GetInstanceAsync(instance, false))!.RuntimeStatus);
        Assert.Empty(f.ErpJournals());

        var departments = Path.Combine(f.MasterDataFolder, "departments.json");
        var text = await File.ReadAllTextAsync(departments);
        await File.WriteAllTextAsync(departments, text.Replace("\"departments\": [", "\"departments\": [\n    {\"code\": \"ER-9\", \"facility\": \"RMC\", \"name\": \"Overflow emergency\", \"costCenter\": \"N-ED-RMC\"},", StringComparison.Ordinal));
        var endpoints = f.Services.GetRequiredService<ExceptionEndpoints>();
        var vendorRequest = new DefaultHttpContext().Request;
        Assert.IsNotType<Microsoft.AspNetCore.Http.HttpResults.JsonHttpResult<object>>(await endpoints.ResolveAsync(vendorRequest, exception.Id));
        Assert.Null(book.Find(exception.Id)!.ResolvedAt);
        var admin = new DefaultHttpContext();
        admin.Request.Headers["x-functions-key"] = WorkflowFixture.AdminKey;
        await endpoints.ResolveAsync(admin.Request, exception.Id);

        var done = await f.WaitAsync(instance);
        Assert.Equal(DischargeToBillResult.Posted, done.ReadOutputAs<DischargeToBillResult>()!.Outcome);
        var journal = Assert.Single(f.ErpJournals());
        Assert.Contains(journal.GetProperty("lines").EnumerateArray(), l => l.GetProperty("costCenter").GetString() == "N-ED-RMC");
        Assert.NotNull(book.Find(exception.Id)!.ResolvedAt);
        Assert.DoesNotContain(book.List(open: true), e => e.InstanceId == instance);
    }

    [Fact]
    public async Task An_835_with_a_matched_claim_posts_balanced_cash_contractual_and_patient_journals_that_tie_to_it()
    {
        await using var f = await WorkflowFixture.StartAsync();
        await f.PublishAsync(Claim("PCN-3001", "ENC-3001", 1000m));
        await UntilClaimAsync(f, "PCN-3001");
        await f.PublishAsync(Remittance("TRN-3001", "PCN-3001"));

        var done = await f.WaitAsync(WorkflowInstanceIds.Remittance("ACME", "TRN-3001"));

        var result = done.ReadOutputAs<RemittanceToGlResult>()!;
        Assert.Equal(RemittanceToGlResult.Posted, result.Outcome);
        Assert.Equal(0, result.Exceptions);
        var journals = f.ErpJournals();
        Assert.NotEmpty(journals);
        Assert.All(journals, j => Assert.Equal(Totals(j).Debit, Totals(j).Credit));
        var net = NetByAccount(journals);
        Assert.Equal(700m, net["1120"]);     // bank clearing (ACH) = BPR02
        Assert.Equal(200m, net["4900"]);     // contractual allowance = CAS CO-45
        Assert.Equal(100m, net["1230"]);     // patient AR = CAS PR-1
        Assert.Equal(-1000m, net["1202"]);   // commercial insurance AR relieved by CLP03
        Assert.DoesNotContain("PCN-3001", await File.ReadAllTextAsync(f.JournalsFile), StringComparison.Ordinal);
        Assert.True((await f.Engine.VerifyReplayAsync(WorkflowInstanceIds.Remittance("ACME", "TRN-3001"))).IsDeterministic);
    }

    [Fact]
    public async Task A_medicare_835_posts_its_cash_as_one_journal_and_records_the_journals_of_every_claim_payment()
    {
        await using var f = await WorkflowFixture.StartAsync();
        string[] claims = ["PCN-3101", "PCN-3102", "PCN-3103"];
        foreach (var claim in claims)
            await f.PublishAsync(Claim(claim, "ENC-" + claim, 1000m) with { Payer = "MCR-B" });
        foreach (var claim in claims)
            await UntilClaimAsync(f, claim);
        var template = Remittance("TRN-3101", claims[0]);
        await f.PublishAsync(template with
        {
            IdempotencyKey = "835:MCR-B:TRN-3101",
            Payer = "MCR-B",
            PaymentAmount = new Money(2100m, "USD"),
            Claims = [.. claims.Select(c => template.Claims[0] with { PatientControlNumber = c })],
        });

        var done = await f.WaitAsync(WorkflowInstanceIds.Remittance("MCR-B", "TRN-3101"));

        // Cash, contractual and patient responsibility per claim payment, in two posts: the cash and the rest.
        Assert.Equal(new RemittanceToGlResult(RemittanceToGlResult.Posted, 9, 2, 0), done.ReadOutputAs<RemittanceToGlResult>());
        var cash = Assert.Single(f.ErpJournals(), j => j.GetProperty("kind").GetString() == JournalKinds.Cash);
        Assert.Equal(2100m, NetByAccount([cash])["1120"]);
        var recorded = await f.Ledger.ReadStreamAsync(WorkflowReadModels.JournalStream).ToListAsync();
        Assert.Equal(9, recorded.Count);
        Assert.Equal(3, recorded.Count(r => r.Key.EndsWith(":cash", StringComparison.Ordinal)));
        Assert.True((await f.Engine.VerifyReplayAsync(WorkflowInstanceIds.Remittance("MCR-B", "TRN-3101"))).IsDeterministic);
    }

    [Fact]
    public async Task A_second_different_835_with_the_same_payer_and_trace_number_is_an_exception_not_a_silent_drop()
    {
        await using var f = await WorkflowFixture.StartAsync();
        await f.PublishAsync(Remittance("TRN-3501", "PCN-3501"));
        await f.WaitAsync(WorkflowInstanceIds.Remittance("ACME", "TRN-3501"));

        await f.PublishAsync(Remittance("TRN-3501", "PCN-3502") with { IdempotencyKey = "835:ACME:TRN-3501:another" });

        var book = f.Services.GetRequiredService<ExceptionBook>();
        await Poll.UntilAsync(() => Task.FromResult(book.List().Any(e => e.Reason == "duplicate-trace-number")), "the duplicate-trace-number exception");
        var exception = Assert.Single(book.List(), e => e.Reason == "duplicate-trace-number");
        Assert.Equal(WorkflowInstanceIds.Remittance("ACME", "TRN-3501"), exception.InstanceId);
    }

    [Fact]
    public async Task A_clp02_22_reversal_nets_the_original_to_zero()
    {
        await using var f = await WorkflowFixture.StartAsync();
        await f.PublishAsync(Claim("PCN-4001", "ENC-4001", 1000m));
        await UntilClaimAsync(f, "PCN-4001");
        await f.PublishAsync(Remittance("TRN-4001", "PCN-4001"));
        await f.WaitAsync(WorkflowInstanceIds.Remittance("ACME", "TRN-4001"));
        var original = f.ErpJournals().Count;

        await f.PublishAsync(Remittance("TRN-4002", "PCN-4001", reversal: true));
        var done = await f.WaitAsync(WorkflowInstanceIds.Remittance("ACME", "TRN-4002"));

        var result = done.ReadOutputAs<RemittanceToGlResult>()!;
        Assert.Equal(RemittanceToGlResult.Posted, result.Outcome);
        Assert.Equal(0, result.Exceptions);
        var journals = f.ErpJournals();
        Assert.True(journals.Count > original);
        // The reversal mirrored the original journals from the ledger (keys …:reversal-of:{original id}), not its own amounts.
        var recorded = new List<string>();
        await foreach (var record in f.Ledger.ReadStreamAsync(WorkflowReadModels.JournalStream))
            recorded.Add(record.Key);
        Assert.Contains(recorded, k => k.Contains(":reversal-of:JE-", StringComparison.Ordinal));
        Assert.All(journals, j => Assert.Equal(Totals(j).Debit, Totals(j).Credit));
        Assert.All(NetByAccount(journals), n => Assert.Equal(0m, n.Value));
    }

    [Fact]
    public async Task A_reversal_mirrors_the_payment_it_negates_not_a_later_payment_of_the_same_claim_number()
    {
        await using var f = await WorkflowFixture.StartAsync();
        await f.PublishAsync(Claim("PCN-4101", "ENC-4101", 1000m));
        await UntilClaimAsync(f, "PCN-4101");
        await f.PublishAsync(Remittance("TRN-4101", "PCN-4101"));
        await f.WaitAsync(WorkflowInstanceIds.Remittance("ACME", "TRN-4101"));
        // Another payment under the same CLP01 (e.g. another provider's claim number), recorded after the first.
        await f.PublishAsync(Remittance("TRN-4102", "PCN-4101", scale: 0.5m));
        await f.WaitAsync(WorkflowInstanceIds.Remittance("ACME", "TRN-4102"));

        await f.PublishAsync(Remittance("TRN-4103", "PCN-4101", reversal: true));
        await f.WaitAsync(WorkflowInstanceIds.Remittance("ACME", "TRN-4103"));

        // Only the second payment is left: the reversal's cash line is its CLP04 (-700.00), as reconciliation checks.
        var net = NetByAccount(f.ErpJournals());
        Assert.Equal(350m, net["1120"]);
        Assert.Equal(100m, net["4900"]);
        Assert.Equal(50m, net["1230"]);
        Assert.Equal(-500m, net["1202"]);
    }

    [Fact]
    public async Task An_835_matches_a_claim_the_ledger_recorded_before_it_while_the_claims_router_lags_behind()
    {
        await using var f = await WorkflowFixture.StartAsync();
        // A claim index whose router has delivered nothing yet: the 837's claim is only in the ledger (committed with its receipt).
        var lagging = new WorkflowReadModels(f.Ledger, f.Tokenizer);
        await lagging.StartAsync();
        await f.PublishAsync(Claim("PCN-4201", "ENC-4201", 1000m));
        var remittance = Remittance("TRN-4201", "PCN-4201");
        await f.PublishAsync(remittance);
        var record = await f.Ledger.ReadStreamAsync(BusRecords.TopicStream("remittances")).SingleAsync();
        var plannedPosts = new PlannedPostMembers(f.Ledger);
        var build = new BuildRemittanceActivity(f.Ledger, lagging, f.Services.GetRequiredService<MasterDataSource>(), f.Tokenizer, plannedPosts);

        var plan = await build.RunAsync(new ActivityContext(nameof(BuildRemittanceActivity), "remit:test", 0, 1),
            new BuildRemittanceInput(record.Seq, remittance.IdempotencyKey, 0, new DateOnly(2026, 11, 21)), CancellationToken.None);

        Assert.DoesNotContain(plan.Issues, i => i is UnmatchedClaim);
        var members = new List<Journal>();
        foreach (var post in plan.Posts)
            members.AddRange((await plannedPosts.ReadAsync(post, CancellationToken.None)).Select(m => m.Journal));
        Assert.Contains(members, j => j.Kind == JournalKinds.Cash);
        Assert.DoesNotContain(members, j => j.Kind == JournalKinds.UnappliedCash);
    }

    [Fact]
    public async Task A_discharge_bills_the_charges_the_ledger_recorded_before_it_while_the_charges_router_lags_behind()
    {
        await using var f = await WorkflowFixture.StartAsync();
        // Read models whose charges router has delivered nothing yet: the charges are only in the ledger (committed with their receipts).
        var lagging = new WorkflowReadModels(f.Ledger, f.Tokenizer);
        await lagging.StartAsync();
        await f.PublishAsync(Charge("ENC-4301", "C1", 800.00m, "0450"));
        await f.PublishAsync(Charge("ENC-4301", "C2", 150.25m, "0300"));
        var encounter = new EncounterRef("RMC", "ENC-4301");
        var context = new ActivityContext(nameof(BuildAccrualActivity), "discharge:test", 0, 1);

        var count = await new CountChargesActivity(lagging).RunAsync(context, encounter, CancellationToken.None);
        var plan = await new BuildAccrualActivity(lagging, f.Services.GetRequiredService<MasterDataSource>(), f.Tokenizer)
            .RunAsync(context, new BuildAccrualInput(Discharge("ENC-4301"), 0, new DateOnly(2026, 11, 21)), CancellationToken.None);

        Assert.Equal(2, count);
        Assert.Equal(2, plan.ChargeCount);
        Assert.Equal(950.25m, plan.Journal!.TotalDebit);
        Assert.Empty(plan.Differences);
    }

    [Fact]
    public async Task A_discharge_cancelled_after_posting_reverses_the_accrual()
    {
        await using var f = await WorkflowFixture.StartAsync();
        await f.PublishAsync(Charge("ENC-5001", "C1", 800.00m, "0450"));
        await UntilChargesAsync(f, "ENC-5001", 1);
        await f.PublishAsync(Discharge("ENC-5001"));
        await f.WaitAsync(WorkflowInstanceIds.Discharge("RMC", "ENC-5001"));

        await f.PublishAsync(CancelDischarge("ENC-5001"));
        var done = await f.WaitAsync(WorkflowInstanceIds.DischargeReversal("RMC", "ENC-5001"));

        Assert.Equal(DischargeToBillResult.PostedThenReversed, done.ReadOutputAs<DischargeToBillResult>()!.Outcome);
        var journals = f.ErpJournals();
        Assert.Equal(2, journals.Count);
        Assert.Equal(journals[0].GetProperty("journalId").GetString(), journals[1].GetProperty("reversalOf").GetString());
        Assert.All(NetByAccount(journals), n => Assert.Equal(0m, n.Value));
    }

    [Fact]
    public async Task Replaying_the_whole_ledger_after_a_restart_posts_nothing_new()
    {
        await using var f = await WorkflowFixture.StartAsync();
        var events = new List<HealthFlow.Finance.Events.CanonicalEvent>
        {
            Charge("ENC-6001", "C1", 210.00m, "0450"),
            Claim("PCN-6001", "ENC-6001", 1000m),
        };
        foreach (var e in events)
            await f.PublishAsync(e);
        await UntilChargesAsync(f, "ENC-6001", 1);
        await UntilClaimAsync(f, "PCN-6001");
        events.Add(Discharge("ENC-6001"));
        events.Add(Remittance("TRN-6001", "PCN-6001"));
        await f.PublishAsync(events[2]);
        await f.PublishAsync(events[3]);
        var discharge = (await f.WaitAsync(WorkflowInstanceIds.Discharge("RMC", "ENC-6001"))).SerializedInput;
        var remittance = (await f.WaitAsync(WorkflowInstanceIds.Remittance("ACME", "TRN-6001"))).SerializedInput;
        var before = KeyCounts(f.ErpJournals());
        Assert.All(before, k => Assert.Equal(1, k.Value));

        await f.RestartAsync();
        foreach (var e in events)
            await f.PublishAsync(e);
        // Beyond redelivery: run both workflows again from scratch under new instance ids on the same inputs.
        await f.Engine.StartIfNotExistsAsync(nameof(DischargeToBillOrchestrator), "replay:discharge", JsonDocument.Parse(discharge!).RootElement);
        await f.Engine.StartIfNotExistsAsync(nameof(RemittanceToGlOrchestrator), "replay:remit", JsonDocument.Parse(remittance!).RootElement);
        Assert.Equal(DischargeToBillResult.Posted, (await f.WaitAsync("replay:discharge")).ReadOutputAs<DischargeToBillResult>()!.Outcome);
        Assert.Equal(RemittanceToGlResult.Posted, (await f.WaitAsync("replay:remit")).ReadOutputAs<RemittanceToGlResult>()!.Outcome);
        await Task.Delay(500);

        var after = KeyCounts(f.ErpJournals());
        Assert.Equal(before, after);
    }

    private static Task UntilChargesAsync(WorkflowFixture f, string encounter, int count) =>
        Poll.UntilAsync(() => Task.FromResult(f.Services.GetRequiredService<WorkflowReadModels>().ChargesOf("RMC", encounter).Count >= count), $"{count} charges");

    private static Task UntilClaimAsync(WorkflowFixture f, string claimId) =>
        Poll.UntilAsync(() => Task.FromResult(f.Services.GetRequiredService<WorkflowReadModels>().FindClaim(claimId) is not null), "the claim index");

    private static (decimal Debit, decimal Credit) Totals(JsonElement journal)
    {
        decimal debit = 0, credit = 0;
        foreach (var line in journal.GetProperty("lines").EnumerateArray())
        {
            debit += Amount(line, "debit");
            credit += Amount(line, "credit");
        }

        return (debit, credit);
    }

    private static Dictionary<string, decimal> NetByAccount(IEnumerable<JsonElement> journals)
    {
        var net = new Dictionary<string, decimal>(StringComparer.Ordinal);
        foreach (var line in journals.SelectMany(j => j.GetProperty("lines").EnumerateArray()))
        {
            var account = line.GetProperty("account").GetString()!;
            net[account] = net.GetValueOrDefault(account) + Amount(line, "debit") - Amount(line, "credit");
        }

        return net;
    }

    private static SortedDictionary<string, int> KeyCounts(IEnumerable<JsonElement> journals)
    {
        var counts = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var key in journals.Select(j => j.GetProperty("idempotencyKey").GetString()!))
            counts[key] = counts.GetValueOrDefault(key) + 1;
        return counts;
    }

    private static decimal Amount(JsonElement line, string name) =>
        line.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null
            ? value.ValueKind == JsonValueKind.String ? decimal.Parse(value.GetString()!, CultureInfo.InvariantCulture) : value.GetDecimal()
            : 0m;
}
