using System.Text;
using System.Text.Json;
using HealthFlow.Pipeline.Orchestration;
using HealthFlow.Pipeline.Security;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace HealthFlow.Pipeline.Tests.Orchestration;

public sealed class The_orchestration_endpoints
{
    private const string AdminKey = "admin-key-for-tests";
    private const string VendorKey = "vendor-key-for-tests";
    private static readonly VendorDirectory Vendors = new([KeyValuePair.Create("acme", VendorKey)], AdminKey);

    [Fact]
    public async Task refuse_requests_without_the_admin_key()
    {
        await using var f = await OrchestrationFixture.StartAsync();
        var endpoints = new OrchestrationEndpoints(f.Engine, Vendors);

        Assert.Equal(401, (await ExecuteAsync(r => endpoints.GetAsync(r, "x"), key: null)).Status);
        Assert.Equal(403, (await ExecuteAsync(r => endpoints.GetAsync(r, "x"), key: VendorKey)).Status);
        Assert.Equal(403, (await ExecuteAsync(r => endpoints.TerminateAsync(r, "x"), key: VendorKey)).Status);
    }

    [Fact]
    public async Task answer_an_instance_with_its_status_and_json_output_and_404_for_an_unknown_one()
    {
        await using var f = await OrchestrationFixture.StartAsync();
        await f.Engine.StartIfNotExistsAsync(nameof(SequenceOrchestrator), "remit:P1:TRN1", 5, "receipt-9");
        await f.WaitAsync("remit:P1:TRN1");
        var endpoints = new OrchestrationEndpoints(f.Engine, Vendors);

        var found = await ExecuteAsync(r => endpoints.GetAsync(r, "remit:P1:TRN1"));
        var missing = await ExecuteAsync(r => endpoints.GetAsync(r, "remit:P1:NONE"));

        Assert.Equal(200, found.Status);
        using var json = JsonDocument.Parse(found.Body);
        Assert.Equal("Completed", json.RootElement.GetProperty("runtimeStatus").GetString());
        Assert.Equal(8, json.RootElement.GetProperty("output").GetInt32());
        Assert.Equal(5, json.RootElement.GetProperty("input").GetInt32());
        Assert.Equal("receipt-9", json.RootElement.GetProperty("correlationId").GetString());
        Assert.Equal(404, missing.Status);
    }

    [Fact]
    public async Task raise_an_event_from_the_json_body_and_answer_410_once_the_instance_ended()
    {
        await using var f = await OrchestrationFixture.StartAsync();
        await f.Engine.StartIfNotExistsAsync(nameof(ApprovalOrchestrator), "approval:http", 30);
        f.Effects.Release("prepare");
        var endpoints = new OrchestrationEndpoints(f.Engine, Vendors);

        var raised = await ExecuteAsync(r => endpoints.RaiseEventAsync(r, "approval:http", "Approval"), body: "\"dr-http\"");
        var done = await f.WaitAsync("approval:http");
        var late = await ExecuteAsync(r => endpoints.RaiseEventAsync(r, "approval:http", "Approval"), body: "\"again\"");
        var bad = await ExecuteAsync(r => endpoints.RaiseEventAsync(r, "approval:http", "Approval"), body: "not json");

        Assert.Equal(202, raised.Status);
        Assert.Equal("approved by dr-http", done.ReadOutputAs<string>());
        Assert.Equal(410, late.Status);
        Assert.Equal(400, bad.Status);
    }

    [Fact]
    public async Task terminate_and_rewind_and_list_instances()
    {
        await using var f = await OrchestrationFixture.StartAsync();
        f.Effects.FragileBroken = true;
        await f.Engine.StartIfNotExistsAsync(nameof(RewindableOrchestrator), "rewind:http", 1);
        await f.Engine.StartIfNotExistsAsync(nameof(ApprovalOrchestrator), "approval:list", 30);
        await f.WaitAsync("rewind:http");
        var endpoints = new OrchestrationEndpoints(f.Engine, Vendors);

        var failedList = await ExecuteAsync(endpoints.ListAsync, query: "?status=Failed");
        Assert.Equal(200, failedList.Status);
        using (var list = JsonDocument.Parse(failedList.Body))
            Assert.Equal(["rewind:http"], list.RootElement.EnumerateArray().Select(e => e.GetProperty("instanceId").GetString()));
        Assert.Equal(400, (await ExecuteAsync(endpoints.ListAsync, query: "?status=Sleeping")).Status);

        Assert.Equal(410, (await ExecuteAsync(r => endpoints.RewindAsync(r, "approval:list"))).Status);
        f.Effects.FragileBroken = false;
        Assert.Equal(202, (await ExecuteAsync(r => endpoints.RewindAsync(r, "rewind:http"), query: "?reason=fixed")).Status);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, (await f.WaitAsync("rewind:http")).RuntimeStatus);

        Assert.Equal(202, (await ExecuteAsync(r => endpoints.TerminateAsync(r, "approval:list"), query: "?reason=test")).Status);
        Assert.Equal(OrchestrationRuntimeStatus.Terminated, (await f.WaitAsync("approval:list")).RuntimeStatus);
        Assert.Equal(404, (await ExecuteAsync(r => endpoints.TerminateAsync(r, "nobody"))).Status);
    }

    [Fact]
    public async Task the_cli_query_reads_instances_straight_from_the_ledger()
    {
        await using var f = await OrchestrationFixture.StartAsync();
        for (var i = 0; i < 5; i++)
            await f.Engine.StartIfNotExistsAsync(nameof(SequenceOrchestrator), $"discharge:F1:E{i}", i);
        for (var i = 0; i < 5; i++)
            await f.WaitAsync($"discharge:F1:E{i}");

        var first = await EmbeddedOrchestrationEngine.QueryLedgerAsync(f.Ledger, new OrchestrationQuery(InstanceIdPrefix: "discharge:", PageSize: 3));
        var second = await EmbeddedOrchestrationEngine.QueryLedgerAsync(f.Ledger, new OrchestrationQuery(InstanceIdPrefix: "discharge:", PageSize: 3, ContinuationToken: first.ContinuationToken));

        Assert.Equal(["discharge:F1:E0", "discharge:F1:E1", "discharge:F1:E2"], first.Instances.Select(i => i.InstanceId));
        Assert.Equal(["discharge:F1:E3", "discharge:F1:E4"], second.Instances.Select(i => i.InstanceId));
        Assert.Null(second.ContinuationToken);
        Assert.All(first.Instances, i => Assert.Equal(OrchestrationRuntimeStatus.Completed, i.RuntimeStatus));
        Assert.All(first.Instances, i => Assert.Null(i.SerializedInput));
    }

    private static async Task<(int Status, string Body)> ExecuteAsync(Func<HttpRequest, Task<IResult>> endpoint, string? key = AdminKey, string? body = null, string query = "")
    {
        var services = new ServiceCollection().AddLogging().AddProblemDetails().BuildServiceProvider();
        await using var _ = services;
        var context = new DefaultHttpContext { RequestServices = services };
        if (key is not null)
            context.Request.Headers["x-functions-key"] = key;
        context.Request.QueryString = new QueryString(query.Length > 0 ? query : null);
        if (body is not null)
        {
            context.Request.Body = new MemoryStream(Encoding.UTF8.GetBytes(body));
            context.Request.ContentLength = Encoding.UTF8.GetByteCount(body);
            context.Request.ContentType = "application/json";
        }
        var response = new MemoryStream();
        context.Response.Body = response;
        var result = await endpoint(context.Request);
        await result.ExecuteAsync(context);
        return (context.Response.StatusCode, Encoding.UTF8.GetString(response.ToArray()));
    }
}
