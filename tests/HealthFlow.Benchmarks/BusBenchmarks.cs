using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using HealthFlow.Ledger;
using HealthFlow.Ledger.Storage;
using HealthFlow.Pipeline.Bus;

namespace HealthFlow.Benchmarks;

/// <summary>
/// The embedded topic bus end to end on the file store with fsync on (every publish and every completion is a
/// durable ledger append, merged by group commit): publish → deliver → handler (no-op) → complete, one subscription,
/// one <see cref="BusProcessor"/> with 64 handler slots. Time per message (OperationsPerInvoke); messages/s = 1 s / mean.
/// <see cref="Shape"/> is publishers × messages per publish: <c>1x1</c> one publisher awaiting each publish (the
/// latency-bound worst case), <c>64x1</c> 64 concurrent single-message publishers (ingestion's shape), <c>1x100</c>
/// one publisher of 100-message batches (a transaction set's events; one commit per batch).
/// Run: <c>dotnet run -c Release --project tests/HealthFlow.Benchmarks -- --filter '*Bus*'</c>.
/// </summary>
[Config(typeof(InProcessConfig))]
public class BusBenchmarks
{
    /// <summary>
    /// In-process: the figure is bound by fsync and group commit, not by JIT or GC isolation, and building a separate
    /// boilerplate project per run timed out on the 2-core build machine while other projects were building.
    /// </summary>
    private sealed class InProcessConfig : ManualConfig
    {
        public InProcessConfig() =>
            AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance).WithLaunchCount(1).WithWarmupCount(1).WithIterationCount(5));
    }

    private const int MessageCount = 4000;
    private const string Topic = "bench";
    private const string Subscription = "subscriber";
    private static readonly byte[] Body = new byte[512];

    private string _folder = "";
    private FileBlobStore _store = null!;
    private BlobLedger _ledger = null!;
    private EmbeddedTopicBus _bus = null!;
    private int _round;

    [Params("1x1", "64x1", "1x100")]
    public string Shape { get; set; } = "1x1";

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _folder = Path.Combine(Path.GetTempPath(), "healthflow-bus-bench-" + Guid.NewGuid().ToString("N"));
        _store = FileBlobStore.OpenWritable(_folder);
        _ledger = await BlobLedger.OpenAsync(_store);
        var topology = BusTopology.Create([new TopicDefinition(Topic, [new SubscriptionDefinition(Subscription, 10, TimeSpan.FromMinutes(1), false)])]);
        _bus = await EmbeddedTopicBus.OpenAsync(_ledger, topology);
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        await _bus.DisposeAsync();
        await _ledger.DisposeAsync();
        _store.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    [Benchmark(OperationsPerInvoke = MessageCount)]
    public Task Publish_deliver_complete()
    {
        var parts = Shape.Split('x');
        var publishers = int.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture);
        var batch = int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
        return RunAsync(publishers, async (round, publisher) =>
        {
            for (var i = publisher * batch; i < MessageCount; i += publishers * batch)
            {
                if (batch == 1)
                    await _bus.PublishAsync(Topic, Message(round, i));
                else
                    await _bus.PublishBatchAsync(Topic, [.. Enumerable.Range(i, Math.Min(batch, MessageCount - i)).Select(n => Message(round, n))]);
            }
        });
    }

    private static BusMessage Message(int round, int n) => new($"r{round}-m{n}", "BenchmarkEvent", Body, CorrelationId: $"r{round}");

    private async Task RunAsync(int publishers, Func<int, int, Task> publish)
    {
        var round = Interlocked.Increment(ref _round);
        var handled = 0;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var stop = new CancellationTokenSource();
        var processor = new BusProcessor(_bus, Topic, Subscription, (_, _) =>
        {
            if (Interlocked.Increment(ref handled) == MessageCount)
                done.TrySetResult();
            return Task.CompletedTask;
        }, new BusProcessorOptions { MaxConcurrency = 64, AutoRenewLock = false });
        var running = processor.RunAsync(stop.Token);
        await Task.WhenAll(Enumerable.Range(0, publishers).Select(p => publish(round, p)));
        await done.Task;
        // Completions of the last messages are durable once the processor has drained.
        await stop.CancelAsync();
        await running;
        if (_bus.UnsettledCount(Topic, Subscription) != 0)
            throw new InvalidOperationException("Messages left unsettled.");
    }
}
