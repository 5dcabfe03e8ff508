using HealthFlow.Pipeline.Orchestration;
using Microsoft.Extensions.DependencyInjection;

namespace HealthFlow.Pipeline.Tests.Orchestration;

/// <summary>
/// Another host (the Functions app over Durable Functions) runs the registered orchestrators and activities by name on
/// its own context, on the same JSON as the embedded engine.
/// </summary>
public sealed class OrchestrationRegistryTests
{
    private static readonly IServiceProvider Services = new ServiceCollection().BuildServiceProvider();

    [Fact]
    public async Task A_registered_orchestrator_runs_by_name_on_another_hosts_context()
    {
        var registry = new OrchestrationRegistry().AddOrchestrator<SequenceOrchestrator>();
        var context = new ForeignContext();

        var output = await registry.RunOrchestratorAsync(nameof(SequenceOrchestrator), Services, context, "40");

        Assert.Equal("43", output);
        Assert.Equal(["Add", "Add", "Add"], context.Calls);
    }

    [Fact]
    public async Task A_registered_activity_runs_by_name_on_json_with_the_hosts_context()
    {
        ActivityContext? seen = null;
        var registry = new OrchestrationRegistry().AddActivity<int, int>("Square", (context, x, _) =>
        {
            seen = context;
            return Task.FromResult(x * x);
        });
        var context = new ActivityContext("Square", "remit:payer:trn", TaskId: -1, DeliveryCount: 1);

        var output = await registry.RunActivityAsync("Square", Services, context, "7", CancellationToken.None);

        Assert.Equal("49", output);
        Assert.Same(context, seen);
    }

    [Fact]
    public async Task An_unregistered_name_is_refused()
    {
        var registry = new OrchestrationRegistry();

        await Assert.ThrowsAsync<ArgumentException>(() => registry.RunOrchestratorAsync("Missing", Services, new ForeignContext(), null));
        await Assert.ThrowsAsync<ArgumentException>(() => registry.RunActivityAsync("Missing", Services, new ActivityContext("Missing", "i", -1, 1), null, CancellationToken.None));
    }

    /// <summary>A host's context that answers every "Add" call at once, as a host with its own history would.</summary>
    private sealed class ForeignContext : OrchestrationContext
    {
        public List<string> Calls { get; } = [];

        public override string Name => nameof(SequenceOrchestrator);

        public override string InstanceId => "foreign";

        public override DateTime CurrentUtcDateTime => new(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);

        public override bool IsReplaying => false;

        public override T? GetInput<T>() where T : default => default;

        public override Task<T> CallActivityAsync<T>(string name, object? input = null, TaskOptions? options = null)
        {
            Calls.Add(name);
            return Task.FromResult((T)(object)((int)input! + 1));
        }

        public override Task<TResult> CallSubOrchestratorAsync<TResult>(string orchestratorName, string? instanceId = null, object? input = null, TaskOptions? options = null) =>
            throw new NotSupportedException();

        public override Task CreateTimer(DateTime fireAt, CancellationToken cancellationToken) => Task.CompletedTask;

        public override Task<T> WaitForExternalEvent<T>(string eventName, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public override void SetCustomStatus(object? customStatus)
        {
        }

        public override Guid NewGuid() => Guid.Empty;
    }
}
