using System.Text.Json.Serialization;

namespace HealthFlow.Pipeline.Orchestration;

/// <summary>
/// An orchestrator: deterministic code that coordinates activities, timers, events and sub-orchestrations
/// (durabletask-dotnet's <c>TaskOrchestrator&lt;TInput, TOutput&gt;</c>). A new instance is created for every replay.
/// </summary>
/// <remarks>
/// Rules (see <see cref="OrchestrationContext"/>): no clock, GUID, random, I/O, <c>Task.Delay</c>, <c>Task.Run</c> or
/// <c>ConfigureAwait(false)</c>; only the context's members. The input is <typeparamref name="TInput"/> deserialized from
/// the JSON in the <c>ExecutionStarted</c> record; the output is serialized to JSON into <c>ExecutionCompleted</c>.
/// </remarks>
public interface IOrchestrator<in TInput, TOutput>
{
    /// <summary>Runs (and on replay re-runs) the orchestration.</summary>
    Task<TOutput> RunAsync(OrchestrationContext context, TInput input);
}

/// <summary>
/// An activity: one unit of work with effects, run at least once (durabletask-dotnet's <c>TaskActivity&lt;TInput, TOutput&gt;</c>).
/// </summary>
/// <remarks>
/// An exception thrown by <see cref="RunAsync"/> becomes a <c>TaskFailed</c> record and a <see cref="TaskFailedException"/>
/// in the orchestrator (which may retry). Expected business outcomes (unmapped department, ERP 4xx) should be returned
/// as values, not thrown. The cancellation token fires when the host stops; the activity is then run again later.
/// </remarks>
public interface IActivity<in TInput, TOutput>
{
    /// <summary>Does the work; may run more than once for the same task (at-least-once).</summary>
    Task<TOutput> RunAsync(ActivityContext context, TInput input, CancellationToken cancellationToken);
}

/// <summary>Where an activity execution comes from (durabletask-dotnet's <c>TaskActivityContext</c>, plus delivery facts).</summary>
/// <param name="Name">The activity's registered name.</param>
/// <param name="InstanceId">The orchestration instance that scheduled it.</param>
/// <param name="TaskId">The task's position in the instance's history (its <c>TaskScheduled</c> event id); −1 under Durable Functions, whose activity trigger does not expose it.</param>
/// <param name="DeliveryCount">1 when dispatched by the commit that scheduled it; 2 when dispatched again by a recovery (after a crash or a failed commit of its result), so it may have run before (always 1 under Durable Functions, which does not expose it).</param>
public sealed record ActivityContext(string Name, string InstanceId, int TaskId, int DeliveryCount)
{
    /// <summary>
    /// <c>{InstanceId}/{TaskId}</c>: the same for every execution of this task, different for each retry attempt. An
    /// effect keyed on it happens once even though the activity runs at least once. Embedded engine only: under Durable
    /// Functions <see cref="TaskId"/> is unknown, so the workflows key their effects on the source's identity instead.
    /// </summary>
    public string IdempotencyKey => $"{InstanceId}/{TaskId}";
}

/// <summary>Options of an activity or sub-orchestration call (durabletask-dotnet's <c>TaskOptions</c>).</summary>
/// <param name="Retry">Retry policy; null for a single attempt.</param>
public record TaskOptions(RetryPolicy? Retry = null)
{
    /// <summary>Options carrying <paramref name="policy"/> (durabletask-dotnet's <c>TaskOptions.FromRetryPolicy</c>).</summary>
    public static TaskOptions FromRetryPolicy(RetryPolicy policy) => new(policy);
}

/// <summary>
/// A declarative retry policy (durabletask-dotnet's <c>RetryPolicy</c>, same parameters and rules): after failed attempt
/// n the next waits <c>min(FirstRetryInterval × BackoffCoefficient^(n−1), MaxRetryInterval)</c> on a durable timer.
/// </summary>
public sealed class RetryPolicy
{
    /// <param name="maxNumberOfAttempts">Attempts in all, at least 1.</param>
    /// <param name="firstRetryInterval">Delay between the first and second attempt, positive.</param>
    /// <param name="backoffCoefficient">Factor applied to each later delay, at least 1.0.</param>
    /// <param name="maxRetryInterval">Longest delay (default 1 hour); at least <paramref name="firstRetryInterval"/> or infinite.</param>
    /// <param name="retryTimeout">No attempt starts later than this after the first (default infinite).</param>
    /// <exception cref="ArgumentOutOfRangeException">A value breaks the rules above.</exception>
    public RetryPolicy(int maxNumberOfAttempts, TimeSpan firstRetryInterval, double backoffCoefficient = 1.0, TimeSpan? maxRetryInterval = null, TimeSpan? retryTimeout = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxNumberOfAttempts, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(firstRetryInterval, TimeSpan.Zero);
        if (double.IsNaN(backoffCoefficient) || backoffCoefficient < 1.0)
            throw new ArgumentOutOfRangeException(nameof(backoffCoefficient), backoffCoefficient, "The backoff coefficient must be at least 1.0.");
        if (maxRetryInterval < firstRetryInterval && maxRetryInterval != Timeout.InfiniteTimeSpan)
            throw new ArgumentOutOfRangeException(nameof(maxRetryInterval), maxRetryInterval, "The max retry interval must be at least the first retry interval.");
        if (retryTimeout < firstRetryInterval && retryTimeout != Timeout.InfiniteTimeSpan)
            throw new ArgumentOutOfRangeException(nameof(retryTimeout), retryTimeout, "The retry timeout must be at least the first retry interval.");
        MaxNumberOfAttempts = maxNumberOfAttempts;
        FirstRetryInterval = firstRetryInterval;
        BackoffCoefficient = backoffCoefficient;
        MaxRetryInterval = maxRetryInterval ?? TimeSpan.FromHours(1);
        RetryTimeout = retryTimeout ?? Timeout.InfiniteTimeSpan;
    }

    public int MaxNumberOfAttempts { get; }

    public TimeSpan FirstRetryInterval { get; }

    public double BackoffCoefficient { get; }

    public TimeSpan MaxRetryInterval { get; }

    public TimeSpan RetryTimeout { get; }

    /// <summary>The delay after failed attempt <paramref name="attempt"/> (1-based).</summary>
    public TimeSpan DelayAfter(int attempt)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(attempt, 1);
        // Durations, not money: double is exact enough, and the cap keeps the result in range.
        var ticks = FirstRetryInterval.Ticks * Math.Pow(BackoffCoefficient, attempt - 1);
        var max = MaxRetryInterval == Timeout.InfiniteTimeSpan ? TimeSpan.MaxValue : MaxRetryInterval;
        return ticks >= max.Ticks ? max : TimeSpan.FromTicks((long)ticks);
    }
}

/// <summary>
/// Why a task, sub-orchestration or orchestration failed (durabletask-dotnet's <c>TaskFailureDetails</c>). Stored in the
/// history and shown to operators; never logged (the message may quote data).
/// </summary>
/// <param name="ErrorType">The exception's full type name, e.g. <c>System.InvalidOperationException</c>.</param>
/// <param name="ErrorMessage">The exception's message.</param>
/// <param name="StackTrace">Where it was thrown, when known.</param>
/// <param name="InnerFailure">The inner cause, when any.</param>
public sealed record TaskFailureDetails(string ErrorType, string ErrorMessage, string? StackTrace = null, TaskFailureDetails? InnerFailure = null)
{
    /// <summary>True when <see cref="ErrorType"/> names <typeparamref name="T"/> (exact full name).</summary>
    public bool IsCausedBy<T>() where T : Exception => ErrorType == typeof(T).FullName;

    /// <summary>Failure details of an exception (and its inner exceptions).</summary>
    public static TaskFailureDetails FromException(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        if (exception is TaskFailedException failed)
            return new TaskFailureDetails(exception.GetType().FullName!, exception.Message, exception.StackTrace, failed.FailureDetails);
        return new TaskFailureDetails(exception.GetType().FullName!, exception.Message, exception.StackTrace,
            exception.InnerException is { } inner ? FromException(inner) : null);
    }

    public override string ToString() => $"{ErrorType}: {ErrorMessage}";
}

/// <summary>An activity or sub-orchestration failed (durabletask-dotnet's <c>TaskFailedException</c>).</summary>
public sealed class TaskFailedException : Exception
{
    public TaskFailedException(string taskName, int taskId, TaskFailureDetails failureDetails)
        : base($"Task '{taskName}' (#{taskId}) failed with an unhandled exception: {failureDetails.ErrorType}.")
    {
        TaskName = taskName;
        TaskId = taskId;
        FailureDetails = failureDetails;
    }

    public TaskFailedException()
        : this("", -1, new TaskFailureDetails("", ""))
    {
    }

    public TaskFailedException(string message)
        : base(message)
    {
        TaskName = "";
        TaskId = -1;
        FailureDetails = new TaskFailureDetails("", message);
    }

    public TaskFailedException(string message, Exception innerException)
        : base(message, innerException)
    {
        TaskName = "";
        TaskId = -1;
        FailureDetails = TaskFailureDetails.FromException(innerException);
    }

    /// <summary>The activity or orchestrator name.</summary>
    public string TaskName { get; }

    /// <summary>The task's event id in the calling instance's history.</summary>
    public int TaskId { get; }

    /// <summary>What went wrong in the task.</summary>
    public TaskFailureDetails FailureDetails { get; }
}

/// <summary>
/// On replay the orchestrator did something other than what its history records (another activity, another order, a
/// missing call): its code changed under a running instance or it is not deterministic. The instance fails with this
/// error rather than continue on a history that no longer describes it.
/// </summary>
public sealed class NonDeterministicOrchestrationException : Exception
{
    public NonDeterministicOrchestrationException()
    {
    }

    public NonDeterministicOrchestrationException(string message)
        : base(message)
    {
    }

    public NonDeterministicOrchestrationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>Runtime status of an instance (the subset of durabletask-dotnet's <c>OrchestrationRuntimeStatus</c> the embedded engine produces); JSON as its name.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<OrchestrationRuntimeStatus>))]
public enum OrchestrationRuntimeStatus
{
    /// <summary>Started (its <c>ExecutionStarted</c> is recorded) but its code has not run yet.</summary>
    Pending,
    /// <summary>Its code ran and waits for activities, timers, events or sub-orchestrations.</summary>
    Running,
    /// <summary>Its code returned; the output is recorded.</summary>
    Completed,
    /// <summary>Its code threw (or was non-deterministic); a rewind can resume it.</summary>
    Failed,
    /// <summary>An operator terminated it.</summary>
    Terminated,
}

/// <summary>
/// The state of an instance for queries (durabletask-dotnet's <c>OrchestrationMetadata</c>): <c>GET /api/orchestrations/{id}</c>
/// and <c>healthflow orchestrations list</c>. Inputs and outputs are JSON; they may hold claim data, so only admins see them.
/// </summary>
public sealed record OrchestrationMetadata(
    string InstanceId,
    string Name,
    OrchestrationRuntimeStatus RuntimeStatus,
    DateTimeOffset CreatedAt,
    DateTimeOffset LastUpdatedAt,
    string? SerializedInput,
    string? SerializedOutput,
    string? SerializedCustomStatus,
    TaskFailureDetails? FailureDetails,
    string? ParentInstanceId,
    string CorrelationId)
{
    /// <summary>True once the instance completed, failed or was terminated.</summary>
    public bool IsCompleted => RuntimeStatus is OrchestrationRuntimeStatus.Completed or OrchestrationRuntimeStatus.Failed or OrchestrationRuntimeStatus.Terminated;

    public T? ReadInputAs<T>() => OrchestrationJson.Deserialize<T>(SerializedInput);

    public T? ReadOutputAs<T>() => OrchestrationJson.Deserialize<T>(SerializedOutput);

    public T? ReadCustomStatusAs<T>() => OrchestrationJson.Deserialize<T>(SerializedCustomStatus);
}

/// <summary>A query over instances (durabletask-dotnet's <c>OrchestrationQuery</c>); results are ordered by instance id.</summary>
/// <param name="Statuses">Only these statuses; null for all.</param>
/// <param name="InstanceIdPrefix">Only ids starting with this, e.g. <c>remit:</c>.</param>
/// <param name="CreatedFrom">Only instances created at or after this time.</param>
/// <param name="CreatedTo">Only instances created before this time.</param>
/// <param name="PageSize">Most instances per page (1 to 1000).</param>
/// <param name="FetchInputsAndOutputs">Include inputs, outputs and custom status (admin views).</param>
/// <param name="ContinuationToken">The token of the previous page, or null for the first.</param>
public sealed record OrchestrationQuery(
    IReadOnlyCollection<OrchestrationRuntimeStatus>? Statuses = null,
    string? InstanceIdPrefix = null,
    DateTimeOffset? CreatedFrom = null,
    DateTimeOffset? CreatedTo = null,
    int PageSize = 100,
    bool FetchInputsAndOutputs = false,
    string? ContinuationToken = null);

/// <summary>One page of a query; <see cref="ContinuationToken"/> is null on the last page.</summary>
public sealed record OrchestrationPage(IReadOnlyList<OrchestrationMetadata> Instances, string? ContinuationToken);

/// <summary>How a start-if-not-exists ended.</summary>
public enum StartResult
{
    /// <summary>The instance was created and started.</summary>
    Started,
    /// <summary>An instance with this id exists (in any status): nothing was done. A redelivered start message lands here.</summary>
    AlreadyExists,
}

/// <summary>How an operation on an existing instance (raise event, terminate, rewind) ended.</summary>
public enum InstanceOperationResult
{
    /// <summary>Done and durable.</summary>
    Accepted,
    /// <summary>No instance has this id.</summary>
    NotFound,
    /// <summary>The instance is in a status where the operation does nothing (an event for a completed instance, rewind of a running one).</summary>
    NotApplicable,
}
