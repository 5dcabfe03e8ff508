using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using HealthFlow.Finance.Events;
using HealthFlow.Finance.Reconciliation;
using HealthFlow.Pipeline.Bus;
using HealthFlow.Pipeline.Reconciliation;
using HealthFlow.Pipeline.Tests.Support;
using HealthFlow.Pipeline.Tests.Workflows;
using HealthFlow.Pipeline.Workflows;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using static HealthFlow.Pipeline.Tests.Workflows.WorkflowSamples;
using HealthFlow.Tests.Shared;

namespace HealthFlow.Pipeline.Tests.Reconciliation;

/// <summary>
/// The runner on the real runtime: the workflows post a day to the ERP, then reconciliation reads the ledger and the file
/// ERP's journals.jsonl. Clean, no break; each fault in the ERP's file or answer is exactly one break with its cause.
/// </summary>
public sealed class ReconciliationRunnerTests
{
    private static readonly DateOnly PaymentDay = new(2026, 11, 21);
    private static readonly DateOnly DischargeDay = DateOnly.FromDateTime(DischargedAt.UtcDateTime);

    [Fact]
    public async Task A_clean_day_reconciles_to_zero_breaks_and_faults_in_the_erp_file_are_one_break_each()
    {
        await using var host = await RuntimeHost.StartAsync(new Dictionary<string, string?> { ["Workflows:QuietPeriodSeconds"] = "0.3" });
        await PostDayAsync(host, withDischarge: true);

        var remittances = await RunAsync(host, PaymentDay);
        var discharges = await RunAsync(host, DischargeDay);

        Assert.Empty(remittances.Breaks);
        Assert.Empty(discharges.Breaks);
        var payments = Assert.Single(remittances.Totals, t => t.Key.Measure == ReconciliationTotals.Payments);
        Assert.Equal((1400m, 1400m, 1400m), (payments.Source, payments.Posted!.Value, payments.Erp!.Value));
        Assert.All(remittances.Remittances, r => Assert.Equal(r.Bpr, r.PostedCash));
        Assert.Equal(1080.5m, Assert.Single(discharges.Totals, t => t.Key.Measure == ReconciliationTotals.Charges).Erp);
        Assert.True(File.Exists(Path.Combine(host.Folder, "reporting", "fact_breaks.csv")));

        var lines = File.ReadAllLines(Path.Combine(host.Folder, "erp", "journals.jsonl")).Where(l => l.Length > 0).ToList();
        var posted = lines.First(l => l.Contains("\"postingDate\":\"2026-11-21\"", StringComparison.Ordinal));
        var dropped = await WithErpFileAsync(host, PaymentDay, lines.Where(l => l != posted));
        Assert.Equal((BreakCauses.Unposted, BreakLevels.Post), Single(dropped));

        var twice = await WithErpFileAsync(host, PaymentDay, [.. lines, posted]);
        Assert.Equal((BreakCauses.PostedTwice, BreakLevels.Post), Single(twice));

        var edited = await WithErpFileAsync(host, PaymentDay, lines.Select(l => l == posted ? ChangeFirstDebit(l, 10m) : l));
        Assert.Equal((BreakCauses.AmountMismatch, BreakLevels.Erp), Single(edited));
    }

    [Fact]
    public async Task A_discharge_cancelled_after_its_accrual_posted_nets_to_nothing_on_its_day_and_leaves_no_break()
    {
        await using var host = await RuntimeHost.StartAsync(new Dictionary<string, string?> { ["Workflows:QuietPeriodSeconds"] = "0.3" });
        await PostDayAsync(host, withDischarge: true);
        var runtime = host.Runtime;
        await PublishAsync(runtime.Bus, CancelDischarge("E-7001"));
        var reversal = WorkflowInstanceIds.DischargeReversal("RMC", "E-7001");
        await Poll.UntilAsync(async () => await runtime.Orchestrations.GetInstanceAsync(reversal, false) is not null, reversal);
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
            await runtime.Orchestrations.WaitForInstanceCompletionAsync(reversal, timeout.Token);

        var runner = runtime.Services.GetRequiredService<ReconciliationRunner>();
        var days = await runner.BusinessDaysAsync();
        var reports = await runner.ReconcileAsync(days);

        Assert.Equal([DischargeDay, PaymentDay], days);
        Assert.All(reports, r => Assert.Empty(r.Breaks));
        var accruals = File.ReadAllLines(Path.Combine(host.Folder, "erp", "journals.jsonl"))
            .Where(l => l.Contains("\"idempotencyKey\":\"discharge:", StringComparison.Ordinal)).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(2, accruals.Count);
        Assert.All(accruals, a => Assert.Equal(DischargeDay.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), a.GetProperty("postingDate").GetString()));
    }

    [Fact]
    public async Task A_post_the_erp_rejects_is_one_erp_rejected_break()
    {
        await using var erp = await RejectingErp.StartAsync();
        await using var host = await RuntimeHost.StartAsync(new Dictionary<string, string?>
        {
            ["Erp:Gateway"] = "webhook",
            ["Erp:Webhook:Url"] = erp.Address,
            ["Erp:Webhook:Secret"] = "reconciliation-test-secret-0123456789",
        });
        var runtime = host.Runtime;
        await PublishAsync(runtime.Bus, Claim("PCN-7001", "E-7001", 1000m));
        await PublishAsync(runtime.Bus, Remittance("TRN-7001", "PCN-7001"));
        await Poll.UntilAsync(() => Task.FromResult(
            runtime.Services.GetRequiredService<ExceptionBook>().List(open: true).Any(e => e.Reason == ExceptionDrafts.ErpRejected)), "the erp-rejected exception");

        var report = await RunAsync(host, PaymentDay);

        Assert.Equal((BreakCauses.ErpRejected, BreakLevels.Post), Single(report));
    }

    [Fact]
    public async Task The_reconciliation_api_needs_the_admin_key_and_answers_with_the_summary()
    {
        await using var host = await RuntimeHost.StartAsync(new Dictionary<string, string?> { ["Workflows:QuietPeriodSeconds"] = "0.3" });
        await PostDayAsync(host, withDischarge: false);

        using var vendor = host.Client();
        Assert.Equal(HttpStatusCode.Forbidden, (await vendor.GetAsync(new Uri("/api/reconciliation?date=2026-11-21", UriKind.Relative))).StatusCode);
        using var admin = host.Client(RuntimeHost.AdminKey);
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.GetAsync(new Uri("/api/reconciliation?date=21.11.2026", UriKind.Relative))).StatusCode);
        var summary = await admin.GetFromJsonAsync<JsonElement>("/api/reconciliation?date=2026-11-21");

        Assert.Equal(0, summary.GetProperty("breaks").GetInt32());
        Assert.Equal(2, summary.GetProperty("remittances").GetInt32());
        Assert.Equal(1400m, summary.GetProperty("postedCash").GetDecimal());
        Assert.Equal(2, ReportingTables.Read(Path.Combine(host.Folder, "reporting"), ReportingTables.Remittances).Count);
    }

    /// <summary>Two paid claims (835s of 2026-11-21) and, optionally, a discharge with two charges (2026-11-20), posted by the workflows.</summary>
    internal static async Task PostDayAsync(RuntimeHost host, bool withDischarge)
    {
        var runtime = host.Runtime;
        foreach (var n in new[] { 7001, 7002 })
        {
            await PublishAsync(runtime.Bus, Claim($"PCN-{n}", $"E-{n}", 1000m));
            await PublishAsync(runtime.Bus, Remittance($"TRN-{n}", $"PCN-{n}"));
        }

        var instances = new List<string> { WorkflowInstanceIds.Remittance("ACME", "TRN-7001"), WorkflowInstanceIds.Remittance("ACME", "TRN-7002") };
        if (withDischarge)
        {
            await PublishAsync(runtime.Bus, Charge("E-7001", "C1", 1000m, "0450"));
            await PublishAsync(runtime.Bus, Charge("E-7001", "C2", 80.5m, "0300"));
            await PublishAsync(runtime.Bus, Discharge("E-7001"));
            instances.Add(WorkflowInstanceIds.Discharge("RMC", "E-7001"));
        }

        foreach (var instance in instances)
        {
            await Poll.UntilAsync(async () => await runtime.Orchestrations.GetInstanceAsync(instance, false) is not null, instance);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await runtime.Orchestrations.WaitForInstanceCompletionAsync(instance, timeout.Token);
        }
    }

    internal static async Task PublishAsync(ITopicBus bus, CanonicalEvent @event) =>
        await bus.PublishAsync(@event.Topic, new BusMessage(@event.IdempotencyKey, @event.EventType, EventJson.Serialize(@event), @event.SessionKey, @event.CorrelationId, @event.CausationId));

    private static Task<ReconciliationReport> RunAsync(RuntimeHost host, DateOnly day) =>
        host.Runtime.Services.GetRequiredService<ReconciliationRunner>().RunAsync(day);

    /// <summary>Reconciles against a changed copy of the ERP's journals.jsonl (the runtime's own file stays as posted).</summary>
    private static async Task<ReconciliationReport> WithErpFileAsync(RuntimeHost host, DateOnly day, IEnumerable<string> lines)
    {
        var folder = Path.Combine(host.Folder, "erp-edited-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        await File.WriteAllLinesAsync(Path.Combine(folder, "journals.jsonl"), lines);
        var services = host.Runtime.Services;
        var runner = new ReconciliationRunner(host.Runtime.Ledger, host.Folder, services.GetRequiredService<MasterDataSource>().Current,
            services.GetRequiredService<HealthFlow.Finance.PatientTokenizer>(), services.GetRequiredService<ReconciliationOptions>() with { ErpFolder = folder }, TimeProvider.System);
        return await runner.ReconcileAsync(day);
    }

    private static (string Cause, string Level) Single(ReconciliationReport report)
    {
        var found = Assert.Single(report.Breaks);
        return (found.Cause, found.Level);
    }

    /// <summary>The journal line with its first non-zero debit raised by <paramref name="by"/> (the ERP-side edit of an amount).</summary>
    private static string ChangeFirstDebit(string json, decimal by)
    {
        var node = System.Text.Json.Nodes.JsonNode.Parse(json)!;
        var line = node["lines"]!.AsArray().First(l => l!["debit"]!.GetValue<decimal>() > 0)!;
        line["debit"] = line["debit"]!.GetValue<decimal>() + by;
        return node.ToJsonString();
    }

    /// <summary>A webhook ERP on loopback that rejects (422) the first post and accepts the rest.</summary>
    private sealed class RejectingErp : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private int _posts;

        private RejectingErp(WebApplication app) => _app = app;

        public string Address => _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/journals";

        public static async Task<RejectingErp> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            var app = builder.Build();
            var erp = new RejectingErp(app);
            app.MapPost("/journals", () => Interlocked.Increment(ref erp._posts) == 1
                ? Results.Json(new { error = "account closed for posting" }, statusCode: 422)
                : Results.Json(new { }));
            await app.StartAsync();
            return erp;
        }

        public async ValueTask DisposeAsync() => await _app.DisposeAsync();
    }
}
