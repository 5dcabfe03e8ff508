using System.Globalization;
using Microsoft.Extensions.Logging;

namespace HealthFlow.Pipeline.Erp;

/// <summary>Retry settings of the HTTP gateways (<c>Erp:Retry:*</c>).</summary>
public sealed class ErpRetryOptions
{
    /// <summary>Attempts per HTTP call, the first included (<c>Erp:Retry:MaxAttempts</c>, default 6).</summary>
    public int AttemptMax { get; init; } = 6;

    /// <summary>Backoff before the second attempt; doubles each attempt (<c>Erp:Retry:BaseDelayMilliseconds</c>, default 500).</summary>
    public TimeSpan DelayBase { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Longest backoff (<c>Erp:Retry:MaxDelaySeconds</c>, default 30).</summary>
    public TimeSpan DelayMax { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Longest wait a <c>Retry-After</c> can ask for; longer asks are cut to this (<c>Erp:Retry:MaxRetryAfterSeconds</c>, default 300).</summary>
    public TimeSpan RetryAfterMax { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Timeout of one attempt (<c>Erp:TimeoutSeconds</c>, default 100).</summary>
    public TimeSpan AttemptTimeout { get; init; } = TimeSpan.FromSeconds(100);
}

/// <summary>What one HTTP call came to after its retries.</summary>
internal enum ErpHttpStatus
{
    Success,
    Rejected,
    Exhausted,
}

/// <summary>
/// The last answer of an HTTP call: status, body (for parsing, never logged) and attempts. <c>Ambiguous</c>: an attempt
/// failed after the request may have reached the ERP (timeout, connection lost mid-exchange).
/// </summary>
internal sealed record ErpHttpResult(ErpHttpStatus Status, int? StatusCode, string Body, int Attempts, string? Error, bool Ambiguous = false);

/// <summary>
/// Sends one logical HTTP call with retries: 2xx succeeds; 408, 429 and 5xx (and network errors and attempt timeouts)
/// are retried with exponential backoff and full jitter, a <c>Retry-After</c> (seconds or HTTP date) is honoured;
/// any other status is a rejection and is never retried. Waits go through <see cref="TimeProvider"/>.
/// </summary>
/// <remarks>
/// Written by hand rather than with Polly: the policy is a dozen lines, it needs the idempotency key in every attempt's
/// log line and the vendor's own say on which 5xx are permanent (a SOAP client fault), and one less package to pin.
/// </remarks>
internal sealed class ErpHttpSender(HttpClient http, ErpRetryOptions options, TimeProvider clock, ILogger logger, string gateway)
{
    public HttpClient Http => http;

    /// <param name="build">Builds a fresh request per attempt (a request cannot be sent twice; signatures are per attempt).</param>
    /// <param name="operation">What the call does, for the logs (<c>POST LedgerJournalHeaders</c>).</param>
    /// <param name="idempotencyKey">Logged with every attempt.</param>
    /// <param name="cancellationToken">Cancels waits and attempts.</param>
    /// <param name="isPermanent">A vendor's verdict that a 5xx answer is permanent (SOAP client fault); null: none is.</param>
    /// <param name="retryAmbiguous">
    /// False for ERPs that cannot deduplicate a resent request (Oracle, SAP): after an attempt that may have reached the ERP
    /// the call stops with <see cref="ErpHttpResult.Ambiguous"/> set instead of risking a second posting. Failures where
    /// nothing left (connection refused, name resolution, TLS handshake) are retried either way.
    /// </param>
    public async Task<ErpHttpResult> SendAsync(
        Func<CancellationToken, ValueTask<HttpRequestMessage>> build,
        string operation,
        string idempotencyKey,
        CancellationToken cancellationToken,
        Func<int, string, bool>? isPermanent = null,
        bool retryAmbiguous = true)
    {
        var attempt = 0;
        var ambiguous = false;
        while (true)
        {
            attempt++;
            TimeSpan? retryAfter = null;
            int? status = null;
            string body;
            string? error = null;
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                timeout.CancelAfter(options.AttemptTimeout);
                try
                {
                    using var request = await build(timeout.Token);
                    using var response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, timeout.Token);
                    status = (int)response.StatusCode;
                    body = await response.Content.ReadAsStringAsync(timeout.Token);
                    Logs.Attempt(logger, gateway, operation, idempotencyKey, attempt, status.Value);
                    if (response.IsSuccessStatusCode)
                        return new ErpHttpResult(ErpHttpStatus.Success, status, body, attempt, null, ambiguous);
                    var retryable = status is 408 or 429 || status >= 500;
                    if (!retryable || isPermanent?.Invoke(status.Value, body) == true)
                        return new ErpHttpResult(ErpHttpStatus.Rejected, status, body, attempt, null, ambiguous);
                    retryAfter = RetryAfter(response);
                }
                catch (Exception exception) when (!cancellationToken.IsCancellationRequested
                    && exception is HttpRequestException or OperationCanceledException or IOException)
                {
                    // Network error or our own attempt timeout: the request may or may not have arrived; retry.
                    Logs.AttemptFailed(logger, gateway, operation, idempotencyKey, attempt, exception.GetType().Name);
                    body = "";
                    error = exception.GetType().Name;
                    var nothingLeft = exception is HttpRequestException
                    {
                        HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError or HttpRequestError.SecureConnectionError,
                    };
                    if (!nothingLeft)
                    {
                        ambiguous = true;
                        if (!retryAmbiguous)
                            return new ErpHttpResult(ErpHttpStatus.Exhausted, status, body, attempt, error, Ambiguous: true);
                    }
                }
            }

            if (attempt >= options.AttemptMax)
                return new ErpHttpResult(ErpHttpStatus.Exhausted, status, body, attempt, error, ambiguous);
            var delay = retryAfter ?? Backoff(attempt);
            Logs.RetryScheduled(logger, gateway, operation, idempotencyKey, delay, attempt + 1, options.AttemptMax);
            await Task.Delay(delay, clock, cancellationToken);
        }
    }

    /// <summary>Full jitter: uniform in [0.5, 1] × min(max, base × 2^(attempt−1)), so a herd of retries spreads out.</summary>
    private TimeSpan Backoff(int attempt)
    {
        var exponent = Math.Min(attempt - 1, 30);
        var ceiling = Math.Min(options.DelayMax.TotalMilliseconds, options.DelayBase.TotalMilliseconds * Math.Pow(2, exponent));
        return TimeSpan.FromMilliseconds(ceiling * (0.5 + (Random.Shared.NextDouble() / 2)));
    }

    private TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        var header = response.Headers.RetryAfter;
        TimeSpan? wait = null;
        if (header?.Delta is { } delta)
            wait = delta;
        else if (header?.Date is { } date)
            wait = date - clock.GetUtcNow();
        else if (response.Headers.TryGetValues("Retry-After", out var raw)
            && int.TryParse(raw.FirstOrDefault(), NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
            wait = TimeSpan.FromSeconds(seconds);
        if (wait is null)
            return null;
        if (wait < TimeSpan.Zero)
            return TimeSpan.Zero;
        return wait > options.RetryAfterMax ? options.RetryAfterMax : wait;
    }
}
