using System.Text;
using System.Text.Json;
using HealthFlow.Pipeline.Erp;

namespace HealthFlow.Pipeline.Tests.Erp;

public sealed class The_webhook_gateway
{
    private const string Secret = "whsec-test-0123456789";

    private static Dictionary<string, string?> Settings(LoopbackErp erp) => new()
    {
        ["Gateway"] = "webhook",
        ["Webhook:Url"] = new Uri(erp.Url, "erp/journals").ToString(),
        ["Webhook:Secret"] = Secret,
    };

    private static Reply Documents(string number) => new(201, $$"""{"documents":[{"journalId":"J-1","documentNumber":"{{number}}"}]}""");

    [Fact]
    public async Task posts_the_journal_shape_with_an_idempotency_key_and_a_signature_that_verifies_with_the_secret_only()
    {
        await using var f = await ErpFixture.StartAsync();
        await using var erp = await LoopbackErp.StartAsync();
        erp.Respond = (_, _) => Documents("GL-7781");
        var journal = SampleJournals.Cash();

        var ack = await f.Gateway(Settings(erp)).PostAsync(ErpPostRequest.For(journal));

        Assert.Equal((ErpOutcome.Accepted, "GL-7781", 1), (ack.Outcome, ack.Documents.Single().DocumentNumber, ack.Attempts));
        var seen = Assert.Single(erp.Seen);
        Assert.Equal(("POST", "/erp/journals"), (seen.Method, seen.Path));
        Assert.Equal(journal.IdempotencyKey, seen.Header("Idempotency-Key"));
        Assert.StartsWith("application/json", seen.Header("Content-Type"), StringComparison.Ordinal);
        var signature = seen.Header(WebhookSignature.HeaderName)!;
        Assert.Matches("^t=[0-9]+,v1=[0-9a-f]{64}$", signature);
        Assert.True(WebhookSignature.Verify(Encoding.UTF8.GetBytes(Secret), signature, seen.Body, f.Clock.GetUtcNow(), TimeSpan.FromMinutes(5)));
        Assert.False(WebhookSignature.Verify(Encoding.UTF8.GetBytes("another-secret"), signature, seen.Body, f.Clock.GetUtcNow(), TimeSpan.FromMinutes(5)));
        Assert.False(WebhookSignature.Verify(Encoding.UTF8.GetBytes(Secret), signature, [.. seen.Body, (byte)' '], f.Clock.GetUtcNow(), TimeSpan.FromMinutes(5)));
        Assert.False(WebhookSignature.Verify(Encoding.UTF8.GetBytes(Secret), signature, seen.Body, f.Clock.GetUtcNow().AddMinutes(10), TimeSpan.FromMinutes(5)));

        using var body = JsonDocument.Parse(seen.Body);
        Assert.Equal(journal.IdempotencyKey, body.RootElement.GetProperty("idempotencyKey").GetString());
        var sent = Assert.Single(body.RootElement.GetProperty("journals").EnumerateArray());
        Assert.Equal(["journalId", "idempotencyKey", "legalEntity", "currency", "postingDate", "kind", "reversalOf", "source", "lines"], sent.EnumerateObject().Select(p => p.Name));
        Assert.Contains("GL-7781", Encoding.UTF8.GetString(Assert.Single(await f.PostedRecordsAsync()).Payload.Span), StringComparison.Ordinal);
    }

    [Fact]
    public async Task honours_retry_after_in_seconds_on_429_then_succeeds()
    {
        await using var f = await ErpFixture.StartAsync();
        await using var erp = await LoopbackErp.StartAsync();
        erp.Respond = (_, n) => n == 1 ? new Reply(429, Headers: new Dictionary<string, string> { ["Retry-After"] = "7" }) : Documents("GL-1");

        var ack = await f.Gateway(Settings(erp)).PostAsync(ErpPostRequest.For(SampleJournals.Cash()));

        Assert.Equal((ErpOutcome.Accepted, 2), (ack.Outcome, ack.Attempts));
        Assert.Contains(TimeSpan.FromSeconds(7), f.Clock.Waits);
        Assert.Equal(2, erp.Seen.Count);
        Assert.All(erp.Seen, s => Assert.Equal(SampleJournals.Cash().IdempotencyKey, s.Header("Idempotency-Key")));
    }

    [Fact]
    public async Task honours_retry_after_as_an_http_date()
    {
        await using var f = await ErpFixture.StartAsync();
        await using var erp = await LoopbackErp.StartAsync();
        var at = f.Clock.GetUtcNow().AddSeconds(42).ToString("R");
        erp.Respond = (_, n) => n == 1 ? new Reply(429, Headers: new Dictionary<string, string> { ["Retry-After"] = at }) : Documents("GL-1");

        var ack = await f.Gateway(Settings(erp)).PostAsync(ErpPostRequest.For(SampleJournals.Cash()));

        Assert.Equal(ErpOutcome.Accepted, ack.Outcome);
        Assert.Contains(TimeSpan.FromSeconds(42), f.Clock.Waits);
    }

    [Fact]
    public async Task retries_503_with_backoff_then_succeeds()
    {
        await using var f = await ErpFixture.StartAsync();
        await using var erp = await LoopbackErp.StartAsync();
        erp.Respond = (_, n) => n <= 3 ? new Reply(503) : Documents("GL-2");

        var ack = await f.Gateway(Settings(erp)).PostAsync(ErpPostRequest.For(SampleJournals.Cash()));

        Assert.Equal((ErpOutcome.Accepted, 4, "GL-2"), (ack.Outcome, ack.Attempts, ack.Documents.Single().DocumentNumber));
        Assert.Equal(4, erp.Seen.Count);
    }

    [Fact]
    public async Task turns_400_into_a_rejection_without_retrying_and_does_not_mark_the_key_posted()
    {
        await using var f = await ErpFixture.StartAsync();
        await using var erp = await LoopbackErp.StartAsync();
        erp.Respond = (_, n) => n == 1 ? new Reply(400, """{"type":"about:blank","title":"Bad request","detail":"account 1120 is closed"}""", "application/problem+json") : Documents("GL-3");
        var gateway = f.Gateway(Settings(erp));

        var rejected = await gateway.PostAsync(ErpPostRequest.For(SampleJournals.Cash()));
        var fixedLater = await gateway.PostAsync(ErpPostRequest.For(SampleJournals.Cash()));

        Assert.Equal((ErpOutcome.Rejected, 400, 1), (rejected.Outcome, rejected.StatusCode, rejected.Attempts));
        Assert.Contains("account 1120 is closed", rejected.Reason, StringComparison.Ordinal);
        Assert.Empty(rejected.Documents);
        Assert.Equal((ErpOutcome.Accepted, "GL-3"), (fixedLater.Outcome, fixedLater.Documents.Single().DocumentNumber));
        Assert.Equal([ErpPostedRegister.RejectedType, ErpPostedRegister.AcceptedType], (await f.PostedRecordsAsync()).Select(r => r.Type));
    }

    [Fact]
    public async Task reports_a_transient_failure_when_5xx_outlasts_the_retries()
    {
        await using var f = await ErpFixture.StartAsync();
        await using var erp = await LoopbackErp.StartAsync();
        erp.Respond = (_, _) => new Reply(502);

        var ack = await f.Gateway(Settings(erp)).PostAsync(ErpPostRequest.For(SampleJournals.Cash()));

        Assert.Equal((ErpOutcome.TransientFailure, 502, 4), (ack.Outcome, ack.StatusCode, ack.Attempts));
        Assert.Equal(4, erp.Seen.Count);
    }

    [Fact]
    public async Task retries_a_refused_connection_as_a_network_error()
    {
        await using var f = await ErpFixture.StartAsync();
        var settings = new Dictionary<string, string?> { ["Gateway"] = "webhook", ["Webhook:Url"] = "http://127.0.0.1:9/erp", ["Webhook:Secret"] = Secret };

        var ack = await f.Gateway(settings).PostAsync(ErpPostRequest.For(SampleJournals.Cash()));

        Assert.Equal((ErpOutcome.TransientFailure, 4), (ack.Outcome, ack.Attempts));
        Assert.Contains("HttpRequestException", ack.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task posts_the_same_key_once_when_called_twice_at_once_and_after_a_restart()
    {
        await using var f = await ErpFixture.StartAsync();
        await using var erp = await LoopbackErp.StartAsync();
        var release = new ManualResetEventSlim();
        erp.Respond = (_, _) =>
        {
            release.Wait(TimeSpan.FromSeconds(10));
            return Documents("GL-9");
        };
        var gateway = f.Gateway(Settings(erp));
        var journal = SampleJournals.Cash();

        var first = gateway.PostAsync(ErpPostRequest.For(journal)).AsTask();
        var second = gateway.PostAsync(ErpPostRequest.For(journal)).AsTask();
        release.Set();
        var answers = await Task.WhenAll(first, second);
        await f.RestartAsync();
        var afterRestart = await f.Gateway(Settings(erp)).PostAsync(ErpPostRequest.For(journal));

        Assert.All(answers, a => Assert.Equal("GL-9", a.Documents.Single().DocumentNumber));
        Assert.Equal((true, "GL-9"), (afterRestart.Replayed, afterRestart.Documents.Single().DocumentNumber));
        Assert.Single(erp.Seen);
    }

    [Fact]
    public async Task does_not_send_again_a_journal_acknowledged_under_another_key()
    {
        await using var f = await ErpFixture.StartAsync();
        await using var erp = await LoopbackErp.StartAsync();
        erp.Respond = (_, _) => Documents("GL-1");
        var gateway = f.Gateway(Settings(erp));
        var journal = SampleJournals.Cash();
        await gateway.PostAsync(ErpPostRequest.For(journal));

        var ack = await gateway.PostAsync(new ErpPostRequest("another-key", [journal]));

        Assert.Equal((ErpOutcome.Accepted, "GL-1"), (ack.Outcome, ack.Documents.Single().DocumentNumber));
        Assert.Single(erp.Seen);
    }
}
