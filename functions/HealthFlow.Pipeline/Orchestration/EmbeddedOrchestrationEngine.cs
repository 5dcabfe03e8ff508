using System.Collections.Concurrent;
using System.Threading.Channels;
using HealthFlow.Ledger;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace HealthFlow.Pipeline.Orchestration;

/// <summary>Settings of the embedded durable engine.</summary>
public sealed class EmbeddedOrchestrationOptions
{
    /// <summary>
    /// Activities run at once. They mostly wait on I/O (ERP calls, fsync'd ledger commits), so more in flight means bigger
    /// group commits: 64 posted 1.5 × the claim payments per second of 16 on the 2-core benchmark machine (docs/PERFORMANCE.md).
    /// </summary>
    public int ActivityConcurrency { get; init; } = 64;

    /// <summary>
    /// Waiting orchestrators kept in memory between episodes, least recently run evicted first, so that an episode hands
    /// the code only its new events instead of replaying the whole history (Durable Functions' extended sessions). An
    /// evicted or restarted instance replays from its history. 0: every episode replays.
    /// </summary>
    public int CachedOrchestrations { get; init; } = 10_000;

    /// <summary>Pause before retrying a timer, a follow-up (child start, parent report) or an activity whose result's commit failed.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(5);
}

/// <summary>Result of <see cref="EmbeddedOrchestrationEngine.VerifyReplayAsync"/>.</summary>
/// <param name="IsDeterministic">Replaying the whole history reproduced exactly its actions (and its output when completed).</param>
/// <param name="ActionsReplayed">Recorded actions the replay matched.</param>
/// <param name="Problem">What differed, when something did.</param>
public sealed record ReplayVerification(bool IsDeterministic, int ActionsReplayed, string? Problem);

/// <summary>
/// The embedded durable engine: runs orchestrators written against <see cref="OrchestrationContext"/> on one machine,
/// with histories in the ledger and activities run in-process. <see cref="IOrchestrationClient"/> is its API.
/// </summary>
/// <remarks>
/// <para>Storage: each instance's history is the ledger stream <c>orchestrations/{instanceId}</c> (Durable-Task-like events,
/// see <see cref="HistoryEvent"/>), and the stream <c>orchestrations</c> catalogues instances. Everything in memory is
/// rebuilt from those at <see cref="OpenAsync"/>.</para>
/// <para>An operation on an instance (start, activity result, timer, event, terminate, rewind) holds the instance's gate,
/// runs the orchestrator on the new events (its session kept in memory resumes with them alone; without one, the whole
/// history plus them is replayed, see <see cref="OrchestrationSession"/>), and appends the event, an <c>OrchestratorStarted</c>
/// marker, the new actions and any completion in one ledger commit. Once that commit is durable, its new activities
/// are queued in memory for the engine's activity workers (<see cref="EmbeddedOrchestrationOptions.ActivityConcurrency"/>
/// of them), and each result is committed to the history before the orchestrator sees it. The other actions are carried
/// out after the commit (follow-ups): timers put in the timer table, children started, the parent told of a child's end.</para>
/// <para>Crash safety: the history is the only record of pending work. A crash before a result's commit loses only the
/// result; one after a commit leaves follow-ups undone. <see cref="StartAsync"/> redoes both from the histories: every
/// scheduled activity without a result runs again (at-least-once; effects keyed on
/// <see cref="ActivityContext.IdempotencyKey"/> happen once), timers are rebuilt, missing children started, finished
/// children reported. A worker runs an activity only while its task is unresolved in the history, and a second result
/// for a resolved task is ignored, so a duplicate dispatch costs at most a second execution. The queue is the engine's
/// own backlog, bounded by the histories in memory; ingestion's back-pressure stays on the bus topics that start and
/// feed the instances.</para>
/// </remarks>
public sealed class EmbeddedOrchestrationEngine : IOrchestrationClient, IAsyncDisposable
{
    private readonly ILedger _ledger;
    private readonly OrchestrationRegistry _registry;
    private readonly EmbeddedOrchestrationOptions _options;
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, OrchestrationInstance> _instances;
    private readonly Channel<ActivityWork> _activities = Channel.CreateUnbounded<ActivityWork>(new UnboundedChannelOptions { SingleReader = false, SingleWriter = false });
    // Activities queued or running, by task (a count: a rewind may queue a task again while its last run ends), so that
    // a recovery does not queue them twice.
    private readonly ConcurrentDictionary<(string InstanceId, int TaskId), int> _dispatched = new();
    private readonly TimerTable _timers = new();
    private readonly SessionCache _sessions;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ServiceProvider _noServices = new ServiceCollection().BuildServiceProvider();
    private IServiceProvider _services;
    private Task _workers = Task.CompletedTask;
    private Task _timerLoop = Task.CompletedTask;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _started;
    private int _disposed;

    private EmbeddedOrchestrationEngine(ILedger ledger, OrchestrationRegistry registry, EmbeddedOrchestrationOptions options, TimeProvider clock,
        ILoggerFactory? loggers, ConcurrentDictionary<string, OrchestrationInstance> instances)
    {
        _ledger = ledger;
        _registry = registry;
        _options = options;
        _clock = clock;
        _logger = (ILogger?)loggers?.CreateLogger<EmbeddedOrchestrationEngine>() ?? NullLogger.Instance;
        _instances = instances;
        _sessions = new SessionCache(options.CachedOrchestrations);
        _services = _noServices;
    }

    /// <summary>
    /// Opens the engine: rebuilds every instance from the ledger. Nothing runs until <see cref="StartAsync"/>; queries
    /// and starts work at once (their activities wait for it).
    /// </summary>
    public static async Task<EmbeddedOrchestrationEngine> OpenAsync(
        ILedger ledger,
        OrchestrationRegistry registry,
        EmbeddedOrchestrationOptions? options = null,
        TimeProvider? clock = null,
        ILoggerFactory? loggers = null,
        CancellationToken cancellationToken = default)
    {
        options ??= new EmbeddedOrchestrationOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.ActivityConcurrency, 1, nameof(options));
        ArgumentOutOfRangeException.ThrowIfNegative(options.CachedOrchestrations, nameof(options));
        var instances = await LoadAsync(ledger, cancellationToken);
        return new EmbeddedOrchestrationEngine(ledger, registry, options, clock ?? TimeProvider.System, loggers, instances);
    }

    /// <summary>
    /// Starts the activity workers and the timer loop, then recovers: runs again the activities scheduled without a
    /// result, rebuilds timers, starts missing children, reports finished children to their parents, runs instances never run.
    /// </summary>
    /// <param name="services">Where activity and orchestrator instances get their dependencies; null: none.</param>
    /// <param name="cancellationToken">Cancels the recovery (not the engine: <see cref="DisposeAsync"/> stops it).</param>
    public async Task StartAsync(IServiceProvider? services = null, CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _started, 1) != 0)
            throw new InvalidOperationException("The engine is already started.");
        _services = services ?? _noServices;
        _workers = Task.WhenAll(Enumerable.Range(0, _options.ActivityConcurrency).Select(_ => Task.Run(() => RunActivitiesAsync(_stopping.Token), CancellationToken.None)));
        _timerLoop = Task.Run(() => RunTimersAsync(_stopping.Token), CancellationToken.None);

        var (running, dispatched, timers) = (0, 0, 0);
        foreach (var instance in _instances.Values.ToList())
        {
            var (wasRunning, d, t) = await RecoverAsync(instance, cancellationToken);
            running += wasRunning ? 1 : 0;
            dispatched += d;
            timers += t;
        }
        Logs.Recovered(_logger, _instances.Count, running, dispatched, timers);
    }

    /// <summary>
    /// Reads instances straight from a ledger (no engine, no bus): for <c>healthflow orchestrations list</c> on a data
    /// folder opened read-only.
    /// </summary>
    public static async Task<OrchestrationPage> QueryLedgerAsync(ILedger ledger, OrchestrationQuery query, CancellationToken cancellationToken = default)
    {
        var instances = await LoadAsync(ledger, cancellationToken);
        try
        {
            return Query(instances.Values.Select(i => i.Metadata!), query);
        }
        finally
        {
            foreach (var instance in instances.Values)
                instance.Dispose();
        }
    }

    public async Task<StartResult> StartIfNotExistsAsync(string orchestratorName, string instanceId, object? input = null, string correlationId = "", CancellationToken cancellationToken = default)
    {
        ValidateInstanceId(instanceId);
        if (_registry.FindOrchestrator(orchestratorName) is null)
            throw new ArgumentException($"No orchestrator is registered as '{orchestratorName}'.", nameof(orchestratorName));
        var started = new HistoryEvent(HistoryEventType.ExecutionStarted, _clock.GetUtcNow())
        {
            Name = orchestratorName,
            Input = OrchestrationJson.Serialize(input),
            CorrelationId = correlationId,
        };
        return await StartCoreAsync(instanceId, started, cancellationToken) is not null
            ? StartResult.Started
            : StartResult.AlreadyExists;
    }

    public Task<OrchestrationMetadata?> GetInstanceAsync(string instanceId, bool getInputsAndOutputs = true, CancellationToken cancellationToken = default)
    {
        var metadata = _instances.TryGetValue(instanceId, out var instance) ? instance.Metadata : null;
        return Task.FromResult(metadata is null || getInputsAndOutputs ? metadata : WithoutData(metadata));
    }

    public Task<OrchestrationPage> ListInstancesAsync(OrchestrationQuery query, CancellationToken cancellationToken = default) =>
        // Enumerating the dictionary itself, not Values: no lock over all its buckets and no copy of every instance per page.
        Task.FromResult(Query(_instances.Select(i => i.Value.Metadata).OfType<OrchestrationMetadata>(), query));

    public Task<InstanceOperationResult> RaiseEventAsync(string instanceId, string eventName, object? payload = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(eventName);
        Logs.EventRaised(_logger, instanceId, eventName);
        return DeliverAsync(instanceId, new HistoryEvent(HistoryEventType.EventRaised, _clock.GetUtcNow()) { Name = eventName, Input = OrchestrationJson.Serialize(payload) }, cancellationToken);
    }

    public async Task<InstanceOperationResult> TerminateAsync(string instanceId, string? reason = null, CancellationToken cancellationToken = default)
    {
        if (!_instances.TryGetValue(instanceId, out var instance))
            return InstanceOperationResult.NotFound;
        List<HistoryEvent> batch;
        await instance.Gate.WaitAsync(cancellationToken);
        try
        {
            if (!instance.Exists)
                return InstanceOperationResult.NotFound;
            if (instance.IsTerminal)
                return InstanceOperationResult.NotApplicable;
            batch = await CommitAsync(instance, [new HistoryEvent(HistoryEventType.ExecutionTerminated, _clock.GetUtcNow()) { Reason = reason ?? "" }], newInstance: false);
        }
        finally
        {
            instance.Gate.Release();
        }
        await FollowUpAsync(instance, batch);
        return InstanceOperationResult.Accepted;
    }

    public async Task<InstanceOperationResult> RewindAsync(string instanceId, string? reason = null, CancellationToken cancellationToken = default)
    {
        if (!_instances.TryGetValue(instanceId, out var instance))
            return InstanceOperationResult.NotFound;
        List<HistoryEvent> batch;
        List<HistoryEvent> retried;
        await instance.Gate.WaitAsync(cancellationToken);
        try
        {
            if (!instance.Exists)
                return InstanceOperationResult.NotFound;
            if (instance.Status != OrchestrationRuntimeStatus.Failed)
                return InstanceOperationResult.NotApplicable;
            await instance.EnsureLoadedAsync(_ledger, cancellationToken);
            var effective = instance.Effective;
            retried = [.. HistoryRules.Voidable(effective).Select(f => HistoryRules.Action(effective, f.TaskScheduledId)).OfType<HistoryEvent>().OrderBy(a => a.EventId)];
            batch = await CommitAsync(instance, [new HistoryEvent(HistoryEventType.ExecutionRewound, _clock.GetUtcNow()) { Reason = reason ?? "" }], newInstance: false,
                redispatch: [.. retried.Where(a => a.Type == HistoryEventType.TaskScheduled)]);
        }
        finally
        {
            instance.Gate.Release();
        }
        Logs.Rewound(_logger, instanceId, retried.Count);
        await FollowUpAsync(instance, batch);
        if (batch.Any(e => e.IsTerminal))
            return InstanceOperationResult.Accepted;
        try
        {
            foreach (var child in retried.Where(a => a.Type == HistoryEventType.SubOrchestrationInstanceCreated))
            {
                // Rewind the failed child; a child that cannot be rewound reports its end again (the parent fails again).
                if (await RewindAsync(child.InstanceId!, reason, cancellationToken) != InstanceOperationResult.Accepted
                    && _instances.TryGetValue(child.InstanceId!, out var childInstance))
                    await NotifyParentAsync(childInstance);
            }
        }
        catch (Exception ex) when (ex is IOException or LedgerBrokenException)
        {
            Logs.FollowUpFailed(_logger, instanceId, "rewind", ex.GetType().Name);
            _timers.Add(new TimerEntry(instanceId, TimerEntry.Recovery, _clock.GetUtcNow() + _options.RetryDelay));
        }
        return InstanceOperationResult.Accepted;
    }

    public async Task<OrchestrationMetadata> WaitForInstanceCompletionAsync(string instanceId, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            var changed = Volatile.Read(ref _changed).Task;
            var metadata = _instances.TryGetValue(instanceId, out var instance) ? instance.Metadata : null;
            if (metadata is null)
                throw new ArgumentException($"No instance has id '{instanceId}'.", nameof(instanceId));
            if (metadata.IsCompleted)
                return metadata;
            await changed.WaitAsync(cancellationToken);
        }
    }

    /// <summary>The stored history of an instance (rewound failures included), or null; for diagnostics and tests.</summary>
    public async Task<IReadOnlyList<HistoryEvent>?> GetHistoryAsync(string instanceId, CancellationToken cancellationToken = default)
    {
        if (!_instances.TryGetValue(instanceId, out var instance))
            return null;
        await instance.Gate.WaitAsync(cancellationToken);
        try
        {
            if (!instance.Exists)
                return null;
            await instance.EnsureLoadedAsync(_ledger, cancellationToken);
            IReadOnlyList<HistoryEvent> copy = [.. instance.Stored];
            if (instance.IsTerminal)
                instance.Unload();
            return copy;
        }
        finally
        {
            instance.Gate.Release();
        }
    }

    /// <summary>
    /// Replays the instance's whole history against the registered orchestrator without recording anything, and says
    /// whether the code reproduces exactly the recorded actions (and output): the determinism check of the issue.
    /// </summary>
    public async Task<ReplayVerification> VerifyReplayAsync(string instanceId, CancellationToken cancellationToken = default)
    {
        if (!_instances.TryGetValue(instanceId, out var instance))
            throw new ArgumentException($"No instance has id '{instanceId}'.", nameof(instanceId));
        await instance.Gate.WaitAsync(cancellationToken);
        try
        {
            await instance.EnsureLoadedAsync(_ledger, cancellationToken);
            var effective = instance.Effective;
            var orchestrator = _registry.FindOrchestrator(instance.Name)
                ?? throw new InvalidOperationException($"No orchestrator is registered as '{instance.Name}'.");
            var outcome = OrchestrationReplay.Run(instanceId, orchestrator, _services, effective, effective[^1].Timestamp);
            if (outcome.IsNonDeterministic)
                return new ReplayVerification(false, outcome.ActionsReplayed, outcome.Failure!.ErrorMessage);
            if (outcome.NewActions.Count > 0)
                return new ReplayVerification(false, outcome.ActionsReplayed,
                    $"the replay scheduled actions the history does not have: {string.Join(", ", outcome.NewActions.Select(a => a.Describe()))}");
            var metadata = instance.Metadata!;
            if (metadata.RuntimeStatus == OrchestrationRuntimeStatus.Completed
                && (outcome.State != ReplayState.Completed || !string.Equals(outcome.Output, metadata.SerializedOutput, StringComparison.Ordinal)))
                return new ReplayVerification(false, outcome.ActionsReplayed, "the replay did not end with the recorded output");
            return new ReplayVerification(true, outcome.ActionsReplayed, null);
        }
        finally
        {
            if (instance.IsTerminal && instance.IsLoaded)
                instance.Unload();
            instance.Gate.Release();
        }
    }

    /// <summary>Stops the activity workers and the timer loop (waiting for running activities); the ledger stays open.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        await _stopping.CancelAsync();
        try
        {
            await Task.WhenAll(_workers, _timerLoop);
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
        foreach (var instance in _instances.Values)
            instance.Dispose();
        await _noServices.DisposeAsync();
        _stopping.Dispose();
    }

    private static async Task<ConcurrentDictionary<string, OrchestrationInstance>> LoadAsync(ILedger ledger, CancellationToken cancellationToken)
    {
        var instances = new ConcurrentDictionary<string, OrchestrationInstance>(StringComparer.Ordinal);
        await foreach (var record in ledger.ReadStreamAsync(HistoryStreams.Catalog, 0, cancellationToken))
        {
            if (record.Type != HistoryStreams.InstanceCreated)
                continue;
            var entry = HistoryStreams.DecodeCatalog(record);
            if (instances.ContainsKey(entry.InstanceId))
                continue;
            var instance = new OrchestrationInstance(entry.InstanceId);
            await foreach (var history in ledger.ReadStreamAsync(instance.Stream, 0, cancellationToken))
                instance.Apply(HistoryStreams.Decode(history));
            if (!instance.Exists)
            {
                instance.Dispose();
                continue;
            }
            if (instance.IsTerminal)
                instance.Unload();
            instances[entry.InstanceId] = instance;
        }
        return instances;
    }

    private static OrchestrationPage Query(IEnumerable<OrchestrationMetadata> all, OrchestrationQuery query)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(query.PageSize, 1, nameof(query));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(query.PageSize, 1000, nameof(query));
        var matching = all
            .Where(m => query.Statuses is null || query.Statuses.Contains(m.RuntimeStatus))
            .Where(m => query.InstanceIdPrefix is null || m.InstanceId.StartsWith(query.InstanceIdPrefix, StringComparison.Ordinal))
            .Where(m => query.CreatedFrom is null || m.CreatedAt >= query.CreatedFrom)
            .Where(m => query.CreatedTo is null || m.CreatedAt < query.CreatedTo)
            .Where(m => query.ContinuationToken is null || string.CompareOrdinal(m.InstanceId, query.ContinuationToken) > 0)
            .OrderBy(m => m.InstanceId, StringComparer.Ordinal)
            .Take(query.PageSize + 1)
            .Select(m => query.FetchInputsAndOutputs ? m : WithoutData(m))
            .ToList();
        var more = matching.Count > query.PageSize;
        if (more)
            matching.RemoveAt(matching.Count - 1);
        return new OrchestrationPage(matching, more ? matching[^1].InstanceId : null);
    }

    private static OrchestrationMetadata WithoutData(OrchestrationMetadata m) =>
        m with { SerializedInput = null, SerializedOutput = null, SerializedCustomStatus = null };

    private static void ValidateInstanceId(string instanceId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(instanceId);
        if (instanceId.Length > HistoryStreams.InstanceIdMaxLength || instanceId.Any(char.IsControl))
            throw new ArgumentException($"An instance id is 1 to {HistoryStreams.InstanceIdMaxLength} characters without control characters.", nameof(instanceId));
    }

    /// <summary>Creates and runs an instance unless its id exists; returns the committed batch, or null when it existed.</summary>
    private async Task<List<HistoryEvent>?> StartCoreAsync(string instanceId, HistoryEvent started, CancellationToken cancellationToken)
    {
        var instance = _instances.GetOrAdd(instanceId, id => new OrchestrationInstance(id));
        List<HistoryEvent> batch;
        await instance.Gate.WaitAsync(cancellationToken);
        try
        {
            if (instance.Exists)
            {
                Logs.AlreadyExists(_logger, instanceId);
                return null;
            }
            batch = await CommitAsync(instance, [started], newInstance: true);
        }
        finally
        {
            instance.Gate.Release();
        }
        Logs.Started(_logger, instanceId, started.Name ?? "");
        await FollowUpAsync(instance, batch);
        return batch;
    }

    /// <summary>
    /// Under the instance's gate: runs the orchestrator on <paramref name="triggers"/> (unless they end it): its kept
    /// session resumes with them alone, otherwise the whole history plus them is replayed. Then appends triggers, marker,
    /// new actions and completion in one ledger commit, applies them, and queues the new activities (and
    /// <paramref name="redispatch"/>, activities a rewind runs again): only now, with their scheduling durable.
    /// </summary>
    private async Task<List<HistoryEvent>> CommitAsync(OrchestrationInstance instance, IReadOnlyList<HistoryEvent> triggers, bool newInstance,
        IReadOnlyList<HistoryEvent>? redispatch = null)
    {
        var batch = new List<HistoryEvent>(triggers);
        // Taken out: kept again only once this episode is in the ledger, so a failed commit leaves no session ahead of it.
        var session = instance.TakeSession();
        _sessions.Forget(instance);
        var now = _clock.GetUtcNow();
        var name = instance.Exists ? instance.Name : triggers[0].Name ?? "";
        ReplayOutcome? outcome = null;
        if (session is not null && !instance.IsTerminal && triggers.All(t => !t.IsTerminal) && session.HistoryLength == instance.Effective.Count)
        {
            outcome = session.Resume(triggers, now);
        }
        else
        {
            session = null;
            var effective = HistoryRules.Effective(instance.Stored.Concat(triggers));
            if (HistoryRules.IsTerminal(effective))
            {
                // Ended by a trigger (terminate): nothing to run.
            }
            else if (_registry.FindOrchestrator(name) is { } orchestrator)
            {
                (session, outcome) = OrchestrationSession.Replay(instance.InstanceId, orchestrator, _services, effective, now);
            }
            else
            {
                // Recorded, not run: a host that registers the orchestrator will run it at start-up.
                Logs.NotRegistered(_logger, instance.InstanceId, name);
            }
        }
        if (outcome is not null)
        {
            batch.Add(new HistoryEvent(HistoryEventType.OrchestratorStarted, now));
            batch.AddRange(outcome.NewActions);
            if (outcome.CustomStatusChanged)
                batch.Add(new HistoryEvent(HistoryEventType.CustomStatusSet, now) { Result = outcome.CustomStatus });
            if (outcome.State == ReplayState.Completed)
                batch.Add(new HistoryEvent(HistoryEventType.ExecutionCompleted, now) { Result = outcome.Output });
            else if (outcome.State == ReplayState.Failed)
                batch.Add(new HistoryEvent(HistoryEventType.ExecutionFailed, now) { Failure = outcome.Failure });
            if (outcome.IsNonDeterministic)
                Logs.NonDeterministic(_logger, instance.InstanceId, name, outcome.Failure!.ErrorMessage);
        }
        var correlationId = newInstance ? triggers[0].CorrelationId ?? "" : instance.CorrelationId;
        var entries = new List<LedgerEntry>(batch.Count + 1);
        if (newInstance)
            entries.Add(HistoryStreams.CatalogEntry(instance.InstanceId, triggers[0].Name ?? "", correlationId));
        foreach (var e in batch)
            entries.Add(HistoryStreams.Encode(instance.Stream, instance.InstanceId, correlationId, e));
        // Not cancellable: once the append may have reached the ledger, memory must follow it.
        await _ledger.AppendBatchAsync(entries, CancellationToken.None);
        foreach (var e in batch)
            instance.Apply(e);
        foreach (var e in batch)
        {
            if (e.Type == HistoryEventType.TaskScheduled)
                Dispatch(instance, e, attempt: 1);
        }
        foreach (var a in redispatch ?? [])
            Dispatch(instance, a, attempt: 1);
        if (instance.IsTerminal)
        {
            instance.Unload();
        }
        else if (session is not null)
        {
            session.Recorded(instance.Effective.Count);
            _sessions.Keep(instance, session);
        }
        Signal();
        return batch;
    }

    /// <summary>
    /// Carries out what a commit recorded, activities aside (the commit queued them). Failures are logged and retried
    /// later by a recovery of the instance.
    /// </summary>
    private async Task FollowUpAsync(OrchestrationInstance instance, IReadOnlyList<HistoryEvent> batch)
    {
        try
        {
            foreach (var timer in batch.Where(e => e.Type == HistoryEventType.TimerCreated))
                _timers.Add(new TimerEntry(instance.InstanceId, timer.EventId, timer.FireAt!.Value));
            foreach (var child in batch.Where(e => e.Type == HistoryEventType.SubOrchestrationInstanceCreated))
                await StartChildAsync(instance, child);
            if (batch.FirstOrDefault(e => e.IsTerminal) is { } end)
            {
                switch (end.Type)
                {
                    case HistoryEventType.ExecutionCompleted:
                        Logs.Completed(_logger, instance.InstanceId, instance.Name);
                        break;
                    case HistoryEventType.ExecutionFailed:
                        Logs.Failed(_logger, instance.InstanceId, instance.Name, end.Failure?.ErrorType ?? "");
                        break;
                    default:
                        Logs.Terminated(_logger, instance.InstanceId, instance.Name);
                        break;
                }
                await NotifyParentAsync(instance);
            }
        }
        catch (Exception ex) when (ex is IOException or LedgerBrokenException or InvalidDataException)
        {
            Logs.FollowUpFailed(_logger, instance.InstanceId, "follow-up", ex.GetType().Name);
            _timers.Add(new TimerEntry(instance.InstanceId, TimerEntry.Recovery, _clock.GetUtcNow() + _options.RetryDelay));
        }
    }

    private async Task StartChildAsync(OrchestrationInstance parent, HistoryEvent created)
    {
        var childId = created.InstanceId!;
        if (_registry.FindOrchestrator(created.Name ?? "") is null)
        {
            await DeliverAsync(parent.InstanceId, new HistoryEvent(HistoryEventType.SubOrchestrationInstanceFailed, _clock.GetUtcNow())
            {
                TaskScheduledId = created.EventId,
                Failure = new TaskFailureDetails("OrchestratorNotFound", $"No orchestrator is registered as '{created.Name}'."),
            }, CancellationToken.None);
            return;
        }
        var started = new HistoryEvent(HistoryEventType.ExecutionStarted, _clock.GetUtcNow())
        {
            Name = created.Name,
            Input = created.Input,
            ParentInstanceId = parent.InstanceId,
            ParentTaskId = created.EventId,
            CorrelationId = parent.CorrelationId,
        };
        if (await StartCoreAsync(childId, started, CancellationToken.None) is not null)
            return;
        // It exists: started before a crash (report its end if it ended), or an id taken by another instance.
        var child = _instances[childId];
        var metadata = child.Metadata!;
        if (metadata.ParentInstanceId != parent.InstanceId || child.ParentTaskId != created.EventId)
        {
            await DeliverAsync(parent.InstanceId, new HistoryEvent(HistoryEventType.SubOrchestrationInstanceFailed, _clock.GetUtcNow())
            {
                TaskScheduledId = created.EventId,
                Failure = new TaskFailureDetails("InstanceIdInUse", $"Instance '{childId}' exists and is not this call's sub-orchestration."),
            }, CancellationToken.None);
        }
        else if (metadata.IsCompleted)
        {
            await NotifyParentAsync(child);
        }
    }

    private async Task NotifyParentAsync(OrchestrationInstance child)
    {
        if (child.Metadata is not { ParentInstanceId: { } parentId } metadata || !metadata.IsCompleted)
            return;
        var now = _clock.GetUtcNow();
        var report = metadata.RuntimeStatus switch
        {
            OrchestrationRuntimeStatus.Completed => new HistoryEvent(HistoryEventType.SubOrchestrationInstanceCompleted, now) { Result = metadata.SerializedOutput },
            OrchestrationRuntimeStatus.Failed => new HistoryEvent(HistoryEventType.SubOrchestrationInstanceFailed, now) { Failure = metadata.FailureDetails },
            _ => new HistoryEvent(HistoryEventType.SubOrchestrationInstanceFailed, now)
            {
                Failure = new TaskFailureDetails("Terminated", $"Sub-orchestration '{child.InstanceId}' was terminated."),
            },
        };
        await DeliverAsync(parentId, report with { TaskScheduledId = child.ParentTaskId }, CancellationToken.None);
    }

    /// <summary>Records an event for a running instance and runs it; a completion of an unknown or resolved action is ignored.</summary>
    /// <summary>
    /// Records <paramref name="trigger"/> on the instance and runs the orchestrator. Triggers that arrive while the
    /// instance is busy wait in its inbox, and the next holder of the gate commits them together (one replay, one ledger
    /// commit), as Durable Task runs a batch of new events in one episode.
    /// </summary>
    private async Task<InstanceOperationResult> DeliverAsync(string instanceId, HistoryEvent trigger, CancellationToken cancellationToken)
    {
        if (!_instances.TryGetValue(instanceId, out var instance))
            return InstanceOperationResult.NotFound;
        cancellationToken.ThrowIfCancellationRequested();
        var pending = new PendingTrigger(trigger);
        instance.Inbox.Enqueue(pending);
        // Not cancellable: once queued, another holder of the gate may commit the trigger; its answer must be awaited.
        await instance.Gate.WaitAsync(CancellationToken.None);
        List<HistoryEvent>? batch = null;
        var taken = new List<PendingTrigger>();
        try
        {
            while (instance.Inbox.TryDequeue(out var next))
                taken.Add(next);
            var accepted = taken.Where(p => Admit(instance, p, taken)).ToList();
            if (accepted.Count > 0)
                batch = await CommitAsync(instance, [.. accepted.Select(p => p.Event)], newInstance: false);
            foreach (var p in accepted)
                p.Done.TrySetResult(InstanceOperationResult.Accepted);
        }
        catch (Exception ex)
        {
            foreach (var p in taken)
                p.Done.TrySetException(ex);
            throw;
        }
        finally
        {
            instance.Gate.Release();
        }
        if (batch is not null)
            await FollowUpAsync(instance, batch);
        return await pending.Done.Task;
    }

    /// <summary>
    /// True when <paramref name="pending"/> applies to the instance as it stands (with the triggers taken before it);
    /// otherwise answers it NotFound or NotApplicable: the instance has ended, or a completion names no such action or
    /// one already resolved (a duplicate delivery).
    /// </summary>
    private bool Admit(OrchestrationInstance instance, PendingTrigger pending, List<PendingTrigger> taken)
    {
        var trigger = pending.Event;
        bool Refuse(InstanceOperationResult answer, string? why)
        {
            if (why is not null)
                Logs.Ignored(_logger, instance.InstanceId, trigger.Type, trigger.TaskScheduledId, why);
            pending.Done.TrySetResult(answer);
            return false;
        }

        if (!instance.Exists)
            return Refuse(InstanceOperationResult.NotFound, null);
        if (instance.IsTerminal)
            return Refuse(InstanceOperationResult.NotApplicable, "the instance has ended");
        if (!trigger.IsCompletion)
            return true;
        var expected = trigger.Type switch
        {
            HistoryEventType.TimerFired => HistoryEventType.TimerCreated,
            HistoryEventType.TaskCompleted or HistoryEventType.TaskFailed => HistoryEventType.TaskScheduled,
            _ => HistoryEventType.SubOrchestrationInstanceCreated,
        };
        var effective = instance.Effective;
        if (HistoryRules.Action(effective, trigger.TaskScheduledId)?.Type != expected)
            return Refuse(InstanceOperationResult.NotApplicable, "no such action");
        // Admitted earlier in this batch = not answered yet (answers come after the commit).
        var admittedBefore = taken.TakeWhile(p => p != pending)
            .Any(p => p.Event.IsCompletion && p.Event.TaskScheduledId == trigger.TaskScheduledId && !p.Done.Task.IsCompleted);
        return HistoryRules.IsResolved(effective, trigger.TaskScheduledId) || admittedBefore
            ? Refuse(InstanceOperationResult.NotApplicable, "already resolved (duplicate)")
            : true;
    }

    /// <summary>
    /// Redoes an instance's follow-ups from its history (start-up, or after a failed follow-up or result commit): runs it
    /// if it never ran, queues its unresolved activities that are not queued or running, rebuilds its timers, starts
    /// missing children, reports its end to its parent.
    /// </summary>
    private async Task<(bool Running, int Dispatched, int Timers)> RecoverAsync(OrchestrationInstance instance, CancellationToken cancellationToken)
    {
        List<HistoryEvent>? batch = null;
        List<HistoryEvent> unresolved = [];
        var dispatched = 0;
        bool terminal;
        await instance.Gate.WaitAsync(cancellationToken);
        try
        {
            if (!instance.Exists)
                return (false, 0, 0);
            terminal = instance.IsTerminal;
            if (!terminal && !HistoryRules.HasRun(instance.Effective) && _registry.FindOrchestrator(instance.Name) is not null)
                batch = await CommitAsync(instance, [], newInstance: false);
            else if (!terminal)
                unresolved = HistoryRules.Unresolved(instance.Effective);
            foreach (var activity in unresolved.Where(a => a.Type == HistoryEventType.TaskScheduled && !_dispatched.ContainsKey((instance.InstanceId, a.EventId))))
            {
                Dispatch(instance, activity, attempt: 2);
                dispatched++;
            }
        }
        finally
        {
            instance.Gate.Release();
        }
        if (batch is not null)
        {
            await FollowUpAsync(instance, batch);
            return (true, batch.Count(e => e.Type == HistoryEventType.TaskScheduled), batch.Count(e => e.Type == HistoryEventType.TimerCreated));
        }
        if (terminal)
        {
            await NotifyParentAsync(instance);
            return (false, 0, 0);
        }
        await FollowUpAsync(instance, unresolved);
        return (true, dispatched, unresolved.Count(e => e.Type == HistoryEventType.TimerCreated));
    }

    /// <summary>Queues a scheduled activity for the workers; called once its <c>TaskScheduled</c> is in the ledger.</summary>
    private void Dispatch(OrchestrationInstance instance, HistoryEvent scheduled, int attempt)
    {
        _dispatched.AddOrUpdate((instance.InstanceId, scheduled.EventId), 1, (_, n) => n + 1);
        _activities.Writer.TryWrite(new ActivityWork(instance, scheduled, attempt));
        Logs.Dispatched(_logger, instance.InstanceId, scheduled.EventId, scheduled.Name ?? "");
    }

    /// <summary>An activity worker: runs queued activities one after another until the engine stops.</summary>
    private async Task RunActivitiesAsync(CancellationToken stopping)
    {
        while (true)
        {
            // ReadAsync, not WaitToReadAsync: a queued activity wakes one idle worker, not all of them.
            var work = await _activities.Reader.ReadAsync(stopping);
            var key = (work.Instance.InstanceId, work.Scheduled.EventId);
            try
            {
                await RunActivityAsync(work, stopping);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                // Stopping: the activity is unresolved in the history, so the next start-up runs it again.
                throw;
            }
            catch (Exception ex)
            {
                // The result did not reach the ledger: the task stays unresolved, and a recovery runs it again.
                Logs.FollowUpFailed(_logger, work.Instance.InstanceId, "activity result", ex.GetType().Name);
                _timers.Add(new TimerEntry(work.Instance.InstanceId, TimerEntry.Recovery, _clock.GetUtcNow() + _options.RetryDelay));
            }
            finally
            {
                if (_dispatched.AddOrUpdate(key, 0, (_, n) => n - 1) <= 0)
                    _dispatched.TryRemove(new KeyValuePair<(string, int), int>(key, 0));
            }
        }
    }

    /// <summary>Runs one activity if its task is still unresolved, then commits its result to the history.</summary>
    private async Task RunActivityAsync(ActivityWork work, CancellationToken stopping)
    {
        var (instance, scheduled, attempt) = work;
        var taskId = scheduled.EventId;
        // Queued by the commit that scheduled it, nothing but its own result resolves the task, so only an ended instance
        // stops it, and the gate that commit still holds is not waited for. Queued by a recovery, it may have run since.
        if (attempt == 1 ? instance.IsTerminal : !await IsPendingAsync(instance, taskId, stopping))
        {
            Logs.Skipped(_logger, instance.InstanceId, taskId, "its task is resolved or its instance has ended");
            return;
        }
        var name = scheduled.Name ?? "";
        var context = new ActivityContext(name, instance.InstanceId, taskId, attempt);
        HistoryEvent result;
        if (_registry.FindActivity(name) is not { } activity)
        {
            result = new HistoryEvent(HistoryEventType.TaskFailed, _clock.GetUtcNow())
            {
                TaskScheduledId = taskId,
                Failure = new TaskFailureDetails("ActivityNotFound", $"No activity is registered as '{name}'."),
            };
        }
        else
        {
            try
            {
                var output = await activity.Run(_services, context, scheduled.Input, stopping);
                result = new HistoryEvent(HistoryEventType.TaskCompleted, _clock.GetUtcNow()) { TaskScheduledId = taskId, Result = output };
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception ex)
            {
                // The activity's failure is the orchestrator's to handle (retry, compensate); its message stays out of logs.
                result = new HistoryEvent(HistoryEventType.TaskFailed, _clock.GetUtcNow()) { TaskScheduledId = taskId, Failure = TaskFailureDetails.FromException(ex) };
            }
        }
        if (result.Type == HistoryEventType.TaskFailed)
            Logs.ActivityFailed(_logger, instance.InstanceId, taskId, name, result.Failure!.ErrorType);
        else
            Logs.ActivityCompleted(_logger, instance.InstanceId, taskId, name);
        await DeliverAsync(instance.InstanceId, result, CancellationToken.None);
    }

    private static async Task<bool> IsPendingAsync(OrchestrationInstance instance, int taskId, CancellationToken cancellationToken)
    {
        await instance.Gate.WaitAsync(cancellationToken);
        try
        {
            return instance.Exists && !instance.IsTerminal && !HistoryRules.IsResolved(instance.Effective, taskId);
        }
        finally
        {
            instance.Gate.Release();
        }
    }

    /// <summary>Fires due durable timers (and retries recoveries) on the engine's clock.</summary>
    private async Task RunTimersAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            var (next, changed) = _timers.Peek();
            var now = _clock.GetUtcNow();
            if (next is { } due && due.FireAt <= now)
            {
                _timers.Remove(due);
                try
                {
                    if (due.TimerId == TimerEntry.Recovery)
                    {
                        if (_instances.TryGetValue(due.InstanceId, out var instance))
                            await RecoverAsync(instance, stopping);
                    }
                    else
                    {
                        Logs.TimerFired(_logger, due.InstanceId, due.TimerId);
                        await DeliverAsync(due.InstanceId, new HistoryEvent(HistoryEventType.TimerFired, now) { TaskScheduledId = due.TimerId, FireAt = due.FireAt }, stopping);
                    }
                }
                catch (OperationCanceledException) when (stopping.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception ex) when (ex is IOException or LedgerBrokenException or InvalidDataException)
                {
                    Logs.FollowUpFailed(_logger, due.InstanceId, "timer", ex.GetType().Name);
                    _timers.Add(due with { FireAt = now + _options.RetryDelay });
                }
                continue;
            }
            using var sleep = CancellationTokenSource.CreateLinkedTokenSource(stopping);
            var timer = next is { } pending
                ? Task.Delay(pending.FireAt - now, _clock, sleep.Token)
                : Task.Delay(Timeout.InfiniteTimeSpan, sleep.Token);
            await Task.WhenAny(timer, changed);
            await sleep.CancelAsync();
        }
    }

    private void Signal()
    {
        var previous = Interlocked.Exchange(ref _changed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        previous.TrySetResult();
    }

    /// <summary>A scheduled activity for the workers; <see cref="Attempt"/> 1 when dispatched by its commit, 2 by a recovery (it may have run before).</summary>
    private readonly record struct ActivityWork(OrchestrationInstance Instance, HistoryEvent Scheduled, int Attempt);

    /// <summary>A durable timer due at <see cref="FireAt"/>, or (<see cref="Recovery"/>) a retry of an instance's follow-ups.</summary>
    private readonly record struct TimerEntry(string InstanceId, int TimerId, DateTimeOffset FireAt)
    {
        public const int Recovery = -1;
    }

    /// <summary>Pending timers by due time; wakes the timer loop when an earlier one is added.</summary>
    private sealed class TimerTable
    {
        private readonly Lock _gate = new();
        private readonly SortedSet<TimerEntry> _entries = new(Comparer<TimerEntry>.Create((a, b) =>
        {
            var byTime = a.FireAt.CompareTo(b.FireAt);
            if (byTime != 0)
                return byTime;
            var byInstance = string.CompareOrdinal(a.InstanceId, b.InstanceId);
            return byInstance != 0 ? byInstance : a.TimerId.CompareTo(b.TimerId);
        }));
        private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Add(TimerEntry entry)
        {
            TaskCompletionSource? wake = null;
            lock (_gate)
            {
                if (_entries.Add(entry) && _entries.Min == entry)
                {
                    wake = _changed;
                    _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                }
            }
            wake?.TrySetResult();
        }

        public void Remove(TimerEntry entry)
        {
            lock (_gate)
                _entries.Remove(entry);
        }

        public (TimerEntry? Next, Task Changed) Peek()
        {
            lock (_gate)
                return (_entries.Count > 0 ? _entries.Min : null, _changed.Task);
        }
    }
}
