using Microsoft.Extensions.Logging;

namespace HealthFlow.Pipeline.Orchestration;

/// <summary>
/// Every log line of the orchestration engine, with fixed event ids in 6000–6099 (issue 6) so dashboards and alerts can
/// key on them. Lines carry instance ids, task ids, activity/orchestrator/event names and error type names: never an
/// input, output, event payload or exception message (they may hold claim data).
/// </summary>
internal static partial class Logs
{
    [LoggerMessage(EventId = 6000, Level = LogLevel.Information, Message = "Started orchestration {InstanceId} ({Name})")]
    public static partial void Started(ILogger logger, string instanceId, string name);

    [LoggerMessage(EventId = 6001, Level = LogLevel.Debug, Message = "Orchestration {InstanceId} exists already; start ignored")]
    public static partial void AlreadyExists(ILogger logger, string instanceId);

    [LoggerMessage(EventId = 6002, Level = LogLevel.Information, Message = "Orchestration {InstanceId} ({Name}) completed")]
    public static partial void Completed(ILogger logger, string instanceId, string name);

    [LoggerMessage(EventId = 6003, Level = LogLevel.Error, Message = "Orchestration {InstanceId} ({Name}) failed: {ErrorType}")]
    public static partial void Failed(ILogger logger, string instanceId, string name, string errorType);

    [LoggerMessage(EventId = 6004, Level = LogLevel.Warning, Message = "Orchestration {InstanceId} ({Name}) terminated")]
    public static partial void Terminated(ILogger logger, string instanceId, string name);

    [LoggerMessage(EventId = 6005, Level = LogLevel.Warning, Message = "Orchestration {InstanceId} rewound: {Retried} failed task(s) run again")]
    public static partial void Rewound(ILogger logger, string instanceId, int retried);

    /// <remarks>The detail names actions (kinds, activity names, positions), which are code, not data.</remarks>
    [LoggerMessage(EventId = 6006, Level = LogLevel.Error, Message = "Orchestration {InstanceId} ({Name}) is non-deterministic: {Detail}")]
    public static partial void NonDeterministic(ILogger logger, string instanceId, string name, string detail);

    [LoggerMessage(EventId = 6007, Level = LogLevel.Debug, Message = "Dispatched activity {Activity} (task {TaskId}) of {InstanceId}")]
    public static partial void Dispatched(ILogger logger, string instanceId, int taskId, string activity);

    [LoggerMessage(EventId = 6008, Level = LogLevel.Debug, Message = "Activity {Activity} (task {TaskId}) of {InstanceId} completed")]
    public static partial void ActivityCompleted(ILogger logger, string instanceId, int taskId, string activity);

    [LoggerMessage(EventId = 6009, Level = LogLevel.Warning, Message = "Activity {Activity} (task {TaskId}) of {InstanceId} failed: {ErrorType}")]
    public static partial void ActivityFailed(ILogger logger, string instanceId, int taskId, string activity, string errorType);

    [LoggerMessage(EventId = 6010, Level = LogLevel.Debug, Message = "Ignored {EventType} for action {TaskId} of {InstanceId}: {Reason}")]
    public static partial void Ignored(ILogger logger, string instanceId, HistoryEventType eventType, int taskId, string reason);

    [LoggerMessage(EventId = 6011, Level = LogLevel.Debug, Message = "Skipped activity of task {TaskId} of {InstanceId}: {Reason}")]
    public static partial void Skipped(ILogger logger, string instanceId, int taskId, string reason);

    [LoggerMessage(EventId = 6012, Level = LogLevel.Debug, Message = "Timer {TimerId} of {InstanceId} fired")]
    public static partial void TimerFired(ILogger logger, string instanceId, int timerId);

    [LoggerMessage(EventId = 6013, Level = LogLevel.Information, Message = "Event {EventName} raised for {InstanceId}")]
    public static partial void EventRaised(ILogger logger, string instanceId, string eventName);

    [LoggerMessage(EventId = 6014, Level = LogLevel.Information, Message = "Orchestration engine recovered {Instances} instance(s): {Running} running, {Dispatched} unfinished activities run again, {Timers} timer(s) rebuilt")]
    public static partial void Recovered(ILogger logger, int instances, int running, int dispatched, int timers);

    [LoggerMessage(EventId = 6015, Level = LogLevel.Warning, Message = "Follow-up ({Step}) of {InstanceId} failed: {ErrorType}; retried later")]
    public static partial void FollowUpFailed(ILogger logger, string instanceId, string step, string errorType);

    [LoggerMessage(EventId = 6016, Level = LogLevel.Warning, Message = "Orchestration {InstanceId} needs orchestrator {Name}, which this host does not register; recorded, not run")]
    public static partial void NotRegistered(ILogger logger, string instanceId, string name);
}
