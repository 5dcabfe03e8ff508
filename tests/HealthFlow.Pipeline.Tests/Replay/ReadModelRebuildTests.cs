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
}
