using HealthFlow.Pipeline.Orchestration;

namespace HealthFlow.Pipeline.Tests.Orchestration;

public sealed class A_cached_orchestrator
{
    [Fact]
    public async Task resumes_with_only_new_events()
    {
        await using var f = await OrchestrationFixture.StartAsync();
        await f.Engine.StartIfNotExistsAsync("CountedSequence", "cached:1", 1);

        var done = await f.WaitAsync("cached:1");

        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        Assert.Equal("4", done.SerializedOutput);
        // Four episodes (the start and three results); the code started once and was handed each result.
        Assert.Equal(4, (await f.HistoryAsync("cached:1")).Count(e => e.Type == HistoryEventType.OrchestratorStarted));
        Assert.Equal(1, f.Effects.OrchestratorStarts);
    }

    [Fact]
    public async Task records_the_same_history_as_replaying_every_episode()
    {
        await using var cached = await OrchestrationFixture.StartAsync();
        await using var replayed = await OrchestrationFixture.StartAsync(cachedOrchestrations: 0);
        foreach (var f in new[] { cached, replayed })
        {
            await f.Engine.StartIfNotExistsAsync(nameof(FanOutOrchestrator), "fan:same", 5);
            await f.WaitAsync("fan:same");
        }

        // Results arrive in a different order and batching each run: compare what the code decided.
        static IEnumerable<string> Shape(IEnumerable<HistoryEvent> history) => history
            .Where(e => e.Type is HistoryEventType.TaskScheduled or HistoryEventType.CustomStatusSet or HistoryEventType.ExecutionCompleted)
            .Select(e => $"{e.Type} {e.EventId} {e.Name} {e.Input} {e.Result}");
        Assert.Equal(Shape(await replayed.HistoryAsync("fan:same")), Shape(await cached.HistoryAsync("fan:same")));
        var verification = await cached.Engine.VerifyReplayAsync("fan:same");
        Assert.True(verification.IsDeterministic, verification.Problem);
    }

    [Fact]
    public async Task without_a_cache_replays_the_whole_history_every_episode()
    {
        await using var f = await OrchestrationFixture.StartAsync(cachedOrchestrations: 0);
        await f.Engine.StartIfNotExistsAsync("CountedSequence", "uncached:1", 1);

        Assert.Equal("4", (await f.WaitAsync("uncached:1")).SerializedOutput);
        Assert.Equal(4, f.Effects.OrchestratorStarts);
    }
}

public sealed class An_evicted_instance
{
    [Fact]
    public async Task replays_from_the_ledger_and_then_resumes_cached()
    {
        await using var f = await OrchestrationFixture.StartAsync(cachedOrchestrations: 1);
        await f.Engine.StartIfNotExistsAsync("CountedWait", "evicted:a", 10);
        await f.Engine.StartIfNotExistsAsync("CountedWait", "evicted:b", 20);
        Assert.Equal(2, f.Effects.OrchestratorStarts);

        // a's session was evicted when b's was kept: its next episode replays, its last one resumes.
        await f.Engine.RaiseEventAsync("evicted:a", "Go", 1);
        Assert.Equal("12", (await f.WaitAsync("evicted:a")).SerializedOutput);
        Assert.Equal(3, f.Effects.OrchestratorStarts);

        await f.Engine.RaiseEventAsync("evicted:b", "Go", 2);
        Assert.Equal("23", (await f.WaitAsync("evicted:b")).SerializedOutput);
        Assert.Equal(4, f.Effects.OrchestratorStarts);
    }

    [Fact]
    public async Task after_a_restart_replays_from_the_ledger()
    {
        await using var f = await OrchestrationFixture.StartAsync();
        await f.Engine.StartIfNotExistsAsync("CountedWait", "restarted:a", 10);
        await f.RestartAsync();

        await f.Engine.RaiseEventAsync("restarted:a", "Go", 5);

        Assert.Equal("16", (await f.WaitAsync("restarted:a")).SerializedOutput);
        Assert.Equal(2, f.Effects.OrchestratorStarts);
    }
}
