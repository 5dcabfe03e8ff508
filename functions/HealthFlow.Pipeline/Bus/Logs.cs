using Microsoft.Extensions.Logging;

namespace HealthFlow.Pipeline.Bus;

/// <summary>
/// Every log line of the topic bus, with fixed event ids in 3000–3099 (issue 3) so dashboards and alerts can key on
/// them. Lines carry ids, topic, subscription, sequence numbers, counts and reasons: never a body, and never an
/// exception message (it may quote the payload); handler failures are logged by exception type name.
/// </summary>
internal static partial class Logs
{
    [LoggerMessage(EventId = 3000, Level = LogLevel.Debug, Message = "Published {Count} message(s) to {Topic} from sequence {FirstSeq}")]
    public static partial void Published(ILogger logger, string topic, int count, long firstSeq);

    [LoggerMessage(EventId = 3001, Level = LogLevel.Debug, Message = "Delivered {Count} message(s) of {Topic}/{Subscription} from sequence {FirstSeq}")]
    public static partial void Delivered(ILogger logger, string topic, string subscription, int count, long firstSeq);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Debug, Message = "Completed message {MessageId} (sequence {Seq}) on {Topic}/{Subscription} at delivery {DeliveryCount}")]
    public static partial void Completed(ILogger logger, string topic, string subscription, string messageId, long seq, int deliveryCount);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Warning, Message = "Delivery {DeliveryCount} of message {MessageId} (sequence {Seq}) on {Topic}/{Subscription} failed: {Reason}")]
    public static partial void Abandoned(ILogger logger, string topic, string subscription, string messageId, long seq, int deliveryCount, string reason);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Warning, Message = "Lock on message {MessageId} (sequence {Seq}) on {Topic}/{Subscription} expired at delivery {DeliveryCount}")]
    public static partial void LockExpired(ILogger logger, string topic, string subscription, string messageId, long seq, int deliveryCount);

    [LoggerMessage(EventId = 3005, Level = LogLevel.Error, Message = "Dead-lettered message {MessageId} (sequence {Seq}) on {Topic}/{Subscription} after {DeliveryCount} deliveries: {Reason}")]
    public static partial void DeadLettered(ILogger logger, string topic, string subscription, string messageId, long seq, string reason, int deliveryCount);

    [LoggerMessage(EventId = 3006, Level = LogLevel.Information, Message = "Lock lost on {Operation} of message {MessageId} (sequence {Seq}) on {Topic}/{Subscription}")]
    public static partial void LockLost(ILogger logger, string topic, string subscription, string messageId, long seq, string operation);

    [LoggerMessage(EventId = 3007, Level = LogLevel.Warning, Message = "Back-pressure on {Topic}: {Subscription} has {Backlog} due unsettled messages (bound {Bound}); publisher waits")]
    public static partial void BackPressure(ILogger logger, string topic, string subscription, int backlog, int bound);

    [LoggerMessage(EventId = 3008, Level = LogLevel.Warning, Message = "Back-pressure on {Topic}: {Subscription} still has {Backlog} due unsettled messages after {Waited}; publishing anyway")]
    public static partial void BackPressureTimedOut(ILogger logger, string topic, string subscription, int backlog, TimeSpan waited);

    [LoggerMessage(EventId = 3009, Level = LogLevel.Information, Message = "Subscription {Topic}/{Subscription} rebuilt from position {From}: {Unsettled} unsettled message(s)")]
    public static partial void Rebuilt(ILogger logger, string topic, string subscription, int unsettled, long from);

    [LoggerMessage(EventId = 3010, Level = LogLevel.Debug, Message = "Checkpoint of {Topic}/{Subscription} at position {Position}")]
    public static partial void CheckpointWritten(ILogger logger, string topic, string subscription, long position);

    [LoggerMessage(EventId = 3011, Level = LogLevel.Warning, Message = "Checkpoint of {Topic}/{Subscription} at position {Position} ignored ({Why}); rebuilding from the start of the topic")]
    public static partial void CheckpointIgnored(ILogger logger, string topic, string subscription, long position, string why);

    [LoggerMessage(EventId = 3012, Level = LogLevel.Warning, Message = "Checkpoint of {Topic}/{Subscription} not written: {Why}")]
    public static partial void CheckpointFailed(ILogger logger, string topic, string subscription, string why);

    [LoggerMessage(EventId = 3020, Level = LogLevel.Warning, Message = "Handler on {Topic}/{Subscription} failed on message {MessageId} (sequence {Seq}, delivery {DeliveryCount}) with {ExceptionType}; abandoning")]
    public static partial void HandlerFailed(ILogger logger, string topic, string subscription, string messageId, long seq, int deliveryCount, string exceptionType);

    [LoggerMessage(EventId = 3021, Level = LogLevel.Information, Message = "Processor on {Topic}/{Subscription} started with concurrency {Concurrency}")]
    public static partial void ProcessorStarted(ILogger logger, string topic, string subscription, int concurrency);

    [LoggerMessage(EventId = 3022, Level = LogLevel.Information, Message = "Processor on {Topic}/{Subscription} stopped")]
    public static partial void ProcessorStopped(ILogger logger, string topic, string subscription);

    [LoggerMessage(EventId = 3023, Level = LogLevel.Error, Message = "Processor on {Topic}/{Subscription} could not settle message {MessageId} (sequence {Seq}): {ExceptionType}; the lock will expire and the message be redelivered")]
    public static partial void SettleFailed(ILogger logger, string topic, string subscription, string messageId, long seq, string exceptionType);

    [LoggerMessage(EventId = 3024, Level = LogLevel.Error, Message = "Processor on {Topic}/{Subscription} could not receive: {ExceptionType}; retrying")]
    public static partial void ReceiveFailed(ILogger logger, string topic, string subscription, string exceptionType);
}
