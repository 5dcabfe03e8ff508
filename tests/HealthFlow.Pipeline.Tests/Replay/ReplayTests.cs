using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using HealthFlow.Finance.Reconciliation;
using HealthFlow.Ledger;
using HealthFlow.Pipeline.Http;
using HealthFlow.Pipeline.Reconciliation;
using HealthFlow.Pipeline.Replay;
using HealthFlow.Pipeline.Tests.Support;
using HealthFlow.Pipeline.Tests.Workflows;
using HealthFlow.Pipeline.Workflows;
using Microsoft.Extensions.DependencyInjection;
using static HealthFlow.Pipeline.Tests.Reconciliation.ReconciliationRunnerTests;
using static HealthFlow.Pipeline.Tests.Workflows.WorkflowSamples;
using HealthFlow.Tests.Shared;

namespace HealthFlow.Pipeline.Tests.Replay;

/// <summary>
/// Replay on the real runtime, through <c>POST /api/replay</c>: a dry run changes nothing but its audit; a re-drive after the
/// fault clears the reconciliation break; a second re-drive posts nothing; every replay is audited without the key.
/// </summary>
public sealed class ReplayTests
{
    private static readonly DateOnly PaymentDay = new(2026, 11, 21);

    [Fact]
    public async Task A_journal_dropped_before_the_erp_is_an_unposted_break_that_a_replay_to_the_erp_clears_and_a_second_replay_posts_nothing()
    {
        // Workflows off: the 835 is in the ledger, but nothing ever took its journals to the ERP.
        await using var host = await RuntimeHost.StartAsync(new Dictionary<string, string?> { ["Workflows:Enabled"] = "false" });
        await PublishAsync(host.Runtime.Bus, Claim("PCN-7301", "E-7301", 1000m));
        var remittance = Remittance("TRN-7301", "PCN-7301");
        await PublishAsync(host.Runtime.Bus, remittance);
        var dropped = Assert.Single((await ReconcileAsync(host)).Breaks);
        Assert.Equal((BreakCauses.Unposted, BreakLevels.Remittance), (dropped.Cause, dropped.Level));

        var request = new ReplayRequest(CorrelationId: remittance.CorrelationId, Target: ReplayTarget.Erp, Reason: "journal dropped before the ERP (INC-42)", Operator: "jdoe");
        var head = host.Runtime.Ledger.Head;
        var erpBefore = ErpLines(host);
        var dry = await ReplayAsync(host, request with { DryRun = true });

        Assert.Equal((1, 0), (dry.Selected, dry.Posted));
        var item = Assert.Single(dry.Items);
        Assert.Equal(("remittances", "RemittanceReceived", remittance.CorrelationId), (item.Topic, item.Type, item.CorrelationId));
        Assert.All(await RecordsSinceAsync(host, head), r => Assert.Equal(ReplayAudit.Stream, r.Stream));
        Assert.Equal(erpBefore, ErpLines(host));
        Assert.Single((await ReconcileAsync(host)).Breaks);

        var first = await ReplayAsync(host, request);
        Assert.True(first.Posted > 0, "the replay posted nothing");
        Assert.Equal((0, 0, 0, 0), (first.AlreadyPosted, first.Rejected, first.Failed, first.Blocked));
        Assert.Empty((await ReconcileAsync(host)).Breaks);
        var posted = ErpLines(host);

        var second = await ReplayAsync(host, request);
        Assert.Equal((0, first.Posted), (second.Posted, second.AlreadyPosted));
        Assert.Equal(posted, ErpLines(host));
        Assert.Empty((await ReconcileAsync(host)).Breaks);

        var audit = await host.Runtime.Ledger.ReadStreamAsync(ReplayAudit.Stream).ToListAsync();
        Assert.Equal([ReplayAudit.StartedType, ReplayAudit.FinishedType, ReplayAudit.StartedType, ReplayAudit.FinishedType, ReplayAudit.StartedType, ReplayAudit.FinishedType],
            audit.Select(r => r.Type));
        var started = JsonSerializer.Deserialize<ReplayStarted>(audit[0].Payload.Span, ReplayAudit.Json)!;
        Assert.Equal((dry.ReplayId, RequestKeys.IdOf(RuntimeHost.AdminKey), "jdoe", "journal dropped before the ERP (INC-42)", true),
            (started.ReplayId, started.KeyId, started.Operator, started.Reason, started.DryRun));
        Assert.Equal(remittance.CorrelationId, started.Selection.CorrelationId);
        var finished = JsonSerializer.Deserialize<ReplayResult>(audit[3].Payload.Span, ReplayAudit.Json)!;
        Assert.Equal((first.ReplayId, first.Posted), (finished.ReplayId, finished.Posted));
        Assert.All(audit, r => Assert.DoesNotContain(RuntimeHost.AdminKey, Encoding.UTF8.GetString(r.Payload.Span), StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_dead_lettered_835_replayed_into_its_topic_is_posted_once_however_often_it_is_replayed()
    {
        await using var host = await RuntimeHost.StartAsync(new Dictionary<string, string?> { ["Workflows:Enabled"] = "false" });
        await PublishAsync(host.Runtime.Bus, Claim("PCN-7401", "E-7401", 1000m));
        await PublishAsync(host.Runtime.Bus, Remittance("TRN-7401", "PCN-7401"));
        // The router gave up on the 835 (as after maxDeliveryCount failures).
        var delivery = Assert.Single(await host.Runtime.Bus.ReceiveAsync("remittances", "remittance-to-gl", 10, TimeSpan.FromSeconds(5)));
        await host.Runtime.Bus.DeadLetterAsync(delivery, "HandlerFailed", "test");
        await host.RestartAsync(new Dictionary<string, string?> { ["Workflows:Enabled"] = "true" });
        Assert.Equal(BreakCauses.Unposted, Assert.Single((await ReconcileAsync(host)).Breaks).Cause);

        var request = new ReplayRequest(DeadLetter: "remittances/remittance-to-gl", Reason: "router fixed (INC-43)");
        var first = await ReplayAsync(host, request);
        Assert.Equal((1, 1), (first.Selected, first.Published));
        var instance = WorkflowInstanceIds.Remittance("ACME", "TRN-7401");
        await Poll.UntilAsync(async () => await host.Runtime.Orchestrations.GetInstanceAsync(instance, false) is not null, instance);
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
            await host.Runtime.Orchestrations.WaitForInstanceCompletionAsync(instance, timeout.Token);
        Assert.Empty((await ReconcileAsync(host)).Breaks);
        var posted = ErpLines(host);

        Assert.Equal(1, (await ReplayAsync(host, request)).Published);
        await WaitForBusToSettleAsync(host);
        Assert.Equal(posted, ErpLines(host));
        Assert.Empty((await ReconcileAsync(host)).Breaks);
    }

    [Fact]
    public async Task Replay_needs_the_admin_key_and_answers_a_selection_it_cannot_run_with_a_problem()
    {
        await using var host = await RuntimeHost.StartAsync(new Dictionary<string, string?> { ["Workflows:Enabled"] = "false" });
        var valid = new ReplayRequest(Stream: "remittances", DryRun: true, Reason: "check");

        using var anonymous = host.Client(key: null);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsJsonAsync("/api/replay", valid, ApiJson.Options)).StatusCode);
        using var vendor = host.Client();
        Assert.Equal(HttpStatusCode.Forbidden, (await vendor.PostAsJsonAsync("/api/replay", valid, ApiJson.Options)).StatusCode);

        using var admin = host.Client(RuntimeHost.AdminKey);
        var head = host.Runtime.Ledger.Head;
        foreach (var (bad, says) in new (ReplayRequest, string)[]
        {
            (valid with { Reason = " " }, "reason"),
            (new ReplayRequest(Reason: "no selection"), "select"),
            (valid with { Stream = "raw/acme" }, "stream"),
            (valid with { Stream = null, DeadLetter = "remittances/nobody" }, "deadLetter"),
            (valid with { From = new DateTimeOffset(2026, 11, 22, 0, 0, 0, TimeSpan.Zero), To = new DateTimeOffset(2026, 11, 21, 0, 0, 0, TimeSpan.Zero) }, "from"),
        })
        {
            using var response = await admin.PostAsJsonAsync("/api/replay", bad, ApiJson.Options);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.Contains(says, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString(), StringComparison.Ordinal);
        }

        using var notJson = await admin.PostAsync(new Uri("/api/replay", UriKind.Relative), new StringContent("{\"target\": \"sideways\"}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, notJson.StatusCode);
        Assert.Equal(head, host.Runtime.Ledger.Head);
        Assert.Equal(0, (await ReplayAsync(host, valid)).Selected);
    }

    internal static async Task<ReplayResult> ReplayAsync(RuntimeHost host, ReplayRequest request)
    {
        using var admin = host.Client(RuntimeHost.AdminKey);
        using var response = await admin.PostAsJsonAsync("/api/replay", request, ApiJson.Options);
        Assert.True(response.IsSuccessStatusCode, $"POST /api/replay answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return (await response.Content.ReadFromJsonAsync<ReplayResult>(ApiJson.Options))!;
    }

    private static Task<ReconciliationReport> ReconcileAsync(RuntimeHost host) =>
        host.Runtime.Services.GetRequiredService<ReconciliationRunner>().ReconcileAsync(PaymentDay);

    /// <summary>The file ERP's journals.jsonl, line by line (none before the first post).</summary>
    private static string[] ErpLines(RuntimeHost host) =>
        Path.Combine(host.Folder, "erp", "journals.jsonl") is var path && File.Exists(path) ? File.ReadAllLines(path) : [];

    private static async Task<List<LedgerRecord>> RecordsSinceAsync(RuntimeHost host, long head) =>
        await host.Runtime.Ledger.ReadAllAsync(head).ToListAsync();

    /// <summary>Until every subscription of the remittances topic has settled what was published to it.</summary>
    private static Task WaitForBusToSettleAsync(RuntimeHost host) =>
        Poll.UntilAsync(() => Task.FromResult(((HealthFlow.Pipeline.Bus.EmbeddedTopicBus)host.Runtime.Bus).UnsettledCount("remittances", "remittance-to-gl") == 0), "the remittance to be settled");
}
