using System.Collections.Concurrent;
using HealthFlow.Pipeline.Orchestration;

namespace HealthFlow.Pipeline.Tests.Orchestration;

/// <summary>
/// What the sample activities did, kept outside the engine so it survives restarts: executions per activity id
/// (<see cref="ActivityContext.IdempotencyKey"/>: at-least-once shows as more than one) and effects applied once per id
/// (an idempotent effect), plus gates a test opens to hold an activity mid-flight.
/// </summary>
internal sealed class SampleEffects
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _gates = new(StringComparer.Ordinal);

    /// <summary>Executions per idempotency key.</summary>
    public ConcurrentDictionary<string, int> Executions { get; } = new(StringComparer.Ordinal);

    /// <summary>Effects applied, once per idempotency key however often the activity ran.</summary>
    public ConcurrentDictionary<string, string> Applied { get; } = new(StringComparer.Ordinal);

    /// <summary>Calls of the flaky activity per instance.</summary>
    public ConcurrentDictionary<string, int> FlakyCalls { get; } = new(StringComparer.Ordinal);

    /// <summary>Times the counted orchestrators' code started from the beginning (a replay or a first run).</summary>
    public int OrchestratorStarts => Volatile.Read(ref _orchestratorStarts);

    private int _orchestratorStarts;

    public void OrchestratorStarted() => Interlocked.Increment(ref _orchestratorStarts);

    /// <summary>While true, <c>Fragile</c> throws.</summary>
    public bool FragileBroken { get; set; }

    public int ExecutionsOf(string activity) => Executions.Where(e => e.Key.EndsWith("|" + activity, StringComparison.Ordinal)).Sum(e => e.Value);

    public void Executed(ActivityContext context) =>
        Executions.AddOrUpdate($"{context.IdempotencyKey}|{context.Name}", 1, (_, n) => n + 1);

    public TaskCompletionSource Gate(string name) => _gates.GetOrAdd(name, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

    public void Release(string name) => Gate(name).TrySetResult();

    public void ReleaseAll()
    {
        foreach (var gate in _gates.Values)
            gate.TrySetResult();
    }
}

/// <summary>The sample orchestrators and activities, registered the way a host registers its workflows.</summary>
internal static class SampleRegistrations
{
    public static void All(OrchestrationRegistry registry, SampleEffects effects)
    {
        registry
            .AddOrchestrator<SequenceOrchestrator>()
            .AddOrchestrator<FanOutOrchestrator>()
            .AddOrchestrator<RetryOrchestrator>()
            .AddOrchestrator<TimerOrchestrator>()
            .AddOrchestrator<ApprovalOrchestrator>()
            .AddOrchestrator<ParentOrchestrator>()
            .AddOrchestrator<RewindableOrchestrator>()
            .AddOrchestrator<StepsOrchestrator>()
            .AddOrchestrator<ChangingOrchestratorV1>(nameof(ChangingOrchestratorV1))
            .AddOrchestrator("CountedSequence", _ =>
            {
                effects.OrchestratorStarted();
                return new SequenceOrchestrator();
            })
            .AddOrchestrator("CountedWait", _ =>
            {
                effects.OrchestratorStarted();
                return new WaitThenAddOrchestrator();
            })
            .AddActivity<int, int>("Add", (context, x, _) =>
            {
                effects.Executed(context);
                return Task.FromResult(checked(x + 1));
            })
            .AddActivity<int, int>("Square", (context, x, _) =>
            {
                effects.Executed(context);
                return Task.FromResult(checked(x * x));
            })
            .AddActivity<string, string>("Greet", (context, name, _) =>
            {
                effects.Executed(context);
                return Task.FromResult($"hello {name}");
            })
            .AddActivity<int, string>("Flaky", (context, failures, _) =>
            {
                effects.Executed(context);
                var calls = effects.FlakyCalls.AddOrUpdate(context.InstanceId, 1, (_, n) => n + 1);
                return calls <= failures
                    ? throw new InvalidOperationException($"flaky call {calls}")
                    : Task.FromResult($"succeeded on call {calls}");
            })
            .AddActivity<int, int>("Fragile", (context, x, _) =>
            {
                effects.Executed(context);
                return effects.FragileBroken ? throw new InvalidOperationException("fragile is broken") : Task.FromResult(checked(x * 10));
            })
            .AddActivity<string, string>("Step", async (context, step, cancellationToken) =>
            {
                effects.Executed(context);
                await effects.Gate(step).Task.WaitAsync(cancellationToken);
                // The effect is keyed on the task's identity: applied once however often the step runs.
                effects.Applied.TryAdd(context.IdempotencyKey, step);
                return step.ToUpperInvariant();
            });
    }

    /// <summary>The same name as <see cref="ChangingOrchestratorV1"/>, but code that schedules something else: a deployment that broke running instances.</summary>
    public static void WithChangedCode(OrchestrationRegistry registry, SampleEffects effects)
    {
        registry
            .AddOrchestrator<ChangingOrchestratorV2>(nameof(ChangingOrchestratorV1))
            .AddActivity<int, int>("Add", (context, x, _) =>
            {
                effects.Executed(context);
                return Task.FromResult(checked(x + 1));
            })
            .AddActivity<string, string>("Greet", (context, name, _) =>
            {
                effects.Executed(context);
                return Task.FromResult($"hello {name}");
            });
    }
}
