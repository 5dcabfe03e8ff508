namespace HealthFlow.Pipeline.Orchestration;

/// <summary>
/// The engine's in-memory copy of one instance: its stored history (the ledger is the truth; this is rebuilt from it at
/// start-up) and the summary queries read. Mutated only under <see cref="Gate"/>; <see cref="Metadata"/> is an
/// immutable snapshot swapped atomically, so queries read it without the gate.
/// </summary>
/// <remarks>
/// Memory: the history of an ended instance is dropped (<see cref="Unload"/>) and read again from the ledger only when
/// needed (rewind, history, replay check), so memory grows with running instances, not with all instances ever run.
/// A running instance may also hold its orchestrator's suspended code (<see cref="TakeSession"/>), at most as many as
/// the <see cref="SessionCache"/> keeps.
/// </remarks>
internal sealed class OrchestrationInstance(string instanceId) : IDisposable
{
    private readonly List<HistoryEvent> _stored = [];
    private List<HistoryEvent>? _effective;
    private OrchestrationSession? _session;

    public string InstanceId { get; } = instanceId;

    /// <summary>Its history's ledger stream, <see cref="HistoryStreams.Of"/>.</summary>
    public string Stream { get; } = HistoryStreams.Of(instanceId);

    /// <summary>One operation at a time per instance (append + replay + record).</summary>
    public SemaphoreSlim Gate { get; } = new(1, 1);

    /// <summary>
    /// Triggers (activity results, timers, events) waiting for <see cref="Gate"/>: whoever holds it next commits all of
    /// them with one replay, so many results arriving together cost one replay and one ledger commit, not one each.
    /// </summary>
    public System.Collections.Concurrent.ConcurrentQueue<PendingTrigger> Inbox { get; } = new();

    public IReadOnlyList<HistoryEvent> Stored => _stored;

    public bool Exists => Metadata is not null;

    /// <summary>False once the history of an ended instance was dropped; <see cref="EnsureLoadedAsync"/> reads it again.</summary>
    public bool IsLoaded { get; private set; } = true;

    public int Rewinds { get; private set; }

    public OrchestrationMetadata? Metadata { get; private set; }

    /// <summary>The history with rewinds applied (cached until the next append); without a rewind, the stored history itself.</summary>
    public IReadOnlyList<HistoryEvent> Effective => Rewinds == 0 ? _stored : _effective ??= HistoryRules.Effective(_stored);

    public string Name => Metadata?.Name ?? "";

    public string CorrelationId => Metadata?.CorrelationId ?? "";

    public OrchestrationRuntimeStatus Status => Metadata?.RuntimeStatus ?? OrchestrationRuntimeStatus.Pending;

    public bool IsTerminal => Metadata?.IsCompleted ?? false;

    /// <summary>The parent's action id when this is a sub-orchestration.</summary>
    public int ParentTaskId { get; private set; } = -1;

    public void Apply(HistoryEvent e)
    {
        _stored.Add(e);
        _effective = null;
        var m = Metadata;
        Metadata = e.Type switch
        {
            HistoryEventType.ExecutionStarted => new OrchestrationMetadata(InstanceId, e.Name ?? "", OrchestrationRuntimeStatus.Pending, e.Timestamp, e.Timestamp,
                e.Input, null, null, null, e.ParentInstanceId, e.CorrelationId ?? ""),
            _ when m is null => throw new InvalidDataException($"The history of {InstanceId} does not start with ExecutionStarted."),
            HistoryEventType.OrchestratorStarted when m.RuntimeStatus == OrchestrationRuntimeStatus.Pending =>
                m with { RuntimeStatus = OrchestrationRuntimeStatus.Running, LastUpdatedAt = e.Timestamp },
            HistoryEventType.CustomStatusSet => m with { SerializedCustomStatus = e.Result, LastUpdatedAt = e.Timestamp },
            HistoryEventType.ExecutionCompleted => m with { RuntimeStatus = OrchestrationRuntimeStatus.Completed, SerializedOutput = e.Result, LastUpdatedAt = e.Timestamp },
            HistoryEventType.ExecutionFailed => m with { RuntimeStatus = OrchestrationRuntimeStatus.Failed, FailureDetails = e.Failure, LastUpdatedAt = e.Timestamp },
            HistoryEventType.ExecutionTerminated => m with
            {
                RuntimeStatus = OrchestrationRuntimeStatus.Terminated,
                SerializedOutput = OrchestrationJson.Serialize(e.Reason),
                LastUpdatedAt = e.Timestamp,
            },
            HistoryEventType.ExecutionRewound => m with { RuntimeStatus = OrchestrationRuntimeStatus.Running, FailureDetails = null, LastUpdatedAt = e.Timestamp },
            // An episode's events share its time: the snapshot is copied only when the time moves.
            _ when m.LastUpdatedAt.EqualsExact(e.Timestamp) => m,
            _ => m with { LastUpdatedAt = e.Timestamp },
        };
        if (e.Type == HistoryEventType.ExecutionStarted)
            ParentTaskId = e.ParentTaskId;
        if (e.Type == HistoryEventType.ExecutionRewound)
            Rewinds++;
    }

    /// <summary>Its place in the <see cref="SessionCache"/> (guarded by the cache's lock).</summary>
    internal LinkedListNode<OrchestrationInstance>? CacheNode { get; set; }

    /// <summary>
    /// Takes the kept session, if any: for one episode (under <see cref="Gate"/>), which keeps it again only after its
    /// commit, or to evict it.
    /// </summary>
    public OrchestrationSession? TakeSession() => Interlocked.Exchange(ref _session, null);

    public void KeepSession(OrchestrationSession session) => Volatile.Write(ref _session, session);

    /// <summary>Drops the stored history of an ended instance (metadata stays).</summary>
    public void Unload()
    {
        if (!IsTerminal)
            throw new InvalidOperationException($"Instance {InstanceId} is running; its history must stay in memory.");
        _stored.Clear();
        _stored.TrimExcess();
        _effective = null;
        IsLoaded = false;
    }

    /// <summary>Reads the history again from the ledger when it was dropped.</summary>
    public async Task EnsureLoadedAsync(HealthFlow.Ledger.ILedger ledger, CancellationToken cancellationToken)
    {
        if (IsLoaded)
            return;
        var events = new List<HistoryEvent>();
        await foreach (var record in ledger.ReadStreamAsync(Stream, 0, cancellationToken))
            events.Add(HistoryStreams.Decode(record));
        Metadata = null;
        Rewinds = 0;
        foreach (var e in events)
            Apply(e);
        IsLoaded = true;
    }

    public void Dispose() => Gate.Dispose();
}

/// <summary>A trigger in <see cref="OrchestrationInstance.Inbox"/> and the answer its sender awaits.</summary>
internal sealed class PendingTrigger(HistoryEvent trigger)
{
    public HistoryEvent Event { get; } = trigger;

    public TaskCompletionSource<InstanceOperationResult> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}
