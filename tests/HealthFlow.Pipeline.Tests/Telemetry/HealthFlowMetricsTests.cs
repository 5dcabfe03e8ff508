using System.Diagnostics.Metrics;
using HealthFlow.Ledger;
using HealthFlow.Ledger.Storage;
using HealthFlow.Pipeline.Bus;
using HealthFlow.Pipeline.Telemetry;
using HealthFlow.Pipeline.Tests.Support;
using HealthFlow.Pipeline.Workflows;
using Microsoft.Extensions.DependencyInjection;

namespace HealthFlow.Pipeline.Tests.Telemetry;

/// <summary>The metrics the Azure Monitor alert rules read, measured through a listener on this container's meter only.</summary>
public sealed class HealthFlowMetricsTests : IAsyncLifetime, IDisposable
{
    private readonly string _folder = RuntimeHost.NewFolder();
    private FileBlobStore _store = null!;
    private BlobLedger _ledger = null!;
    private EmbeddedTopicBus _bus = null!;
    private ServiceProvider _services = null!;
    private readonly List<(string Instrument, double Value, string? Cause)> _measured = [];
    private readonly MeterListener _listener = new();

    public async Task InitializeAsync()
    {
        _store = FileBlobStore.OpenWritable(_folder);
        _ledger = await BlobLedger.OpenAsync(_store);
        _bus = await EmbeddedTopicBus.OpenAsync(_ledger, BusTopology.LoadEmbedded());
        _services = new ServiceCollection()
            .AddSingleton<ILedger>(_ledger)
            .AddSingleton<ITopicBus>(_bus)
            .AddSingleton(TimeProvider.System)
            .AddSingleton<ExceptionBook>()
            .AddHealthFlowMetrics()
            .BuildServiceProvider();
        var factory = _services.GetRequiredService<IMeterFactory>();
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument.Meter.Scope, factory) && instrument.Meter.Name == HealthFlowMetrics.MeterName)
                listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<int>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.Start();
    }

    public void Dispose() => _listener.Dispose();

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        await _bus.DisposeAsync();
        await _ledger.DisposeAsync();
        _store.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task The_open_exceptions_gauge_reports_the_workbench_backlog()
    {
        var metrics = _services.GetRequiredService<HealthFlowMetrics>();
        var book = _services.GetRequiredService<ExceptionBook>();
        await book.PublishAsync(Exception("EX-1"), CancellationToken.None);
        await book.PublishAsync(Exception("EX-2"), CancellationToken.None);
        await book.ResolveAsync("EX-1", CancellationToken.None);

        _listener.RecordObservableInstruments();

        Assert.NotNull(metrics);
        Assert.Equal([(HealthFlowMetrics.ExceptionsOpen, 1d, (string?)null)], _measured);
    }

    [Fact]
    public void Reconciliation_breaks_are_counted_by_cause()
    {
        _services.GetRequiredService<HealthFlowMetrics>().RecordBreaks(["unposted", "amount-mismatch", "unposted"]);

        Assert.Equal(
            [(HealthFlowMetrics.ReconciliationBreaks, 2d, "unposted"), (HealthFlowMetrics.ReconciliationBreaks, 1d, "amount-mismatch")],
            _measured);
    }

    [Fact]
    public void Posting_lag_is_recorded_in_seconds()
    {
        _services.GetRequiredService<HealthFlowMetrics>().RecordPostingLag(TimeSpan.FromMinutes(3));

        Assert.Equal([(HealthFlowMetrics.PostingLag, 180d, (string?)null)], _measured);
    }

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        string? cause = null;
        foreach (var tag in tags)
        {
            if (tag.Key == "cause")
                cause = tag.Value as string;
        }
        lock (_measured)
            _measured.Add((instrument.Name, value, cause));
    }

    private static WorkflowException Exception(string id) => new()
    {
        Id = id, Reason = "unmapped-payer", Kind = "remittance", Reference = "835/T1", Blocking = true,
        CorrelationId = "c1", InstanceId = "remit:ACME:T1", Action = "map the payer",
    };
}
