using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace HealthFlow.Pipeline.Telemetry;

/// <summary>Registers <see cref="HealthFlowMetrics"/> and, in the local runtime, its optional OTLP export.</summary>
public static class TelemetryRegistration
{
    /// <summary>The metrics and the meter factory they are created with (one per container, so tests can tell runtimes apart).</summary>
    public static IServiceCollection AddHealthFlowMetrics(this IServiceCollection services)
    {
        services.AddMetrics();
        services.AddSingleton<HealthFlowMetrics>();
        return services;
    }

    /// <summary>The local runtime's <see cref="OtlpMetricsExport"/>; resolve it at start.</summary>
    public static IServiceCollection AddOtlpMetricsExport(this IServiceCollection services, IConfiguration configuration) =>
        services.AddSingleton(provider => new OtlpMetricsExport(configuration, provider.GetRequiredService<HealthFlowMetrics>()));
}

/// <summary>
/// Exports the HealthFlow meter over OTLP to <c>Telemetry:OtlpEndpoint</c> (an OpenTelemetry Collector, Prometheus,
/// Grafana, Aspire...), or nothing when it is not set. Disposed, with its last export, by the container.
/// </summary>
public sealed class OtlpMetricsExport : IDisposable
{
    private readonly MeterProvider? _provider;

    public OtlpMetricsExport(IConfiguration configuration, HealthFlowMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(metrics); // taken so that its instruments exist before the export starts
        if (configuration["Telemetry:OtlpEndpoint"] is { Length: > 0 } endpoint)
        {
            _provider = Sdk.CreateMeterProviderBuilder()
                .AddMeter(HealthFlowMetrics.MeterName)
                .AddOtlpExporter(options => options.Endpoint = new Uri(endpoint))
                .Build();
        }
    }

    public bool Enabled => _provider is not null;

    public void Dispose() => _provider?.Dispose();
}
