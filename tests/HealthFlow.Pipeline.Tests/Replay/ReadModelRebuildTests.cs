using System.Text.Json;
using HealthFlow.Finance.Events;
using HealthFlow.Finance.Journals;
using HealthFlow.Ledger;
using HealthFlow.Pipeline.Bus;
using HealthFlow.Pipeline.ReadModels;
using HealthFlow.Pipeline.Tests.Support;
using HealthFlow.Pipeline.Tests.Workflows;
using HealthFlow.Pipeline.Workflows;
using Microsoft.Extensions.DependencyInjection;
using static HealthFlow.Pipeline.Tests.Reconciliation.ReconciliationRunnerTests;
using static HealthFlow.Pipeline.Tests.Workflows.WorkflowSamples;
using HealthFlow.Tests.Shared;

namespace HealthFlow.Pipeline.Tests.Replay;

/// <summary>The finance read models rebuilt from the ledger from zero equal the ones the running runtime kept live.</summary>
public sealed class ReadModelRebuildTests
{
    [Fact]
    public async Task Rebuilding_the_read_models_from_zero_gives_what_the_runtime_kept_live()
    {
        await using var host = await RuntimeHost.StartAsync(new Dictionary<string, string?> { ["Workflows:QuietPeriodSeconds"] = "0.3" });
        var runtime = host.Runtime;
        await PostDayAsync(host, withDischarge: true);
        // An 835 for a claim never billed here: unapplied cash and an unmatched-claim exception, which is then resolved.
        await PublishAsync(runtime.Bus, Remittance("TRN-7501", "PCN-UNKNOWN"));
        var book = runtime.Services.GetRequiredService<ExceptionBook>();
        await Poll.UntilAsync(() => Task.FromResult(book.List(open: true).Any(e => e.Reason == "unmatched-claim")), "the unmatched-claim exception");
        await book.ResolveAsync(book.List(open: true).First(e => e.Reason == "unmatched-claim").Id, CancellationToken.None);
        await Poll.UntilAsync(async () => await runtime.Orchestrations.GetInstanceAsync(WorkflowInstanceIds.Remittance("ACME", "TRN-7501"), false) is { RuntimeStatus: HealthFlow.Pipeline.Orchestration.OrchestrationRuntimeStatus.Completed }, "TRN-7501 posted");

        var live = runtime.Services.GetRequiredService<LiveReadModels>();
        await live.WaitForCatchUpAsync();
        var kept = live.Models.Snapshot();
        var rebuilt = (await FinanceReadModels.RebuildAsync(runtime.Ledger, FinanceReadModels.ArAccounts(runtime.Services.GetRequiredService<MasterDataSource>().Current))).Snapshot();

        Assert.Equal(kept.ArSubLedger, rebuilt.ArSubLedger);
        Assert.Equal(kept.JournalRegister, rebuilt.JournalRegister);
        Assert.Equal(kept.Exceptions, rebuilt.Exceptions);

        // And they say what the workflows' own read models say.
        var accepted = await runtime.Ledger.ReadStreamAsync(WorkflowReadModels.JournalStream).CountAsync();
        Assert.Equal(accepted, rebuilt.JournalRegister.Count);
        Assert.All(rebuilt.JournalRegister, j => Assert.NotNull(j.Document));
        Assert.Equal(book.List().Select(e => (e.Id, e.ResolvedAt is null)), rebuilt.Exceptions.Select(e => (e.Id, e.ResolvedAt is null)));
        Assert.Contains(rebuilt.Exceptions, e => e.ResolvedAt is not null);
        Assert.Contains(rebuilt.ArSubLedger, a => a is { Payer: "ACME", Facility: "RMC" } && a.Balance != 0m);
    }

    [Fact]
    public void A_journal_and_the_post_that_carried_it_give_one_register_entry_in_either_order_and_a_journal_recorded_twice_counts_once()
    {
        var cash = JournalRecord("k1", "JE-1", 10.25m);
        var contractual = JournalRecord("k2", "JE-2", 4m);
        var posted = Record(3, TopicRecords.For("journals", new BusMessage("posted:b1", JournalPosted.MessageType,
            JsonSerializer.SerializeToUtf8Bytes(new JournalPosted("b1", "JE-B1", ["k1", "k2"], ["D-1", "D-2"], "file", false, "i1"), EventJson.Options), "", "c1", "i1")));
        var postFirst = new FinanceReadModels(ArAccounts);
        var postLast = new FinanceReadModels(ArAccounts);

        foreach (var record in new[] { posted, cash, contractual, cash })
            postFirst.Apply(record);
        foreach (var record in new[] { cash, contractual, cash, posted })
            postLast.Apply(record);

        var snapshot = postFirst.Snapshot();
        Assert.Equal(snapshot.JournalRegister, postLast.Snapshot().JournalRegister);
        Assert.Equal(snapshot.ArSubLedger, postLast.Snapshot().ArSubLedger);
        Assert.Equal([("k1", "JE-1", 10.25m, "D-1 D-2"), ("k2", "JE-2", 4m, "D-1 D-2")],
            snapshot.JournalRegister.Select(j => (j.IdempotencyKey, j.JournalId, j.Amount, j.Document)));
        Assert.Equal(new ArBalance("RHS-SOUTH", "ACME", "RMC", "1121", 14.25m, 0m), Assert.Single(snapshot.ArSubLedger));
    }

    private static readonly HashSet<string> ArAccounts = new(["1121"], StringComparer.Ordinal);

    private static LedgerRecord JournalRecord(string key, string id, decimal amount) => Record(1, new LedgerEntry(WorkflowReadModels.JournalStream, WorkflowReadModels.JournalRecordType, key, "c1", "i1",
        JsonSerializer.SerializeToUtf8Bytes(new Journal
        {
            JournalId = id, IdempotencyKey = key, LegalEntity = "RHS-SOUTH", Currency = "USD", PostingDate = new DateOnly(2026, 11, 20), Kind = "cash",
            Source = new JournalSource("c1", "c1"), Lines = [new JournalLine("1121", amount, 0m, Facility: "RMC", Payer: "ACME"), new JournalLine("1202", 0m, amount)],
        }, EventJson.Options)));

    private static LedgerRecord Record(long seq, LedgerEntry entry) =>
        new(seq, new DateTimeOffset(2026, 11, 20, 12, 0, 0, TimeSpan.Zero), entry.Stream, entry.Type, entry.Key, entry.CorrelationId, entry.CausationId, entry.Payload, new byte[32], new byte[32]);
}
