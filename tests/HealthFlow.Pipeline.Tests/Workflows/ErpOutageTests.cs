using System.Collections.Concurrent;
using System.Text.Json;
using HealthFlow.Finance.Reconciliation;
using HealthFlow.Pipeline.Erp;
using HealthFlow.Pipeline.Orchestration;
using HealthFlow.Pipeline.Reconciliation;
using HealthFlow.Pipeline.Tests.Bus;
using HealthFlow.Pipeline.Workflows;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using static HealthFlow.Pipeline.Tests.Workflows.WorkflowSamples;
using HealthFlow.Tests.Shared;

namespace HealthFlow.Pipeline.Tests.Workflows;

/// <summary>The ERP down or dying mid-post (issue 9's outage drill, deterministic): journals wait, then post once.</summary>
public sealed class ErpOutageTests
{
    private static readonly DateOnly PaymentDay = new(2026, 11, 21);

    [Fact]
    public async Task A_journal_the_erp_took_just_before_a_crash_is_posted_once_after_the_restart()
    {
        await using var erp = await TestErp.StartAsync();
        await using var f = await WorkflowFixture.StartAsync(settings: erp.Settings);
        // The process dies once the ERP has kept the journal and before its answer is back: nothing of it is recorded.
        erp.AfterKeeping = f.Store.Kill;
        var instance = await PublishPaymentAsync(f, "9001");
        await Poll.UntilAsync(() => Task.FromResult(f.Store.Killed), "the crash");

        await f.CrashAsync();

        Assert.Equal(OrchestrationRuntimeStatus.Completed, (await f.WaitAsync(instance)).RuntimeStatus);
        var register = await ErpPostedRegister.OpenAsync(f.Ledger);
        var post = Assert.Single(erp.Kept);
        Assert.True(register.TryGetAccepted(post.Key, out _), "the post the ERP kept is not recorded as accepted");
        Assert.True(erp.Requests >= 2, "the journal was never sent again after the restart");
        var recorded = await RecordedJournalKeysAsync(f);
        Assert.NotEmpty(recorded);
        Assert.Equal(recorded.Count, recorded.Distinct(StringComparer.Ordinal).Count());
    }

    /// <summary>
    /// The ERP is down for two hours (the SLA in this test is one). Every attempt finds it down and waits on a durable timer,
    /// 30 s doubling to 15 min, well past the six attempts a retry policy would allow, without an exception or a failed
    /// workflow; once the ERP is back the journal posts once, and reconciliation shows the 835's posting lag as a breach.
    /// </summary>
    [Fact]
    public async Task An_erp_outage_longer_than_the_posting_lag_sla_is_waited_out_with_backoff_then_posted_once_and_breaches_the_sla()
    {
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        await using var erp = await TestErp.StartAsync();
        await using var f = await WorkflowFixture.StartAsync(settings: erp.Settings, clock: clock);
        erp.Down = true;
        var outageEnds = clock.GetUtcNow() + TimeSpan.FromHours(2);
        var instance = await PublishPaymentAsync(f, "9101");

        for (var timers = 1; ; timers++)
        {
            await Poll.UntilAsync(async () => (await f.Engine.GetHistoryAsync(instance))?.Count(e => e.Type == HistoryEventType.TimerCreated) >= timers,
                $"backoff timer {timers}");
            var last = clock.GetUtcNow() + OrchestratorSteps.ErpBackoff.MaxRetryInterval >= outageEnds;
            erp.Down = !last;
            clock.Advance(OrchestratorSteps.ErpBackoff.MaxRetryInterval);
            if (last)
                break;
        }

        Assert.Equal(OrchestrationRuntimeStatus.Completed, (await f.WaitAsync(instance)).RuntimeStatus);
        var delays = (await f.Engine.GetHistoryAsync(instance))!.Where(e => e.Type == HistoryEventType.TimerCreated).Select(e => e.FireAt!.Value - e.Timestamp).ToList();
        Assert.True(delays.Count > 6, $"only {delays.Count} attempts");
        Assert.Equal([.. new[] { 30, 60, 120, 240, 480 }.Select(s => TimeSpan.FromSeconds(s)), .. Enumerable.Repeat(TimeSpan.FromMinutes(15), delays.Count - 5)], delays);
        Assert.DoesNotContain(f.Services.GetRequiredService<ExceptionBook>().List(), e => e.InstanceId == instance);
        var post = Assert.Single(erp.Kept);
        Assert.Equal(1, erp.Accepted[post.Key]);

        var report = await new ReconciliationRunner(f.Ledger, f.Folder, f.Services.GetRequiredService<MasterDataSource>().Current, f.Tokenizer,
            new ReconciliationOptions { Settings = new ReconciliationSettings { PaymentPostingLag = TimeSpan.FromHours(1) } }, clock).ReconcileAsync(PaymentDay);

        Assert.Empty(report.Breaks);
        var lag = Assert.Single(report.Slas, s => s.Sla == SlaNames.PaymentPostingLag);
        Assert.True(lag is { Breached: true, Open: false } && lag.Hours >= 2, $"posting lag {lag}");
    }

    /// <summary>The claim (indexed before its payment arrives, so it matches) and its 835; returns the 835's instance id.</summary>
    private static async Task<string> PublishPaymentAsync(WorkflowFixture f, string n)
    {
        await f.PublishAsync(Claim($"PCN-{n}", $"E-{n}", 1000m));
        var readModels = f.Services.GetRequiredService<WorkflowReadModels>();
        await Poll.UntilAsync(() => Task.FromResult(readModels.FindClaim($"PCN-{n}") is not null), "the claim index");
        await f.PublishAsync(Remittance($"TRN-{n}", $"PCN-{n}"));
        return WorkflowInstanceIds.Remittance("ACME", $"TRN-{n}");
    }

    private static async Task<List<string>> RecordedJournalKeysAsync(WorkflowFixture f) =>
        await f.Ledger.ReadStreamAsync(WorkflowReadModels.JournalStream, 0).Where(r => r.Type == WorkflowReadModels.JournalRecordType).Select(r => r.Key).ToListAsync();

    /// <summary>
    /// A webhook ERP on loopback that keeps each idempotency key's journals once (receivers deduplicate, as the webhook
    /// contract asks) and answers with their document numbers; while <see cref="Down"/> it answers 503. The gateway makes
    /// one HTTP attempt per post, so every outage answer reaches the workflow.
    /// </summary>
    private sealed class TestErp : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private readonly ConcurrentDictionary<string, JsonElement[]> _kept = new(StringComparer.Ordinal);
        private int _requests;

        private TestErp(WebApplication app) => _app = app;

        public volatile bool Down;

        /// <summary>Runs once, after the ERP kept a post and before it answers.</summary>
        public Action? AfterKeeping;

        public int Requests => Volatile.Read(ref _requests);

        public IReadOnlyDictionary<string, JsonElement[]> Kept => _kept;

        /// <summary>2xx answers per idempotency key.</summary>
        public ConcurrentDictionary<string, int> Accepted { get; } = new(StringComparer.Ordinal);

        public IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
        {
            ["Erp:Gateway"] = "webhook",
            ["Erp:Webhook:Url"] = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/journals",
            ["Erp:Webhook:Secret"] = "erp-outage-test-secret-0123456789",
            ["Erp:Retry:MaxAttempts"] = "1",
        };

        public static async Task<TestErp> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            var app = builder.Build();
            var erp = new TestErp(app);
            app.MapPost("/journals", async (HttpContext http) =>
            {
                Interlocked.Increment(ref erp._requests);
                if (erp.Down)
                    return Results.StatusCode(StatusCodes.Status503ServiceUnavailable);
                using var body = await JsonDocument.ParseAsync(http.Request.Body);
                var key = http.Request.Headers["Idempotency-Key"].ToString();
                var kept = erp._kept.GetOrAdd(key, [.. body.RootElement.GetProperty("journals").EnumerateArray().Select(j => j.Clone())]);
                Interlocked.Exchange(ref erp.AfterKeeping, null)?.Invoke();
                erp.Accepted.AddOrUpdate(key, 1, (_, n) => n + 1);
                return Results.Json(new { documents = kept.Select(j => new { journalId = j.GetProperty("journalId").GetString(), documentNumber = "ERP-" + j.GetProperty("journalId").GetString() }) });
            });
            await app.StartAsync();
            return erp;
        }

        public async ValueTask DisposeAsync() => await _app.DisposeAsync();
    }
}
