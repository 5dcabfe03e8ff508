using HealthFlow.Functions;
using HealthFlow.Pipeline.Ingestion;
using HealthFlow.Pipeline.Workflows;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry.Metrics;

// Azure Functions isolated worker with the ASP.NET Core integration (HttpRequest / IActionResult in triggers).
var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();
await builder.Services.AddHealthFlowOnAzureAsync(builder.Configuration);

using var host = builder.Build();
// Rebuild receipts from the ledger and finish any a crash interrupted, before the first request.
await host.Services.GetRequiredService<IngestionService>().StartAsync();
// Rebuild the workflows' read models (charges, claims, accepted journals) and the exceptions book from the ledger.
await host.Services.GetRequiredService<WorkflowReadModels>().StartAsync();
await host.Services.GetRequiredService<ExceptionBook>().StartAsync();
// Start exporting the healthflow.* metrics (none when Application Insights is not configured, e.g. under func start).
host.Services.GetService<MeterProvider>();
await host.RunAsync();
