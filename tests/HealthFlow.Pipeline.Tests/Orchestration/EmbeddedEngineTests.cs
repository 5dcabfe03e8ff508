using HealthFlow.Pipeline.Bus;
using HealthFlow.Pipeline.Orchestration;
using HealthFlow.Tests.Shared;

namespace HealthFlow.Pipeline.Tests.Orchestration;

public sealed class An_orchestration_calling_activities
{
    [Fact]
    public async Task in_sequence_completes_with_each_result_feeding_the_next()
    {
        await using var f = await OrchestrationFixture.StartAsync();
        Assert.Equal(StartResult.Started, await f.Engine.StartIfNotExistsAsync(nameof(SequenceOrchestrator), "seq:1", 10, "receipt-1"));

        var done = await f.WaitAsync("seq:1");

        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        Assert.Equal(13, done.ReadOutputAs<int>());
        Assert.Equal("receipt-1", done.CorrelationId);
        Assert.Equal(3, f.Effects.ExecutionsOf("Add"));
        var history = await f.HistoryAsync("seq:1");
        Assert.Equal(3, history.Count(e => e.Type == HistoryEventType.TaskScheduled));
        Assert.Equal(3, history.Count(e => e.Type == HistoryEventType.TaskCompleted));
        Assert.Equal(HistoryEventType.ExecutionCompleted, history[^1].Type);
    }

    [Fact]
    public async Task fanned_out_runs_them_all_and_fans_in_on_their_results()
    {
        await using var f = await OrchestrationFixture.StartAsync();
        await f.Engine.StartIfNotExistsAsync(nameof(FanOutOrchestrator), "fan:1", 20);

        var done = await f.WaitAsync("fan:1");

        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        Assert.Equal(Enumerable.Range(1, 20).Sum(i => i * i) + 1, done.ReadOutputAs<int>());
        Assert.Equal(20, f.Effects.ExecutionsOf("Square"));
        Assert.Contains("\"fannedOut\":20", done.SerializedCustomStatus, StringComparison.Ordinal);
    }

    [Fact]
    public async Task listed_page_by_page_are_all_returned_once()
    {
        await using var f = await OrchestrationFixture.StartAsync();
        foreach (var id in new[] { "page:1", "page:2", "page:3" })
            await f.Engine.StartIfNotExistsAsync(nameof(SequenceOrchestrator), id, 1);

        var all = await f.Engine.ListAllInstancesAsync(new OrchestrationQuery(null, "page:", PageSize: 1));

        Assert.Equal(["page:1", "page:2", "page:3"], all.Select(i => i.InstanceId).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task fanned_out_commits_results_that_arrive_together_in_one_episode()
    {
        await using var f = await OrchestrationFixture.StartAsync();
        await f.Engine.StartIfNotExistsAsync(nameof(FanOutOrchestrator), "fan:batched", 64);

        var done = await f.WaitAsync("fan:batched");

        Assert.Equal(Enumerable.Range(1, 64).Sum(i => i * i) + 1, done.ReadOutputAs<int>());
        var history = await f.HistoryAsync("fan:batched");
        Assert.Equal(64, history.Count(e => e.Type == HistoryEventType.TaskCompleted && history.Any(s => s.EventId == e.TaskScheduledId && s.Name == "Square")));
        // One episode per result would be 1 + 64 (+ the fan-in's own); results that wait for the gate share a replay.
        Assert.True(history.Count(e => e.Type == HistoryEventType.OrchestratorStarted) < 64, "every result had its own replay");
        Assert.True((await f.Engine.VerifyReplayAsync("fan:batched")).IsDeterministic);
    }

    [Fact]
    public async Task with_a_retry_policy_survives_two_failures_with_durable_backoff_timers()
    {
        await using var f = await OrchestrationFixture.StartAsync();
        await f.Engine.StartIfNotExistsAsync(nameof(RetryOrchestrator), "retry:1", 2);

        await f.UntilHistoryAsync("retry:1", HistoryEventType.TimerCreated);
        var firstTimer = (await f.HistoryAsync("retry:1")).Single(e => e.Type == HistoryEventType.TimerCreated);
        Assert.Equal(f.Clock.GetUtcNow() + TimeSpan.FromSeconds(10), firstTimer.FireAt);
        await f.Clock.WaitForTimersAsync();
        f.Clock.Advance(TimeSpan.FromSeconds(10));

        await f.UntilHistoryAsync("retry:1", HistoryEventType.TimerCreated, 2);
        var secondTimer = (await f.HistoryAsync("retry:1")).Where(e => e.Type == HistoryEventType.TimerCreated).Last();
        Assert.Equal(f.Clock.GetUtcNow() + TimeSpan.FromSeconds(20), secondTimer.FireAt);
        await f.Clock.WaitForTimersAsync();
        f.Clock.Advance(TimeSpan.FromSeconds(20));

        var done = await f.WaitAsync("retry:1");
        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        Assert.Equal("succeeded on call 3", done.ReadOutputAs<string>());
        var history = await f.HistoryAsync("retry:1");
        Assert.Equal(3, history.Count(e => e.Type == HistoryEventType.TaskScheduled));
        Assert.Equal(2, history.Count(e => e.Type == HistoryEventType.TaskFailed));
    }

    [Fact]
    public async Task whose_activity_fails_every_attempt_fails_with_the_activity_failure()
    {
        await using var f = await OrchestrationFixture.StartAsync();
        await f.Engine.StartIfNotExistsAsync(nameof(RetryOrchestrator), "retry:2", 5);
        for (var timer = 1; timer <= 2; timer++)
        {
            await f.UntilHistoryAsync("retry:2", HistoryEventType.TimerCreated, timer);
            await f.Clock.WaitForTimersAsync();
            f.Clock.Advance(TimeSpan.FromMinutes(1));
        }

        var done = await f.WaitAsync("retry:2");

        Assert.Equal(OrchestrationRuntimeStatus.Failed, done.RuntimeStatus);
        Assert.True(done.FailureDetails!.IsCausedBy<TaskFailedException>());
        Assert.True(done.FailureDetails.InnerFailure!.IsCausedBy<InvalidOperationException>());
        Assert.Equal(3, f.Effects.FlakyCalls["retry:2"]);
    }
}

public sealed class A_durable_timer
{
    [Fact]
    public async Task fires_after_a_restart_at_its_time_and_not_before()
    {
        await using var f = await OrchestrationFixture.StartAsync();
        await f.Engine.StartIfNotExistsAsync(nameof(TimerOrchestrator), "timer:1", 1);
        await f.Clock.WaitForTimersAsync();

        await f.RestartAsync();
        await f.Clock.WaitForTimersAsync();
        f.Clock.Advance(TimeSpan.FromMinutes(59));
        await Task.Delay(100);
        Assert.Equal(OrchestrationRuntimeStatus.Running, (await f.Engine.GetInstanceAsync("timer:1"))!.RuntimeStatus);
        f.Clock.Advance(TimeSpan.FromMinutes(1));

        var done = await f.WaitAsync("timer:1");
        Assert.Equal("2 after 01:00:00", done.ReadOutputAs<string>());
    }
}

public sealed class An_external_event
{
    [Fact]
    public async Task raised_before_the_orchestrator_waits_is_buffered_and_handed_to_the_wait()
    {
        await using var f = await OrchestrationFixture.StartAsync();
        await f.Engine.StartIfNotExistsAsync(nameof(ApprovalOrchestrator), "approval:early", 30);

        Assert.Equal(InstanceOperationResult.Accepted, await f.Engine.RaiseEventAsync("approval:early", "approval", "dr-early"));
        f.Effects.Release("prepare");

        var done = await f.WaitAsync("approval:early");
        Assert.Equal("approved by dr-early", done.ReadOutputAs<string>());
    }

    [Fact]
    public async Task raised_while_the_orchestrator_waits_completes_the_wait()
    {
        await using var f = await OrchestrationFixture.StartAsync();
        await f.Engine.StartIfNotExistsAsync(nameof(ApprovalOrchestrator), "approval:late", 30);
        f.Effects.Release("prepare");
        await f.UntilHistoryAsync("approval:late", HistoryEventType.TimerCreated);
        Assert.Equal("\"waiting for approval\"", (await f.Engine.GetInstanceAsync("approval:late"))!.SerializedCustomStatus);

        await f.Engine.RaiseEventAsync("approval:late", "Approval", "dr-late");

        var done = await f.WaitAsync("approval:late");
        Assert.Equal("approved by dr-late", done.ReadOutputAs<string>());
    }

    [Fact]
    public async Task that_does_not_come_in_time_ends_the_wait_with_TaskCanceledException()
    {
        await using var f = await OrchestrationFixture.StartAsync();
        await f.Engine.StartIfNotExistsAsync(nameof(ApprovalOrchestrator), "approval:timeout", 30);
        f.Effects.Release("prepare");
        await f.UntilHistoryAsync("approval:timeout", HistoryEventType.TimerCreated);
        await f.Clock.WaitForTimersAsync();

        f.Clock.Advance(TimeSpan.FromMinutes(30));

        var done = await f.WaitAsync("approval:timeout");
        Assert.Equal("timed out", done.ReadOutputAs<string>());
        Assert.Equal(InstanceOperationResult.NotApplicable, await f.Engine.RaiseEventAsync("approval:timeout", "Approval", "too late"));
    }

    [Fact]
    public async Task for_an_unknown_instance_is_not_found()
    {
        await using var f = await OrchestrationFixture.StartAsync();
        Assert.Equal(InstanceOperationResult.NotFound, await f.Engine.RaiseEventAsync("nobody", "Approval", "x"));
    }
}

public sealed class A_sub_orchestration
{
    [Fact]
    public async Task runs_as_its_own_instance_and_hands_its_output_to_the_parent()
    {
        await using var f = await OrchestrationFixture.StartAsync();
        await f.Engine.StartIfNotExistsAsync(nameof(ParentOrchestrator), "parent:1", 1);

        var done = await f.WaitAsync("parent:1");

        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        Assert.Equal(4 + 104, done.ReadOutputAs<int>());
        var child = await f.Engine.GetInstanceAsync("parent:1:0");
        Assert.Equal(OrchestrationRuntimeStatus.Completed, child!.RuntimeStatus);
        Assert.Equal("parent:1", child.ParentInstanceId);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, (await f.Engine.GetInstanceAsync("parent:1:named"))!.RuntimeStatus);
        Assert.Equal(6, f.Effects.ExecutionsOf("Add"));
    }
}

public sealed class Starting_an_instance
{
    [Fact]
    public async Task whose_id_exists_does_nothing_even_after_a_restart()
    {
        await using var f = await OrchestrationFixture.StartAsync();
        Assert.Equal(StartResult.Started, await f.Engine.StartIfNotExistsAsync(nameof(SequenceOrchestrator), "discharge:F1:E1", 1));
        Assert.Equal(StartResult.AlreadyExists, await f.Engine.StartIfNotExistsAsync(nameof(SequenceOrchestrator), "discharge:F1:E1", 1));
        await f.WaitAsync("discharge:F1:E1");

        await f.RestartAsync();

        Assert.Equal(StartResult.AlreadyExists, await f.Engine.StartIfNotExistsAsync(nameof(SequenceOrchestrator), "discharge:F1:E1", 1));
        Assert.Single(await f.HistoryAsync("discharge:F1:E1"), e => e.Type == HistoryEventType.ExecutionStarted);
        Assert.Equal(3, f.Effects.ExecutionsOf("Add"));
    }

    [Fact]
    public async Task of_an_unregistered_orchestrator_is_a_bug_and_throws()
    {
        await using var f = await OrchestrationFixture.StartAsync();
        await Assert.ThrowsAsync<ArgumentException>(() => f.Engine.StartIfNotExistsAsync("NoSuchOrchestrator", "x:1"));
        Assert.Null(await f.Engine.GetInstanceAsync("x:1"));
    }
}

public sealed class Terminating_an_instance
{
    [Fact]
    public async Task ends_it_and_later_events_are_refused()
    {
        await using var f = await OrchestrationFixture.StartAsync();
        await f.Engine.StartIfNotExistsAsync(nameof(ApprovalOrchestrator), "approval:terminate", 30);
        f.Effects.Release("prepare");
        await f.UntilHistoryAsync("approval:terminate", HistoryEventType.TimerCreated);

        Assert.Equal(InstanceOperationResult.Accepted, await f.Engine.TerminateAsync("approval:terminate", "duplicate encounter"));

        var done = await f.WaitAsync("approval:terminate");
        Assert.Equal(OrchestrationRuntimeStatus.Terminated, done.RuntimeStatus);
        Assert.Equal("duplicate encounter", done.ReadOutputAs<string>());
        Assert.Equal(InstanceOperationResult.NotApplicable, await f.Engine.RaiseEventAsync("approval:terminate", "Approval", "x"));
        Assert.Equal(InstanceOperationResult.NotApplicable, await f.Engine.TerminateAsync("approval:terminate"));
    }
}

public sealed class Rewinding_a_failed_instance
{
    [Fact]
    public async Task runs_the_failed_activity_again_and_completes_without_repeating_the_others()
    {
        await using var f = await OrchestrationFixture.StartAsync();
        f.Effects.FragileBroken = true;
        await f.Engine.StartIfNotExistsAsync(nameof(RewindableOrchestrator), "rewind:1", 1);
        var failed = await f.WaitAsync("rewind:1");
        Assert.Equal(OrchestrationRuntimeStatus.Failed, failed.RuntimeStatus);
        Assert.Equal(InstanceOperationResult.NotFound, await f.Engine.RewindAsync("rewind:none"));

        f.Effects.FragileBroken = false;
        Assert.Equal(InstanceOperationResult.Accepted, await f.Engine.RewindAsync("rewind:1", "fragile fixed"));

        var done = await f.WaitAsync("rewind:1");
        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        Assert.Equal(21, done.ReadOutputAs<int>());
        Assert.Null(done.FailureDetails);
        Assert.Equal(2, f.Effects.ExecutionsOf("Add"));
        Assert.Equal(2, f.Effects.ExecutionsOf("Fragile"));
        Assert.True((await f.Engine.VerifyReplayAsync("rewind:1")).IsDeterministic);
    }

    [Fact]
    public async Task that_is_running_does_nothing()
    {
        await using var f = await OrchestrationFixture.StartAsync();
        await f.Engine.StartIfNotExistsAsync(nameof(ApprovalOrchestrator), "approval:running", 30);
        Assert.Equal(InstanceOperationResult.NotApplicable, await f.Engine.RewindAsync("approval:running"));
    }
}

public sealed class A_non_deterministic_orchestrator
{
    [Fact]
    public async Task fails_its_instance_naming_the_expected_and_the_actual_action()
    {
        await using var f = await OrchestrationFixture.StartAsync();
        await f.Engine.StartIfNotExistsAsync(nameof(ChangingOrchestratorV1), "changing:1", 1);
        await f.UntilHistoryAsync("changing:1", HistoryEventType.TaskCompleted);

        f.Register = SampleRegistrations.WithChangedCode;
        await f.RestartAsync();
        await f.Engine.RaiseEventAsync("changing:1", "go", "now");

        var done = await f.WaitAsync("changing:1");
        Assert.Equal(OrchestrationRuntimeStatus.Failed, done.RuntimeStatus);
        Assert.True(done.FailureDetails!.IsCausedBy<NonDeterministicOrchestrationException>());
        Assert.Contains("TaskScheduled 'Add' (#0)", done.FailureDetails.ErrorMessage, StringComparison.Ordinal);
        Assert.Contains("TaskScheduled 'Greet' (#0)", done.FailureDetails.ErrorMessage, StringComparison.Ordinal);
        Assert.Equal(0, f.Effects.ExecutionsOf("Greet"));
    }
}

public sealed class Replaying_a_whole_history
{
    [Fact]
    public async Task reproduces_exactly_the_recorded_actions_and_output()
    {
        await using var f = await OrchestrationFixture.StartAsync();
        await f.Engine.StartIfNotExistsAsync(nameof(FanOutOrchestrator), "fan:replay", 12);
        await f.Engine.StartIfNotExistsAsync(nameof(ParentOrchestrator), "parent:replay", 3);
        await f.Engine.StartIfNotExistsAsync(nameof(ApprovalOrchestrator), "approval:replay", 30);
        f.Effects.Release("prepare");
        await f.UntilHistoryAsync("approval:replay", HistoryEventType.TimerCreated);
        await f.Engine.RaiseEventAsync("approval:replay", "Approval", "dr-replay");
        foreach (var id in new[] { "fan:replay", "parent:replay", "approval:replay" })
            await f.WaitAsync(id);

        await f.RestartAsync();

        var fan = await f.Engine.VerifyReplayAsync("fan:replay");
        Assert.True(fan.IsDeterministic, fan.Problem);
        Assert.Equal(13, fan.ActionsReplayed);
        Assert.True((await f.Engine.VerifyReplayAsync("parent:replay")).IsDeterministic);
        var approval = await f.Engine.VerifyReplayAsync("approval:replay");
        Assert.True(approval.IsDeterministic, approval.Problem);
        Assert.Equal(2, approval.ActionsReplayed);
    }
}

public sealed class A_restart_mid_orchestration
{
    [Fact]
    public async Task resumes_from_the_ledger_and_applies_each_effect_exactly_once()
    {
        await using var f = await OrchestrationFixture.StartAsync();
        f.Effects.Release("a");
        await f.Engine.StartIfNotExistsAsync(nameof(StepsOrchestrator), "steps:1", "a,b,c");
        await Poll.UntilAsync(() => Task.FromResult(f.Effects.ExecutionsOf("Step") == 2), "step b to start");

        await f.RestartAsync();
        f.Effects.Release("b");
        f.Effects.Release("c");

        var done = await f.WaitAsync("steps:1");
        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        Assert.StartsWith("A+B+C ", done.ReadOutputAs<string>(), StringComparison.Ordinal);
        // Idempotent effects: once per step. Executions: a and c once; b was cut off by the restart and ran again.
        Assert.Equal(["a", "b", "c"], f.Effects.Applied.Values.Order(StringComparer.Ordinal));
        Assert.Equal(1, f.Effects.Executions["steps:1/0|Step"]);
        Assert.InRange(f.Effects.Executions["steps:1/1|Step"], 1, 2);
        Assert.Equal(1, f.Effects.Executions["steps:1/2|Step"]);
        Assert.True((await f.Engine.VerifyReplayAsync("steps:1")).IsDeterministic);
    }
}

public sealed class A_crash_at_any_append
{
    /// <summary>
    /// Cuts the store off after every possible number of appends of a run (a process killed between two writes), then
    /// opens the folder again: the instance always completes with the same output, every idempotent effect is applied
    /// once, and no step ran more than twice (once cut off, once again). Prints the crash point when it fails.
    /// </summary>
    [Fact]
    public async Task resumes_to_the_same_result_with_each_effect_applied_once()
    {
        string? expected = null;
        for (var crashAfter = 0; ; crashAfter++)
        {
            await using var f = await OrchestrationFixture.StartAsync();
            f.Effects.ReleaseAll();
            f.Effects.Release("a");
            f.Effects.Release("b");
            f.Effects.Release("c");
            var baseline = f.Store.Appends;
            f.Store.KillAfterAppends = baseline + crashAfter;
            try
            {
                await f.Engine.StartIfNotExistsAsync(nameof(StepsOrchestrator), "steps:crash", "a,b,c");
                using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                while (!f.Store.Killed && (await f.Engine.GetInstanceAsync("steps:crash"))?.IsCompleted != true)
                    await Task.Delay(5, wait.Token);
            }
            catch (IOException)
            {
                // The start itself hit the crash.
            }
            var crashed = f.Store.Killed;
            await f.CrashAsync();
            if (await f.Engine.GetInstanceAsync("steps:crash") is null)
                await f.Engine.StartIfNotExistsAsync(nameof(StepsOrchestrator), "steps:crash", "a,b,c");

            var done = await f.WaitAsync("steps:crash");

            Assert.True(done.RuntimeStatus == OrchestrationRuntimeStatus.Completed, $"crash after {crashAfter} appends: {done.RuntimeStatus}");
            expected ??= done.ReadOutputAs<string>();
            Assert.True(expected == done.ReadOutputAs<string>(), $"crash after {crashAfter} appends: output {done.ReadOutputAs<string>()} instead of {expected}");
            Assert.True(f.Effects.Applied.Values.Order(StringComparer.Ordinal).SequenceEqual(["a", "b", "c"]), $"crash after {crashAfter} appends: effects {string.Join(",", f.Effects.Applied.Values)}");
            Assert.True(f.Effects.Executions.Values.All(n => n <= 2), $"crash after {crashAfter} appends: executions {string.Join(",", f.Effects.Executions)}");
            if (!crashed)
            {
                // Every write of the run was a crash point: the start and each result (each committed with the next
                // step's scheduling): 4 commits that follow one another, so they can never share a group commit.
                Assert.True(crashAfter >= 4, $"only {crashAfter} crash points: the run wrote less than expected");
                break;
            }
        }
    }
}

public sealed class A_restart_after_activities_were_scheduled_but_never_run
{
    /// <summary>
    /// An engine that never started its workers commits the start of twenty instances (each scheduling a step) and goes
    /// away: the history is the only record of the scheduled steps. The next start-up finds them there and runs each once.
    /// </summary>
    [Fact]
    public async Task runs_each_of_them_from_the_histories_and_every_instance_completes()
    {
        await using var f = await OrchestrationFixture.StartAsync();
        await f.Engine.DisposeAsync();
        var registry = new OrchestrationRegistry();
        SampleRegistrations.All(registry, f.Effects);
        var ids = Enumerable.Range(1, 20).Select(i => $"scheduled:{i}").ToList();
        await using (var idle = await EmbeddedOrchestrationEngine.OpenAsync(f.Ledger, registry, clock: f.Clock))
        {
            foreach (var id in ids)
                await idle.StartIfNotExistsAsync(nameof(StepsOrchestrator), id, "x");
        }
        Assert.Equal(0, f.Effects.ExecutionsOf("Step"));

        await f.RestartAsync();
        f.Effects.Release("x");

        foreach (var id in ids)
            Assert.Equal(OrchestrationRuntimeStatus.Completed, (await f.WaitAsync(id)).RuntimeStatus);
        Assert.Equal(ids.Count, f.Effects.ExecutionsOf("Step"));
        Assert.Equal(ids.Count, f.Effects.Applied.Count);
    }
}

public sealed class A_crash_while_activities_run
{
    /// <summary>
    /// Twenty held steps are running when the store dies: their results can never be committed. After the restart each
    /// runs again from its history, each effect is applied once, and no step ran more than twice.
    /// </summary>
    [Fact]
    public async Task runs_them_again_after_the_restart_and_applies_each_effect_once()
    {
        await using var f = await OrchestrationFixture.StartAsync();
        var ids = Enumerable.Range(1, 20).Select(i => $"running:{i}").ToList();
        foreach (var id in ids)
            await f.Engine.StartIfNotExistsAsync(nameof(StepsOrchestrator), id, "held");
        await Poll.UntilAsync(() => Task.FromResult(f.Effects.ExecutionsOf("Step") == ids.Count), "every step to start");

        f.Store.Kill();
        f.Effects.Release("held");
        await f.CrashAsync();

        foreach (var id in ids)
            Assert.Equal(OrchestrationRuntimeStatus.Completed, (await f.WaitAsync(id)).RuntimeStatus);
        Assert.Equal(ids.Count, f.Effects.Applied.Count);
        Assert.All(ids, id => Assert.InRange(f.Effects.Executions[$"{id}/0|Step"], 1, 2));
    }
}

public sealed class An_engine_with_an_activity_concurrency_of_two
{
    [Fact]
    public async Task runs_at_most_two_activities_at_once_and_the_rest_after_them()
    {
        var running = 0;
        var most = 0;
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var f = await OrchestrationFixture.StartAsync((registry, effects) => registry
            .AddOrchestrator<FanOutOrchestrator>()
            .AddActivity<int, int>("Square", async (context, x, cancellationToken) =>
            {
                var now = Interlocked.Increment(ref running);
                InterlockedMax(ref most, now);
                await release.Task.WaitAsync(cancellationToken);
                Interlocked.Decrement(ref running);
                return x * x;
            })
            .AddActivity<int, int>("Add", (context, x, cancellationToken) => Task.FromResult(x + 1)),
            activityConcurrency: 2);
        await f.Engine.StartIfNotExistsAsync(nameof(FanOutOrchestrator), "fan:limited", 10);
        await Poll.UntilAsync(() => Task.FromResult(Volatile.Read(ref running) == 2), "two squares to start");

        release.SetResult();
        var done = await f.WaitAsync("fan:limited");

        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        Assert.Equal(Enumerable.Range(1, 10).Sum(i => i * i) + 1, done.ReadOutputAs<int>());
        Assert.Equal(2, most);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        var seen = Volatile.Read(ref target);
        while (seen < value && Interlocked.CompareExchange(ref target, value, seen) is var was && was != seen)
            seen = was;
    }
}
