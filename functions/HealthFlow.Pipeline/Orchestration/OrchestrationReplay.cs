using System.Runtime.ExceptionServices;
using System.Security.Cryptography;
using System.Text;

namespace HealthFlow.Pipeline.Orchestration;

/// <summary>What one replay of an orchestrator against its history produced.</summary>
internal enum ReplayState
{
    /// <summary>The code waits for something (activities, timers, events, sub-orchestrations).</summary>
    Waiting,
    Completed,
    Failed,
}

/// <param name="State">Where the code is after every history event was handed to it.</param>
/// <param name="NewActions">Actions the code scheduled that the history does not hold yet, in order, with their event ids.</param>
/// <param name="Output">Output JSON when completed.</param>
/// <param name="Failure">Why it failed (including non-determinism) when failed.</param>
/// <param name="CustomStatus">The custom status JSON the code set last.</param>
/// <param name="CustomStatusChanged">True when it differs from the last recorded one.</param>
/// <param name="ActionsReplayed">Actions matched to history records.</param>
internal sealed record ReplayOutcome(
    ReplayState State,
    IReadOnlyList<HistoryEvent> NewActions,
    string? Output,
    TaskFailureDetails? Failure,
    string? CustomStatus,
    bool CustomStatusChanged,
    int ActionsReplayed)
{
    public bool IsNonDeterministic => Failure?.ErrorType == typeof(NonDeterministicOrchestrationException).FullName;
}

/// <summary>
/// Runs an orchestrator function against a history, the way Durable Task does: the code starts from the beginning on a
/// single-threaded scheduler, each history event is handed to it in order (completing the task it waits on), and the
/// code's calls are matched, by position, kind and name, to the actions the history recorded. Calls beyond the history
/// are new actions for the engine to record and carry out.
/// </summary>
/// <remarks>
/// <para>Determinism of the run itself: the code only ever runs inside <see cref="ReplayScheduler.Drain"/>, one
/// continuation at a time, on the caller's thread; durable tasks complete only when the loop hands over an event. So the
/// same history always drives the code through the same states.</para>
/// <para>Non-determinism is detected three ways, each failing the instance with
/// <see cref="NonDeterministicOrchestrationException"/> naming the expected and actual action: a call whose kind or name
/// differs from the recorded action at its position; a new call while replaying events whose reactions were all recorded;
/// a recorded action (or completion) the code never scheduled.</para>
/// </remarks>
internal static class OrchestrationReplay
{
    /// <summary>Replays the whole history once (the session is dropped): determinism checks and tests.</summary>
    public static ReplayOutcome Run(
        string instanceId,
        RegisteredOrchestrator orchestrator,
        IServiceProvider services,
        IReadOnlyList<HistoryEvent> history,
        DateTimeOffset episodeTime) =>
        OrchestrationSession.Replay(instanceId, orchestrator, services, history, episodeTime).Outcome;
}

/// <summary>
/// An orchestrator's code suspended where the history left it, kept between episodes (Durable Functions' extended
/// sessions): the next episode hands it only the new events instead of replaying the whole history. The ledger stays the
/// truth: an instance without a session (evicted, restarted, after a failed commit) is replayed from its history, which
/// is also where changed code is found out as non-deterministic.
/// </summary>
internal sealed class OrchestrationSession
{
    private readonly ReplayScheduler _scheduler;
    private readonly ReplayContext _context;
    private readonly Task<string?> _run;
    private string? _recordedStatus;

    private OrchestrationSession(ReplayScheduler scheduler, ReplayContext context, Task<string?> run, string? recordedStatus)
    {
        _scheduler = scheduler;
        _context = context;
        _run = run;
        _recordedStatus = recordedStatus;
    }

    /// <summary>Events of the effective history this session stands at: it can resume only an instance whose history has exactly these.</summary>
    public int HistoryLength { get; private set; }

    /// <summary>Runs the code from the beginning against <paramref name="history"/>; the session stands after its last event.</summary>
    public static (OrchestrationSession Session, ReplayOutcome Outcome) Replay(
        string instanceId,
        RegisteredOrchestrator orchestrator,
        IServiceProvider services,
        IReadOnlyList<HistoryEvent> history,
        DateTimeOffset episodeTime)
    {
        if (history.Count == 0 || history[0].Type != HistoryEventType.ExecutionStarted)
            throw new InvalidOperationException($"The history of {instanceId} does not start with ExecutionStarted.");

        // Each event is processed at the time of the episode that first processed it: the next OrchestratorStarted
        // marker after it, or this episode's time for events no episode has seen yet (which are not replaying).
        var times = new DateTimeOffset[history.Count];
        var replaying = new bool[history.Count];
        var nextTime = episodeTime;
        var markerAfter = false;
        string? recordedStatus = null;
        var statusSeen = false;
        for (var i = history.Count - 1; i >= 0; i--)
        {
            times[i] = nextTime;
            replaying[i] = markerAfter;
            if (history[i].Type == HistoryEventType.OrchestratorStarted)
            {
                nextTime = history[i].Timestamp;
                markerAfter = true;
            }
            if (!statusSeen && history[i].Type == HistoryEventType.CustomStatusSet)
            {
                recordedStatus = history[i].Result;
                statusSeen = true;
            }
        }

        var scheduler = new ReplayScheduler();
        var recorded = history.Where(e => e.IsAction).ToDictionary(e => e.EventId);
        var context = new ReplayContext(instanceId, history[0], scheduler, recorded) { Now = times[0], Replaying = replaying[0] };
        var run = Task.Factory.StartNew(
            () => orchestrator.Run(services, context, history[0].Input),
            CancellationToken.None, TaskCreationOptions.DenyChildAttach, scheduler).Unwrap();
        var session = new OrchestrationSession(scheduler, context, run, recordedStatus) { HistoryLength = history.Count };
        scheduler.Drain();
        for (var i = 1; i < history.Count && !session.Stopped; i++)
            session.Hand(history[i], times[i], replaying[i]);
        if (context.NonDeterminism is null)
            context.ExpectAllRecordedScheduled();
        return (session, session.Outcome());
    }

    /// <summary>
    /// The next episode: hands the code only <paramref name="triggers"/>, the events that arrived since the history this
    /// session stands at, at <paramref name="episodeTime"/>.
    /// </summary>
    public ReplayOutcome Resume(IReadOnlyList<HistoryEvent> triggers, DateTimeOffset episodeTime)
    {
        if (Stopped)
            throw new InvalidOperationException("The orchestrator has ended; its session cannot resume.");
        foreach (var trigger in triggers)
        {
            if (Stopped)
                break;
            Hand(trigger, episodeTime, replaying: false);
        }
        return Outcome();
    }

    /// <summary>The episode's outcome is in the ledger, its history now <paramref name="historyLength"/> events: its new actions and status are recorded.</summary>
    public void Recorded(int historyLength)
    {
        HistoryLength = historyLength;
        _recordedStatus = _context.CustomStatus;
        _context.AcceptNewActions();
    }

    private bool Stopped => _context.NonDeterminism is not null || _run.IsCompleted;

    private void Hand(HistoryEvent e, DateTimeOffset time, bool replaying)
    {
        _context.Now = time;
        _context.Replaying = replaying;
        switch (e.Type)
        {
            case HistoryEventType.TaskScheduled or HistoryEventType.TimerCreated or HistoryEventType.SubOrchestrationInstanceCreated:
                _context.ExpectRecorded(e);
                break;
            case HistoryEventType.TaskCompleted or HistoryEventType.TaskFailed or HistoryEventType.TimerFired
                or HistoryEventType.SubOrchestrationInstanceCompleted or HistoryEventType.SubOrchestrationInstanceFailed:
                _context.Resolve(e);
                break;
            case HistoryEventType.EventRaised:
                _context.Deliver(e.Name ?? "", e.Input);
                break;
            default:
                // ExecutionStarted, OrchestratorStarted, CustomStatusSet, ExecutionRewound and the terminal events
                // carry no input for the code.
                break;
        }
        _scheduler.Drain();
    }

    private ReplayOutcome Outcome()
    {
        var context = _context;
        var run = _run;
        var newActions = context.Actions.Where(a => a.IsNew).Select(a => a.Event).ToList();
        var replayed = context.Actions.Count(a => !a.IsNew);
        if (context.NonDeterminism is { } nondeterminism)
            return new ReplayOutcome(ReplayState.Failed, [], null, TaskFailureDetails.FromException(nondeterminism), context.CustomStatus, false, replayed);
        var changed = !string.Equals(context.CustomStatus, _recordedStatus, StringComparison.Ordinal);
        return run.Status switch
        {
            TaskStatus.RanToCompletion => new ReplayOutcome(ReplayState.Completed, newActions, run.Result, null, context.CustomStatus, changed, replayed),
            TaskStatus.Faulted => new ReplayOutcome(ReplayState.Failed, newActions, null,
                TaskFailureDetails.FromException(run.Exception!.InnerExceptions.Count == 1 ? run.Exception.InnerException! : run.Exception), context.CustomStatus, changed, replayed),
            TaskStatus.Canceled => new ReplayOutcome(ReplayState.Failed, newActions, null,
                TaskFailureDetails.FromException(new TaskCanceledException(run)), context.CustomStatus, changed, replayed),
            _ => new ReplayOutcome(ReplayState.Waiting, newActions, null, null, context.CustomStatus, changed, replayed),
        };
    }

    /// <summary>A scheduled call: its history event and the task the code awaits.</summary>
    private sealed class ScheduledAction(HistoryEvent e, bool isNew)
    {
        public HistoryEvent Event { get; } = e;
        /// <summary>Scheduled by this episode and not recorded yet.</summary>
        public bool IsNew { get; set; } = isNew;
        public TaskCompletionSource<string?> Completion { get; } = new();
    }

    private sealed class EventWaiter
    {
        public TaskCompletionSource<string?> Completion { get; } = new();
    }

    /// <summary>The context handed to orchestrator code during a replay.</summary>
    private sealed class ReplayContext(string instanceId, HistoryEvent started, ReplayScheduler scheduler, Dictionary<int, HistoryEvent> recorded) : OrchestrationContext
    {
        private const int CustomStatusMaxChars = 16 * 1024;
        private readonly Dictionary<string, LinkedList<EventWaiter>> _waiters = new(StringComparer.OrdinalIgnoreCase);
        private readonly Dictionary<string, Queue<string?>> _buffered = new(StringComparer.OrdinalIgnoreCase);
        private int _guids;

        public List<ScheduledAction> Actions { get; } = [];
        public NonDeterministicOrchestrationException? NonDeterminism { get; private set; }
        public DateTimeOffset Now { get; set; }
        public bool Replaying { get; set; }
        public string? CustomStatus { get; private set; }

        public override string Name => started.Name ?? "";
        public override string InstanceId => instanceId;
        public override DateTime CurrentUtcDateTime => Now.UtcDateTime;
        public override bool IsReplaying => Replaying;

        public override T? GetInput<T>() where T : default => OrchestrationJson.Deserialize<T>(started.Input);

        public override Task<T> CallActivityAsync<T>(string name, object? input = null, TaskOptions? options = null)
        {
            CheckThread();
            ArgumentException.ThrowIfNullOrWhiteSpace(name);
            var inputJson = OrchestrationJson.Serialize(input);
            return options?.Retry is { } retry
                ? WithRetryAsync(_ => CallActivityOnceAsync<T>(name, inputJson), retry)
                : CallActivityOnceAsync<T>(name, inputJson);
        }

        public override Task<TResult> CallSubOrchestratorAsync<TResult>(string orchestratorName, string? instanceId = null, object? input = null, TaskOptions? options = null)
        {
            CheckThread();
            ArgumentException.ThrowIfNullOrWhiteSpace(orchestratorName);
            var inputJson = OrchestrationJson.Serialize(input);
            return options?.Retry is { } retry
                ? WithRetryAsync(attempt => CallSubOrchestratorOnceAsync<TResult>(orchestratorName, instanceId, inputJson, attempt), retry)
                : CallSubOrchestratorOnceAsync<TResult>(orchestratorName, instanceId, inputJson, 1);
        }

        public override Task CreateTimer(DateTime fireAt, CancellationToken cancellationToken)
        {
            CheckThread();
            var utc = fireAt.Kind switch
            {
                DateTimeKind.Local => fireAt.ToUniversalTime(),
                DateTimeKind.Unspecified => DateTime.SpecifyKind(fireAt, DateTimeKind.Utc),
                _ => fireAt,
            };
            var action = Schedule(new HistoryEvent(HistoryEventType.TimerCreated, Now) { FireAt = new DateTimeOffset(utc) });
            if (cancellationToken.CanBeCanceled)
                cancellationToken.Register(() => action.Completion.TrySetCanceled(cancellationToken));
            return action.Completion.Task;
        }

        public override Task<T> WaitForExternalEvent<T>(string eventName, CancellationToken cancellationToken = default)
        {
            CheckThread();
            ArgumentException.ThrowIfNullOrWhiteSpace(eventName);
            if (_buffered.TryGetValue(eventName, out var buffered) && buffered.Count > 0)
                return Task.FromResult(OrchestrationJson.Deserialize<T>(buffered.Dequeue())!);
            if (!_waiters.TryGetValue(eventName, out var waiters))
                _waiters[eventName] = waiters = new LinkedList<EventWaiter>();
            var waiter = new EventWaiter();
            var node = waiters.AddLast(waiter);
            if (cancellationToken.CanBeCanceled)
            {
                cancellationToken.Register(() =>
                {
                    // A cancelled wait no longer takes events: a later one is buffered for the next wait.
                    if (waiter.Completion.TrySetCanceled(cancellationToken) && node.List is not null)
                        waiters.Remove(node);
                });
            }
            return Typed<T>(waiter.Completion.Task);
        }

        public override void SetCustomStatus(object? customStatus)
        {
            CheckThread();
            var json = OrchestrationJson.Serialize(customStatus);
            if (json is { Length: > CustomStatusMaxChars })
                throw new ArgumentException($"The custom status is {json.Length} characters of JSON; at most {CustomStatusMaxChars} are kept.", nameof(customStatus));
            CustomStatus = json;
        }

        public override Guid NewGuid()
        {
            CheckThread();
            var name = $"{InstanceId}\n{Now.UtcTicks}\n{_guids++}";
            Span<byte> hash = stackalloc byte[32];
            SHA256.HashData(Encoding.UTF8.GetBytes(name), hash);
            var bytes = hash[..16];
            bytes[6] = (byte)((bytes[6] & 0x0F) | 0x80); // version 8 (RFC 9562, custom)
            bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80); // RFC variant
            return new Guid(bytes, bigEndian: true);
        }

        /// <summary>A recorded action event reached in the history: the code must have scheduled it by now, identically.</summary>
        public void ExpectRecorded(HistoryEvent e)
        {
            if (e.EventId >= Actions.Count)
                NoteNonDeterminism($"the history has {e.Describe()} at this point, but the orchestrator scheduled only {Actions.Count} action(s) by then");
        }

        /// <summary>Hands a recorded completion to the task waiting on it.</summary>
        public void Resolve(HistoryEvent e)
        {
            var expected = e.Type switch
            {
                HistoryEventType.TimerFired => HistoryEventType.TimerCreated,
                HistoryEventType.TaskCompleted or HistoryEventType.TaskFailed => HistoryEventType.TaskScheduled,
                _ => HistoryEventType.SubOrchestrationInstanceCreated,
            };
            if (e.TaskScheduledId < 0 || e.TaskScheduledId >= Actions.Count || Actions[e.TaskScheduledId].Event.Type != expected)
            {
                NoteNonDeterminism($"the history has {e.Type} for action #{e.TaskScheduledId}, which the orchestrator did not schedule as {expected}");
                return;
            }
            var action = Actions[e.TaskScheduledId];
            switch (e.Type)
            {
                case HistoryEventType.TaskCompleted or HistoryEventType.SubOrchestrationInstanceCompleted:
                    action.Completion.TrySetResult(e.Result);
                    break;
                case HistoryEventType.TimerFired:
                    // A cancelled timer still fires in the history; its task is already cancelled.
                    action.Completion.TrySetResult(null);
                    break;
                default:
                    action.Completion.TrySetException(new TaskFailedException(action.Event.Name ?? "", action.Event.EventId,
                        e.Failure ?? new TaskFailureDetails("Unknown", "The failure was recorded without details.")));
                    break;
            }
        }

        /// <summary>An external event: to the first waiter for its name, or buffered until one waits.</summary>
        public void Deliver(string name, string? payload)
        {
            if (_waiters.TryGetValue(name, out var waiters))
            {
                while (waiters.First is { } first)
                {
                    waiters.RemoveFirst();
                    if (first.Value.Completion.TrySetResult(payload))
                        return;
                }
            }
            if (!_buffered.TryGetValue(name, out var queue))
                _buffered[name] = queue = new Queue<string?>();
            queue.Enqueue(payload);
        }

        /// <summary>The episode's new actions are in the ledger now.</summary>
        public void AcceptNewActions()
        {
            foreach (var action in Actions)
                action.IsNew = false;
        }

        /// <summary>At the end of the history: every recorded action must have been scheduled again.</summary>
        public void ExpectAllRecordedScheduled()
        {
            foreach (var (id, e) in recorded.OrderBy(r => r.Key))
            {
                if (id >= Actions.Count)
                {
                    NoteNonDeterminism($"the history has {e.Describe()}, but the orchestrator did not schedule it");
                    return;
                }
            }
        }

        private async Task<T> CallActivityOnceAsync<T>(string name, string? inputJson)
        {
            var action = Schedule(new HistoryEvent(HistoryEventType.TaskScheduled, Now) { Name = name, Input = inputJson });
            var result = await action.Completion.Task;
            return OrchestrationJson.Deserialize<T>(result)!;
        }

        private async Task<TResult> CallSubOrchestratorOnceAsync<TResult>(string name, string? instanceId, string? inputJson, int attempt)
        {
            // The child's id is derived from the call's position (or the caller's id plus the attempt), so it is the same on replay.
            var childId = instanceId is null ? $"{InstanceId}:{Actions.Count}" : attempt == 1 ? instanceId : $"{instanceId}:attempt{attempt}";
            var action = Schedule(new HistoryEvent(HistoryEventType.SubOrchestrationInstanceCreated, Now) { Name = name, Input = inputJson, InstanceId = childId });
            var result = await action.Completion.Task;
            return OrchestrationJson.Deserialize<TResult>(result)!;
        }

        /// <summary>Durable Task's retry: each attempt a task of its own, a durable timer between attempts.</summary>
        private async Task<T> WithRetryAsync<T>(Func<int, Task<T>> attempt, RetryPolicy policy)
        {
            var firstAttemptAt = CurrentUtcDateTime;
            for (var n = 1; ; n++)
            {
                TaskFailedException failure;
                try
                {
                    return await attempt(n);
                }
                catch (TaskFailedException ex)
                {
                    failure = ex;
                }
                var next = CurrentUtcDateTime + policy.DelayAfter(n);
                if (n >= policy.MaxNumberOfAttempts || (policy.RetryTimeout != Timeout.InfiniteTimeSpan && next - firstAttemptAt > policy.RetryTimeout))
                    ExceptionDispatchInfo.Throw(failure);
                await CreateTimer(next, CancellationToken.None);
            }
        }

        private ScheduledAction Schedule(HistoryEvent produced)
        {
            if (NonDeterminism is { } already)
                throw already;
            var id = Actions.Count;
            produced = produced with { EventId = id };
            ScheduledAction? action = null;
            if (recorded.TryGetValue(id, out var existing))
            {
                if (existing.Type != produced.Type || !string.Equals(existing.Name, produced.Name, StringComparison.OrdinalIgnoreCase))
                    FailNonDeterministic($"at action #{id} the history has {existing.Describe()}, but the orchestrator now schedules {produced.Describe()}");
                action = new ScheduledAction(existing, isNew: false);
            }
            else if (Replaying)
            {
                FailNonDeterministic($"the orchestrator now schedules {produced.Describe()} at a point where the history recorded no further action");
            }
            else
            {
                action = new ScheduledAction(produced, isNew: true);
            }
            Actions.Add(action!);
            return action!;
        }

        /// <summary>Called from orchestrator code: records the non-determinism and unwinds the code.</summary>
        [System.Diagnostics.CodeAnalysis.DoesNotReturn]
        private void FailNonDeterministic(string detail)
        {
            NoteNonDeterminism(detail);
            // The outcome is decided by the flag, whatever the code does with the exception.
            throw NonDeterminism!;
        }

        /// <summary>Called from the replay loop: records the first non-determinism found.</summary>
        private void NoteNonDeterminism(string detail) =>
            NonDeterminism ??= new NonDeterministicOrchestrationException(
                $"Non-deterministic orchestration '{Name}' (instance {InstanceId}): {detail}. Its code changed under a running instance or it is not deterministic.");

        private void CheckThread()
        {
            if (TaskScheduler.Current != scheduler)
                throw new InvalidOperationException("Orchestrator code called the orchestration context from outside the orchestrator thread (ConfigureAwait(false), Task.Run or a non-durable task).");
        }

        /// <summary>
        /// The event's payload as <typeparamref name="T"/>, continued on the replay scheduler as an <c>await</c> would be.
        /// A cancelled wait ends cancelled without throwing: discharge-to-bill cancels two waits per instance, and an
        /// <c>await</c> of the cancelled payload threw a <see cref="TaskCanceledException"/> for each.
        /// </summary>
        private Task<T> Typed<T>(Task<string?> raw) =>
            raw.ContinueWith(static payload => OrchestrationJson.Deserialize<T>(payload.Result)!, CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, scheduler);
    }
}

/// <summary>
/// Runs orchestrator code one task at a time on the thread that calls <see cref="Drain"/>, never inline and never on the
/// thread pool, so the code advances only when the replay loop lets it.
/// </summary>
internal sealed class ReplayScheduler : TaskScheduler
{
    private readonly Queue<Task> _queue = new();
    private readonly Lock _gate = new();

    public override int MaximumConcurrencyLevel => 1;

    /// <summary>Runs queued continuations until none is left.</summary>
    /// <remarks>
    /// Without a synchronization context, so the code's <c>await</c>s come back to this scheduler even when the caller
    /// has one (a test runner's, a UI's): a captured context would run the continuation elsewhere, later.
    /// </remarks>
    public void Drain()
    {
        var caller = SynchronizationContext.Current;
        SynchronizationContext.SetSynchronizationContext(null);
        try
        {
            while (true)
            {
                Task? next;
                lock (_gate)
                {
                    if (!_queue.TryDequeue(out next))
                        return;
                }
                TryExecuteTask(next);
            }
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(caller);
        }
    }

    protected override void QueueTask(Task task)
    {
        lock (_gate)
            _queue.Enqueue(task);
    }

    protected override bool TryExecuteTaskInline(Task task, bool taskWasPreviouslyQueued) => false;

    protected override IEnumerable<Task> GetScheduledTasks()
    {
        lock (_gate)
            return [.. _queue];
    }
}
