using Microsoft.Extensions.Logging;

namespace HealthFlow.Pipeline.Erp;

/// <summary>
/// Every log line of the ERP gateways, with fixed event ids in 7000–7099. Lines carry the gateway, the idempotency key,
/// the operation, attempt numbers, HTTP status codes and exception type names: never a request or response body, never
/// an ERP message (it may quote the request) and never a secret.
/// </summary>
internal static partial class Logs
{
    [LoggerMessage(EventId = 7000, Level = LogLevel.Information, Message = "ERP gateway {Gateway} ready: {Accepted} key(s) in the posted register")]
    public static partial void Ready(ILogger logger, string gateway, int accepted);

    [LoggerMessage(EventId = 7001, Level = LogLevel.Debug, Message = "Posting {Journals} journal(s) under {IdempotencyKey} to {Gateway}")]
    public static partial void Posting(ILogger logger, string gateway, string idempotencyKey, int journals);

    [LoggerMessage(EventId = 7002, Level = LogLevel.Information, Message = "{Gateway} accepted {IdempotencyKey}: {Documents} document(s) after {Attempts} attempt(s)")]
    public static partial void Accepted(ILogger logger, string gateway, string idempotencyKey, int documents, int attempts);

    [LoggerMessage(EventId = 7003, Level = LogLevel.Warning, Message = "{Gateway} rejected {IdempotencyKey} with status {StatusCode} after {Attempts} attempt(s)")]
    public static partial void Rejected(ILogger logger, string gateway, string idempotencyKey, int? statusCode, int attempts);

    [LoggerMessage(EventId = 7004, Level = LogLevel.Warning, Message = "{Gateway} post of {IdempotencyKey} failed transiently with status {StatusCode} after {Attempts} attempt(s); safe to retry later")]
    public static partial void Failed(ILogger logger, string gateway, string idempotencyKey, int? statusCode, int attempts);

    [LoggerMessage(EventId = 7005, Level = LogLevel.Debug, Message = "{IdempotencyKey} was accepted by {Gateway} before; returning the recorded acknowledgement")]
    public static partial void Replayed(ILogger logger, string gateway, string idempotencyKey);

    [LoggerMessage(EventId = 7006, Level = LogLevel.Information, Message = "{Gateway}: {Skipped} journal(s) of {IdempotencyKey} were posted before and are not sent again")]
    public static partial void JournalsAlreadyPosted(ILogger logger, string gateway, string idempotencyKey, int skipped);

    [LoggerMessage(EventId = 7007, Level = LogLevel.Error, Message = "{Gateway}: an earlier attempt of {IdempotencyKey} may have reached the ERP without a recorded outcome; not sending again until it is reconciled")]
    public static partial void NeedsReconciliation(ILogger logger, string gateway, string idempotencyKey);

    [LoggerMessage(EventId = 7010, Level = LogLevel.Information, Message = "{Gateway} {Operation} for {IdempotencyKey}: attempt {Attempt} answered {StatusCode}")]
    public static partial void Attempt(ILogger logger, string gateway, string operation, string idempotencyKey, int attempt, int statusCode);

    [LoggerMessage(EventId = 7011, Level = LogLevel.Warning, Message = "{Gateway} {Operation} for {IdempotencyKey}: attempt {Attempt} failed with {ExceptionType}")]
    public static partial void AttemptFailed(ILogger logger, string gateway, string operation, string idempotencyKey, int attempt, string exceptionType);

    [LoggerMessage(EventId = 7012, Level = LogLevel.Information, Message = "{Gateway} {Operation} for {IdempotencyKey}: retrying in {Delay} (attempt {Attempt} of {AttemptMax})")]
    public static partial void RetryScheduled(ILogger logger, string gateway, string operation, string idempotencyKey, TimeSpan delay, int attempt, int attemptMax);

    [LoggerMessage(EventId = 7020, Level = LogLevel.Information, Message = "File ERP sink: {Journals} journal line-set(s) written but not acknowledged found after the last acknowledged offset; they will not be written again")]
    public static partial void FileSinkRecovered(ILogger logger, int journals);

    [LoggerMessage(EventId = 7021, Level = LogLevel.Warning, Message = "File ERP sink: cut an incomplete last line of {File} at offset {Offset}")]
    public static partial void FileSinkTornTail(ILogger logger, string file, long offset);
}
