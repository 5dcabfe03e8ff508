using HealthFlow.Pipeline.Orchestration;

namespace HealthFlow.Pipeline.Tests.Orchestration;

// Sample orchestrators: deterministic by the rules OrchestratorDeterminismTests enforces (only the context's clock,
// GUIDs, timers and calls).

/// <summary>Activities in sequence: each result feeds the next call.</summary>
internal sealed class SequenceOrchestrator : IOrchestrator<int, int>
{
    public async Task<int> RunAsync(OrchestrationContext context, int input)
    {
        var x = await context.CallActivityAsync<int>("Add", input);
        x = await context.CallActivityAsync<int>("Add", x);
        return await context.CallActivityAsync<int>("Add", x);
    }
}

/// <summary>Waits for "Go" (a number), then adds it to the input with an activity.</summary>
internal sealed class WaitThenAddOrchestrator : IOrchestrator<int, int>
{
    public async Task<int> RunAsync(OrchestrationContext context, int input)
    {
        var x = await context.WaitForExternalEvent<int>("Go");
        return await context.CallActivityAsync<int>("Add", x + input);
    }
}

/// <summary>Fan-out/fan-in: n activities at once, then one more on their sum.</summary>
internal sealed class FanOutOrchestrator : IOrchestrator<int, int>
{
    public async Task<int> RunAsync(OrchestrationContext context, int input)
    {
        var squares = await Task.WhenAll(Enumerable.Range(1, input).Select(i => context.CallActivityAsync<int>("Square", i)));
        context.SetCustomStatus(new { fannedOut = squares.Length });
        return await context.CallActivityAsync<int>("Add", squares.Sum());
    }
}

/// <summary>An activity that fails <c>input</c> times, under a retry policy of 3 attempts (10 s, then 20 s).</summary>
internal sealed class RetryOrchestrator : IOrchestrator<int, string>
{
    public Task<string> RunAsync(OrchestrationContext context, int input) =>
        context.CallActivityAsync<string>("Flaky", input,
            TaskOptions.FromRetryPolicy(new RetryPolicy(maxNumberOfAttempts: 3, firstRetryInterval: TimeSpan.FromSeconds(10), backoffCoefficient: 2.0, maxRetryInterval: TimeSpan.FromMinutes(1))));
}

/// <summary>A durable timer an hour ahead, then an activity; returns the orchestration time it woke at.</summary>
internal sealed class TimerOrchestrator : IOrchestrator<int, string>
{
    public async Task<string> RunAsync(OrchestrationContext context, int input)
    {
        var started = context.CurrentUtcDateTime;
        await context.CreateTimer(started.AddHours(1), CancellationToken.None);
        var x = await context.CallActivityAsync<int>("Add", input);
        return $"{x} after {context.CurrentUtcDateTime - started:c}";
    }
}

/// <summary>An activity, then a wait for "Approval" with a timeout (minutes = input); answers what happened.</summary>
internal sealed class ApprovalOrchestrator : IOrchestrator<int, string>
{
    public async Task<string> RunAsync(OrchestrationContext context, int input)
    {
        await context.CallActivityAsync<string>("Step", "prepare");
        context.SetCustomStatus("waiting for approval");
        try
        {
            var decision = await context.WaitForExternalEvent<string>("Approval", TimeSpan.FromMinutes(input));
            return $"approved by {decision}";
        }
        catch (TaskCanceledException)
        {
            return "timed out";
        }
    }
}

/// <summary>Two sub-orchestrations (sequence) and a sum.</summary>
internal sealed class ParentOrchestrator : IOrchestrator<int, int>
{
    public async Task<int> RunAsync(OrchestrationContext context, int input)
    {
        var first = context.CallSubOrchestratorAsync<int>(nameof(SequenceOrchestrator), input: input);
        var second = context.CallSubOrchestratorAsync<int>(nameof(SequenceOrchestrator), $"{context.InstanceId}:named", input + 100);
        var results = await Task.WhenAll(first, second);
        return results.Sum();
    }
}

/// <summary>Add, then Fragile (fails while broken), then Add: a failure an operator fixes and rewinds.</summary>
internal sealed class RewindableOrchestrator : IOrchestrator<int, int>
{
    public async Task<int> RunAsync(OrchestrationContext context, int input)
    {
        var x = await context.CallActivityAsync<int>("Add", input);
        x = await context.CallActivityAsync<int>("Fragile", x);
        return await context.CallActivityAsync<int>("Add", x);
    }
}

/// <summary>Three gated steps in sequence, with a deterministic GUID: the restart and crash tests hold a step mid-flight.</summary>
internal sealed class StepsOrchestrator : IOrchestrator<string, string>
{
    public async Task<string> RunAsync(OrchestrationContext context, string input)
    {
        var id = context.NewGuid();
        var results = new List<string>();
        foreach (var step in input.Split(','))
            results.Add(await context.CallActivityAsync<string>("Step", step));
        return $"{string.Join("+", results)} {id:N}";
    }
}

/// <summary>Version 1: Add, wait for "go", Add.</summary>
internal sealed class ChangingOrchestratorV1 : IOrchestrator<int, int>
{
    public async Task<int> RunAsync(OrchestrationContext context, int input)
    {
        var x = await context.CallActivityAsync<int>("Add", input);
        await context.WaitForExternalEvent<string>("go");
        return await context.CallActivityAsync<int>("Add", x);
    }
}

/// <summary>Version 2 under the same name: Greet first. Replaying a version-1 history with it is non-deterministic.</summary>
internal sealed class ChangingOrchestratorV2 : IOrchestrator<int, int>
{
    public async Task<int> RunAsync(OrchestrationContext context, int input)
    {
        await context.CallActivityAsync<string>("Greet", "world");
        await context.WaitForExternalEvent<string>("go");
        return await context.CallActivityAsync<int>("Add", input);
    }
}
