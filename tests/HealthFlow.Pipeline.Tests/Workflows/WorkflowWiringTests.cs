using System.Net;
using System.Net.Http.Json;
using HealthFlow.Finance;
using HealthFlow.Ledger;
using HealthFlow.Ledger.Storage;
using HealthFlow.Pipeline.Bus;
using HealthFlow.Pipeline.Erp;
using HealthFlow.Pipeline.Orchestration;
using HealthFlow.Pipeline.Runtime;
using HealthFlow.Pipeline.Security;
using HealthFlow.Pipeline.Workflows;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using static HealthFlow.Pipeline.Tests.Workflows.WorkflowSamples;
using HealthFlow.Tests.Shared;

namespace HealthFlow.Pipeline.Tests.Workflows;

/// <summary>
/// The wiring lines proposed for <c>LocalRuntime</c>, in the same order, on Kestrel: the workflows run behind the real
/// HTTP routes and the exceptions API answers over HTTP.
/// </summary>
public sealed class WorkflowWiringTests
{
    [Fact]
    public async Task The_local_runtime_wiring_runs_the_workflows_and_serves_the_exceptions_api()
    {
        var folder = Path.Combine(Path.GetTempPath(), "healthflow-wiring-" + Guid.NewGuid().ToString("N"));
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Admin:Key"] = WorkflowFixture.AdminKey,
            ["Workflows:QuietPeriodSeconds"] = "0.3",
        }).Build();
        var data = new DataFolder(folder);
        using var store = FileBlobStore.OpenWritable(data.Path);
        var ledger = await BlobLedger.OpenAsync(store);
        var bus = await EmbeddedTopicBus.OpenAsync(ledger, BusTopology.LoadEmbedded());
        using var loggerFactory = LoggerFactory.Create(_ => { });
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var services = builder.Services;
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<ILedger>(ledger);
        services.AddSingleton<ITopicBus>(bus);
        services.AddSingleton(VendorDirectory.FromConfiguration(configuration));
        services.AddSingleton(new PatientTokenizer(new byte[32]));

        // --- the lines for LocalRuntime.StartAsync, before builder.Build() ---
        services.AddErpGateway(configuration, data);
        var engine = await OrchestrationRegistration.OpenEmbeddedAsync(ledger, new OrchestrationRegistry().AddWorkflows(), loggerFactory, TimeProvider.System);
        services.AddEmbeddedOrchestrations(engine);
        services.AddWorkflows(configuration);
        var app = builder.Build();
        // --- after app.MapHealthFlowApi() ---
        app.MapOrchestrationApi();
        app.MapExceptionApi();
        // --- before app.StartAsync() ---
        await engine.StartAsync(app.Services);
        await WorkflowRegistration.StartWorkflowsAsync(app.Services);
        await app.StartAsync();
        try
        {
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            using var http = new HttpClient { BaseAddress = new Uri(address) };
            http.DefaultRequestHeaders.Add("x-functions-key", WorkflowFixture.AdminKey);
            var remittance = Remittance("TRN-8001", "PCN-8001") with { PaymentAmount = new Money(1m, "USD") };
            await bus.PublishAsync(remittance.Topic, new BusMessage(remittance.IdempotencyKey, remittance.EventType, HealthFlow.Finance.Events.EventJson.Serialize(remittance), remittance.SessionKey, remittance.CorrelationId));

            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await Poll.UntilAsync(async () => await engine.GetInstanceAsync(WorkflowInstanceIds.Remittance("ACME", "TRN-8001"), false) is not null, "the instance");
            await engine.WaitForInstanceCompletionAsync(WorkflowInstanceIds.Remittance("ACME", "TRN-8001"), timeout.Token);
            var open = await http.GetFromJsonAsync<List<WorkflowException>>("/api/exceptions");
            var exception = Assert.Single(open!);
            Assert.Equal("unbalanced-remittance", exception.Reason);
            var resolved = await http.PostAsync(new Uri($"/api/exceptions/{exception.Id}/resolve", UriKind.Relative), null);
            Assert.Equal(HttpStatusCode.OK, resolved.StatusCode);
            Assert.Empty((await http.GetFromJsonAsync<List<WorkflowException>>("/api/exceptions"))!);
            Assert.Single((await http.GetFromJsonAsync<List<WorkflowException>>("/api/exceptions?status=resolved"))!);
            using var vendor = new HttpClient { BaseAddress = new Uri(address) };
            Assert.Equal(HttpStatusCode.Unauthorized, (await vendor.GetAsync(new Uri("/api/exceptions", UriKind.Relative))).StatusCode);
        }
        finally
        {
            // --- LocalRuntime.DisposeAsync: routers, then the engine, then the app, bus and ledger ---
            await app.StopAsync();
            await app.Services.GetRequiredService<WorkflowHost>().DisposeAsync();
            await engine.DisposeAsync();
            await app.DisposeAsync();
            await bus.DisposeAsync();
            await ledger.DisposeAsync();
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
