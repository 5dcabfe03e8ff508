using Microsoft.Extensions.Logging;

namespace HealthFlow.Pipeline.Workflows;

/// <summary>
/// Every log line of the workflows, fixed event ids 7000–7099. Lines carry journal ids (JE-…), exception ids, message
/// types and counts: never a payload, an encounter or claim number, or anything about a patient.
/// </summary>
internal static partial class Logs
{
    [LoggerMessage(EventId = 7000, Level = LogLevel.Information, Message = "Workflows started with {Exceptions} exceptions read from the ledger")]
    public static partial void Started(ILogger logger, int exceptions);

    [LoggerMessage(EventId = 7001, Level = LogLevel.Debug, Message = "Routed {MessageType} from {Topic}/{Subscription}: {Result}")]
    public static partial void Routed(ILogger logger, string messageType, string topic, string subscription, HealthFlow.Pipeline.Orchestration.StartResult result);

    [LoggerMessage(EventId = 7008, Level = LogLevel.Debug, Message = "Raised {MessageType} from {Topic}/{Subscription} on its instance: {Result}")]
    public static partial void RoutedEvent(ILogger logger, string messageType, string topic, string subscription, HealthFlow.Pipeline.Orchestration.InstanceOperationResult result);

    [LoggerMessage(EventId = 7002, Level = LogLevel.Information, Message = "Journal {JournalId} accepted by the ERP ({Members} member journals, replayed {Replayed})")]
    public static partial void JournalPosted(ILogger logger, string journalId, int members, bool replayed);

    [LoggerMessage(EventId = 7003, Level = LogLevel.Warning, Message = "Journal {JournalId} rejected by the ERP (status {StatusCode}); raised as an exception")]
    public static partial void ErpRejected(ILogger logger, string journalId, int statusCode);

    [LoggerMessage(EventId = 7004, Level = LogLevel.Warning, Message = "ERP unavailable for journal {JournalId} (status {StatusCode}); posted again later on a durable timer")]
    public static partial void ErpUnavailable(ILogger logger, string journalId, int statusCode);

    [LoggerMessage(EventId = 7005, Level = LogLevel.Information, Message = "Exception {ExceptionId} raised: {Reason}")]
    public static partial void ExceptionRaised(ILogger logger, string exceptionId, string reason);

    [LoggerMessage(EventId = 7006, Level = LogLevel.Information, Message = "Exception {ExceptionId} resolved; resume event {ResumeEvent}: {Result}")]
    public static partial void ExceptionResolved(ILogger logger, string exceptionId, string resumeEvent, string result);

    [LoggerMessage(EventId = 7007, Level = LogLevel.Warning, Message = "Message {MessageType} on {Topic}/{Subscription} is not a canonical event; completed without effect")]
    public static partial void Unreadable(ILogger logger, string messageType, string topic, string subscription);
}
