using Microsoft.Extensions.Logging;

namespace HealthFlow.Pipeline.Orchestration;

/// <summary>
/// What an orchestrator sees of its orchestration: the Durable Task programming model, member for member the shape
/// of durabletask-dotnet's <c>Microsoft.DurableTask.TaskOrchestrationContext</c>, so orchestrator code is written once.
/// The embedded engine implements it by replaying a history kept in the ledger; the Functions app adapts Durable
/// Functions' <c>TaskOrchestrationContext</c> to it (each member forwards to the member of the same name).
/// </summary>
/// <remarks>
/// <para>Replay: an orchestrator function is re-run from the start every time something happens to its instance
/// (an activity completes, a timer fires, an event arrives). Calls it made before are answered from the history
/// instead of being executed again, so the function must take the same decisions in the same order each time:
/// no clock (<see cref="CurrentUtcDateTime"/>), no random or new GUIDs (<see cref="NewGuid"/>), no I/O, no
/// <c>Task.Delay</c>/<c>Task.Run</c>/<c>ConfigureAwait(false)</c>, no static mutable state. Do all of that in
/// activities. <c>OrchestratorDeterminismTests</c> scans orchestrator sources for the usual offenders.</para>
/// <para>Threading: every member must be called from the orchestrator's own thread (the code that the engine
/// started and its <c>await</c> continuations); calling one from elsewhere throws <see cref="InvalidOperationException"/>.</para>
/// <para>Names: activities and orchestrators are called by their registered name, by convention the class name
/// (<c>nameof(PostJournalActivity)</c>), as in durabletask-dotnet's class-based registration.</para>
/// </remarks>
public abstract class OrchestrationContext
{
    /// <summary>The registered name of the running orchestrator.</summary>
    /// <remarks>Part of the instance's <c>ExecutionStarted</c> history event; the same on every replay.</remarks>
    public abstract string Name { get; }

    /// <summary>The instance id, chosen by whoever started the instance (e.g. <c>discharge:{facility}:{encounter}</c>).</summary>
    /// <remarks>
    /// Instance ids come from the source document, never minted on arrival, which is what makes "start if it does
    /// not exist" idempotent. The same on every replay; safe to derive idempotency keys from.
    /// </remarks>
    public abstract string InstanceId { get; }

    /// <summary>The current orchestration time in UTC: deterministic, replay-safe.</summary>
    /// <remarks>
    /// The time is recorded in the history when the orchestrator runs after an event (the <c>OrchestratorStarted</c>
    /// event of that episode), so every replay sees, at the same point of the code, the same value. It is the
    /// replacement for <see cref="DateTime.UtcNow"/> and <see cref="TimeProvider"/> inside orchestrators, which would
    /// return a different value on each replay and make decisions (SLA deadlines, posting dates) change.
    /// </remarks>
    public abstract DateTime CurrentUtcDateTime { get; }

    /// <summary>True while the orchestrator re-executes code whose effects the history already holds.</summary>
    /// <remarks>
    /// While replaying, scheduled activities are not run again; their recorded results are handed back. The flag turns
    /// false once the code reaches events that it has not processed before. Use it only to suppress side effects that
    /// are harmless but noisy (logging: see <see cref="CreateReplaySafeLogger"/>), never to take a different path.
    /// </remarks>
    public abstract bool IsReplaying { get; }

    /// <summary>The orchestrator's input, deserialized from JSON (System.Text.Json, web defaults), or default when there is none.</summary>
    /// <remarks>The input is stored in the <c>ExecutionStarted</c> history event, so it is the same on every replay.</remarks>
    public abstract T? GetInput<T>();

    /// <summary>Calls an activity that returns nothing (or whose result is not needed).</summary>
    /// <inheritdoc cref="CallActivityAsync{T}(string, object?, TaskOptions?)"/>
    public virtual Task CallActivityAsync(string name, object? input = null, TaskOptions? options = null) =>
        CallActivityAsync<object?>(name, input, options);

    /// <summary>Schedules an activity by name with a JSON-serializable input; completes with its JSON-deserialized result.</summary>
    /// <remarks>
    /// <para>Activities are where work with effects happens (I/O, ERP posting, ledger writes). Unlike orchestrators they
    /// have no restrictions, but they run at least once: a crash between the activity's effect and the recording of its
    /// result runs it again, so make its effect idempotent (key it on the source identity or on
    /// <see cref="ActivityContext.IdempotencyKey"/>).</para>
    /// <para>Replay: the first execution records <c>TaskScheduled</c> and dispatches the work; on replay the call is matched
    /// to that record (same position, same kind, same name, or the instance fails as non-deterministic) and completes with
    /// the recorded <c>TaskCompleted</c>/<c>TaskFailed</c> without running the activity again.</para>
    /// <para>Retry: with <see cref="TaskOptions.Retry"/> a failed attempt is followed by a durable timer and a new attempt,
    /// each attempt its own task in the history, so retries survive restarts too. Inputs and results are stored in the
    /// ledger: pass references (receipt ids, ledger sequence numbers) rather than whole documents.</para>
    /// </remarks>
    /// <param name="name">Registered activity name, by convention <c>nameof(TheActivity)</c>.</param>
    /// <param name="input">JSON-serializable input, or null.</param>
    /// <param name="options">Retry policy; null for a single attempt.</param>
    /// <exception cref="TaskFailedException">The activity (every attempt of it) failed; see <see cref="TaskFailedException.FailureDetails"/>.</exception>
    public abstract Task<T> CallActivityAsync<T>(string name, object? input = null, TaskOptions? options = null);

    /// <summary>Runs another orchestrator as a child instance and completes with its output.</summary>
    /// <remarks>
    /// <para>A sub-orchestration has its own instance id, history and status; its completion comes back to this
    /// instance as a <c>SubOrchestrationInstanceCompleted</c>/<c>Failed</c> history event. Terminating the parent does
    /// not terminate the child.</para>
    /// <para>Replay: the call is matched to its <c>SubOrchestrationInstanceCreated</c> record and completes from the
    /// recorded result; the child is not started again. Without <paramref name="instanceId"/> the child's id is derived
    /// deterministically from this instance's id and the call's position.</para>
    /// </remarks>
    /// <exception cref="TaskFailedException">The sub-orchestration failed or was terminated.</exception>
    public abstract Task<TResult> CallSubOrchestratorAsync<TResult>(string orchestratorName, string? instanceId = null, object? input = null, TaskOptions? options = null);

    /// <summary>Runs another orchestrator as a child instance whose output is not needed.</summary>
    /// <inheritdoc cref="CallSubOrchestratorAsync{TResult}(string, string?, object?, TaskOptions?)"/>
    public Task CallSubOrchestratorAsync(string orchestratorName, string? instanceId = null, object? input = null, TaskOptions? options = null) =>
        CallSubOrchestratorAsync<object?>(orchestratorName, instanceId, input, options);

    /// <summary>A durable timer that fires at <paramref name="fireAt"/> (UTC).</summary>
    /// <remarks>
    /// <para>Durable: the timer is a <c>TimerCreated</c> record in the history; the engine fires it even if the process
    /// restarted in between (it rebuilds its timer table from the histories), and records <c>TimerFired</c>.</para>
    /// <para>Cancelling <paramref name="cancellationToken"/> completes the task as cancelled at once; the timer record
    /// stays and its later firing is ignored, as in Durable Task. Replay: matched to its <c>TimerCreated</c> record and
    /// completed by the recorded <c>TimerFired</c>. Compute <paramref name="fireAt"/> from <see cref="CurrentUtcDateTime"/>.</para>
    /// </remarks>
    public abstract Task CreateTimer(DateTime fireAt, CancellationToken cancellationToken);

    /// <summary>A durable timer that fires after <paramref name="delay"/>, counted from <see cref="CurrentUtcDateTime"/>.</summary>
    /// <inheritdoc cref="CreateTimer(DateTime, CancellationToken)"/>
    public virtual Task CreateTimer(TimeSpan delay, CancellationToken cancellationToken) =>
        CreateTimer(CurrentUtcDateTime.Add(delay), cancellationToken);

    /// <summary>Waits for an external event named <paramref name="eventName"/> and returns its JSON-deserialized payload.</summary>
    /// <remarks>
    /// <para>External events come from <see cref="IOrchestrationClient.RaiseEventAsync"/>: the exceptions workbench
    /// (a mapping was fixed), a coding-complete message, an operator. Names are case-insensitive.</para>
    /// <para>Buffering: an event that arrives before the orchestrator waits for it is kept (as its <c>EventRaised</c>
    /// record) and handed to the first wait for that name, even if an earlier wait was cancelled. Each event completes
    /// one wait. Replay: the recorded <c>EventRaised</c> events are handed out again in the same order.</para>
    /// </remarks>
    /// <exception cref="TaskCanceledException">The wait was cancelled through <paramref name="cancellationToken"/>.</exception>
    public abstract Task<T> WaitForExternalEvent<T>(string eventName, CancellationToken cancellationToken = default);

    /// <summary>Waits for an external event, at most <paramref name="timeout"/> of orchestration time.</summary>
    /// <remarks>
    /// The timeout is a durable timer (so it survives restarts and replays); whichever finishes first cancels the
    /// other, exactly as durabletask-dotnet implements it. On timeout the returned task throws
    /// <see cref="TaskCanceledException"/>; an event that arrives later is buffered for a later wait.
    /// </remarks>
    /// <exception cref="TaskCanceledException">No event arrived within <paramref name="timeout"/>.</exception>
    public async Task<T> WaitForExternalEvent<T>(string eventName, TimeSpan timeout)
    {
        using var timerCancellation = new CancellationTokenSource();
        var timeoutTask = CreateTimer(timeout, timerCancellation.Token);
        using var eventCancellation = new CancellationTokenSource();
        var eventTask = WaitForExternalEvent<T>(eventName, eventCancellation.Token);
        var winner = await Task.WhenAny(timeoutTask, eventTask);
        // Cancel, not CancelAsync: the callbacks must run now, on the orchestrator thread, for replay to be deterministic.
#pragma warning disable CA1849
        if (winner == eventTask)
            timerCancellation.Cancel();
        else
            eventCancellation.Cancel();
#pragma warning restore CA1849
        return await eventTask;
    }

    /// <summary>Sets the instance's custom status (JSON-serializable, at most 16 KB of JSON), shown by instance queries; null clears it.</summary>
    /// <remarks>
    /// Stored with the history at the end of the episode when it changed (a <c>CustomStatusSet</c> record), so queries see
    /// the last value the code set. Calling it again during replay with the same value records nothing.
    /// </remarks>
    public abstract void SetCustomStatus(object? customStatus);

    /// <summary>A new GUID that is the same on every replay.</summary>
    /// <remarks>
    /// Name-based (SHA-256 of the instance id, <see cref="CurrentUtcDateTime"/> and a per-execution counter, with the
    /// RFC 9562 version-8 bits), the replay-safe replacement for <see cref="Guid.NewGuid"/>. Durable Functions computes
    /// a different (version-5) value: use it as an opaque unique id, never compare it across hosts.
    /// </remarks>
    public abstract Guid NewGuid();

    /// <summary>Wraps <paramref name="logger"/> so it writes only when the orchestrator is not replaying.</summary>
    /// <remarks>
    /// Without it every replay would repeat every log line of the code before the current point. Log ids (instance,
    /// receipt, journal), never payloads: inputs may hold claim data.
    /// </remarks>
    public ILogger CreateReplaySafeLogger(ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(logger);
        return new ReplaySafeLogger(this, logger);
    }

    private sealed class ReplaySafeLogger(OrchestrationContext context, ILogger logger) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => logger.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => !context.IsReplaying && logger.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!context.IsReplaying)
                logger.Log(logLevel, eventId, state, exception, formatter);
        }
    }
}
