using System.Reflection;
using Microsoft.Extensions.DependencyInjection;

namespace HealthFlow.Pipeline.Orchestration;

/// <summary>
/// The orchestrators and activities a host runs, by name (durabletask-dotnet's <c>DurableTaskRegistry</c>). Class-based
/// registrations take the class name as the name, so callers write <c>nameof(PostJournalActivity)</c>; instances are
/// created per execution through the host's <see cref="IServiceProvider"/> (constructor injection), as in Durable Functions.
/// </summary>
/// <remarks>Register everything before the engine starts; the registry is read concurrently afterwards.</remarks>
public sealed class OrchestrationRegistry
{
    private static readonly MethodInfo BindOrchestratorMethod = typeof(OrchestrationRegistry).GetMethod(nameof(BindOrchestrator), BindingFlags.NonPublic | BindingFlags.Static)!;
    private static readonly MethodInfo BindActivityMethod = typeof(OrchestrationRegistry).GetMethod(nameof(BindActivity), BindingFlags.NonPublic | BindingFlags.Static)!;

    private readonly Dictionary<string, RegisteredOrchestrator> _orchestrators = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, RegisteredActivity> _activities = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Registers the orchestrator class <typeparamref name="TOrchestrator"/> (implementing <see cref="IOrchestrator{TInput, TOutput}"/>).</summary>
    /// <param name="name">Registered name; default the class name.</param>
    /// <exception cref="ArgumentException">The class implements no orchestrator interface, or the name is taken.</exception>
    public OrchestrationRegistry AddOrchestrator<TOrchestrator>(string? name = null) where TOrchestrator : class
    {
        var contract = ContractOf(typeof(TOrchestrator), typeof(IOrchestrator<,>));
        var run = BindOrchestratorMethod.MakeGenericMethod(contract.GetGenericArguments())
            .CreateDelegate<Func<Func<IServiceProvider, object>, OrchestratorRun>>();
        return Add(_orchestrators, new RegisteredOrchestrator(name ?? typeof(TOrchestrator).Name, run(services => ActivatorUtilities.CreateInstance<TOrchestrator>(services))));
    }

    /// <summary>Registers an orchestrator created by <paramref name="factory"/> under <paramref name="name"/>.</summary>
    public OrchestrationRegistry AddOrchestrator<TInput, TOutput>(string name, Func<IServiceProvider, IOrchestrator<TInput, TOutput>> factory) =>
        Add(_orchestrators, new RegisteredOrchestrator(name, BindOrchestrator<TInput, TOutput>(factory)));

    /// <summary>Registers the activity class <typeparamref name="TActivity"/> (implementing <see cref="IActivity{TInput, TOutput}"/>).</summary>
    /// <param name="name">Registered name; default the class name.</param>
    /// <exception cref="ArgumentException">The class implements no activity interface, or the name is taken.</exception>
    public OrchestrationRegistry AddActivity<TActivity>(string? name = null) where TActivity : class
    {
        var contract = ContractOf(typeof(TActivity), typeof(IActivity<,>));
        var run = BindActivityMethod.MakeGenericMethod(contract.GetGenericArguments())
            .CreateDelegate<Func<Func<IServiceProvider, object>, ActivityRun>>();
        return Add(_activities, new RegisteredActivity(name ?? typeof(TActivity).Name, run(services => ActivatorUtilities.CreateInstance<TActivity>(services))));
    }

    /// <summary>Registers an activity created by <paramref name="factory"/> under <paramref name="name"/>.</summary>
    public OrchestrationRegistry AddActivity<TInput, TOutput>(string name, Func<IServiceProvider, IActivity<TInput, TOutput>> factory) =>
        Add(_activities, new RegisteredActivity(name, BindActivity<TInput, TOutput>(factory)));

    /// <summary>Registers a function as an activity (tests, small glue).</summary>
    public OrchestrationRegistry AddActivity<TInput, TOutput>(string name, Func<ActivityContext, TInput, CancellationToken, Task<TOutput>> run) =>
        AddActivity(name, _ => new FuncActivity<TInput, TOutput>(run));

    /// <summary>Registered orchestrator names.</summary>
    public IReadOnlyCollection<string> OrchestratorNames => _orchestrators.Keys;

    /// <summary>Registered activity names.</summary>
    public IReadOnlyCollection<string> ActivityNames => _activities.Keys;

    /// <summary>
    /// Runs the orchestrator registered as <paramref name="name"/> on another host's context (the Functions app's adapter
    /// over Durable Functions' <c>TaskOrchestrationContext</c>), exactly as the embedded engine runs it: JSON input in,
    /// JSON output out.
    /// </summary>
    /// <exception cref="ArgumentException">No orchestrator has this name.</exception>
    public Task<string?> RunOrchestratorAsync(string name, IServiceProvider services, OrchestrationContext context, string? inputJson) =>
        (FindOrchestrator(name) ?? throw new ArgumentException($"No orchestrator is registered as '{name}'.", nameof(name))).Run(services, context, inputJson);

    /// <summary>Runs the activity registered as <paramref name="name"/> for another host (Durable Functions' activity trigger): JSON input in, JSON output out.</summary>
    /// <exception cref="ArgumentException">No activity has this name.</exception>
    public Task<string?> RunActivityAsync(string name, IServiceProvider services, ActivityContext context, string? inputJson, CancellationToken cancellationToken) =>
        (FindActivity(name) ?? throw new ArgumentException($"No activity is registered as '{name}'.", nameof(name))).Run(services, context, inputJson, cancellationToken);

    internal RegisteredOrchestrator? FindOrchestrator(string name) => _orchestrators.GetValueOrDefault(name);

    internal RegisteredActivity? FindActivity(string name) => _activities.GetValueOrDefault(name);

    private OrchestrationRegistry Add<T>(Dictionary<string, T> registrations, T registration) where T : IRegistration
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(registration.Name);
        if (!registrations.TryAdd(registration.Name, registration))
            throw new ArgumentException($"'{registration.Name}' is registered twice.", nameof(registration));
        return this;
    }

    private static Type ContractOf(Type type, Type openContract) =>
        type.GetInterfaces().SingleOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == openContract)
        ?? throw new ArgumentException($"{type.Name} must implement exactly one {openContract.Name.Split('`')[0]}<TInput, TOutput>.", nameof(type));

    private static OrchestratorRun BindOrchestrator<TInput, TOutput>(Func<IServiceProvider, object> factory) =>
        async (services, context, inputJson) =>
        {
            var orchestrator = (IOrchestrator<TInput, TOutput>)factory(services);
            var output = await orchestrator.RunAsync(context, OrchestrationJson.Deserialize<TInput>(inputJson)!);
            return OrchestrationJson.Serialize(output);
        };

    private static ActivityRun BindActivity<TInput, TOutput>(Func<IServiceProvider, object> factory) =>
        async (services, context, inputJson, cancellationToken) =>
        {
            var activity = (IActivity<TInput, TOutput>)factory(services);
            var output = await activity.RunAsync(context, OrchestrationJson.Deserialize<TInput>(inputJson)!, cancellationToken);
            return OrchestrationJson.Serialize(output);
        };

    private sealed class FuncActivity<TInput, TOutput>(Func<ActivityContext, TInput, CancellationToken, Task<TOutput>> run) : IActivity<TInput, TOutput>
    {
        public Task<TOutput> RunAsync(ActivityContext context, TInput input, CancellationToken cancellationToken) => run(context, input, cancellationToken);
    }
}

/// <summary>Runs an orchestrator on JSON: input in, output out.</summary>
internal delegate Task<string?> OrchestratorRun(IServiceProvider services, OrchestrationContext context, string? inputJson);

/// <summary>Runs an activity on JSON: input in, output out.</summary>
internal delegate Task<string?> ActivityRun(IServiceProvider services, ActivityContext context, string? inputJson, CancellationToken cancellationToken);

internal interface IRegistration
{
    string Name { get; }
}

internal sealed record RegisteredOrchestrator(string Name, OrchestratorRun Run) : IRegistration;

internal sealed record RegisteredActivity(string Name, ActivityRun Run) : IRegistration;
