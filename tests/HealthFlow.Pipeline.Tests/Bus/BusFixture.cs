using System.Text;
using HealthFlow.Ledger;
using HealthFlow.Ledger.Storage;
using HealthFlow.Pipeline.Bus;

namespace HealthFlow.Pipeline.Tests.Bus;

/// <summary>
/// A real bus on a real <see cref="BlobLedger"/> over <see cref="FileBlobStore"/> in a temporary folder, with a manual
/// clock. <see cref="RestartAsync"/> disposes bus, ledger and store and opens them again on the same folder.
/// </summary>
internal sealed class BusFixture : IAsyncDisposable
{
    public const string Orders = "orders";
    public const string Worker = "worker";
    public const string Audit = "audit";
    public const string Visits = "visits";
    public const string Billing = "billing";

    /// <summary>orders: worker (3 deliveries, 30 s lock) and audit; visits: billing, with sessions.</summary>
    public static BusTopology TestTopology { get; } = BusTopology.Create(
    [
        new TopicDefinition(Orders,
        [
            new SubscriptionDefinition(Worker, MaxDeliveryCount: 3, LockDuration: TimeSpan.FromSeconds(30), RequiresSession: false),
            new SubscriptionDefinition(Audit, MaxDeliveryCount: 10, LockDuration: TimeSpan.FromMinutes(1), RequiresSession: false),
        ]),
        new TopicDefinition(Visits,
        [
            new SubscriptionDefinition(Billing, MaxDeliveryCount: 5, LockDuration: TimeSpan.FromSeconds(30), RequiresSession: true),
        ]),
    ]);

    private readonly EmbeddedBusOptions _options;
    private readonly bool _checkpoints;

    private BusFixture(string folder, EmbeddedBusOptions options, bool checkpoints)
    {
        Folder = folder;
        _options = options;
        _checkpoints = checkpoints;
    }

    public string Folder { get; }
    public ManualClock Clock { get; } = new();
    public CountingBlobStore Store { get; private set; } = null!;
    public BlobLedger Ledger { get; private set; } = null!;
    public EmbeddedTopicBus Bus { get; private set; } = null!;

    /// <summary>The topology the next open uses; a test can change it before <see cref="RestartAsync"/>.</summary>
    public BusTopology Topology { get; set; } = TestTopology;

    public static async Task<BusFixture> StartAsync(EmbeddedBusOptions? options = null, bool checkpoints = false)
    {
        var folder = Path.Combine(Path.GetTempPath(), "healthflow-bus-" + Guid.NewGuid().ToString("N"));
        var fixture = new BusFixture(folder, options ?? new EmbeddedBusOptions(), checkpoints);
        await fixture.OpenAsync();
        return fixture;
    }

    public async Task RestartAsync()
    {
        await CloseAsync();
        await OpenAsync();
    }

    public static BusMessage Message(string id, string body = "{}", string session = "", DateTimeOffset? scheduledFor = null) =>
        new(id, "OrderPlaced", Encoding.UTF8.GetBytes(body), session, CorrelationId: "receipt-" + id, CausationId: "cause-" + id, ScheduledFor: scheduledFor);

    public ValueTask<IReadOnlyList<BusDelivery>> ReceiveNowAsync(string topic = Orders, string subscription = Worker, int max = 100) =>
        Bus.ReceiveAsync(topic, subscription, max, TimeSpan.Zero);

    public async Task<List<LedgerRecord>> StreamAsync(string stream)
    {
        var records = new List<LedgerRecord>();
        await foreach (var record in Ledger.ReadStreamAsync(stream))
            records.Add(record);
        return records;
    }

    public async ValueTask DisposeAsync()
    {
        await CloseAsync();
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temporary folder is harmless.
        }
    }

    private async Task OpenAsync()
    {
        Store = new CountingBlobStore(FileBlobStore.OpenWritable(Folder));
        Ledger = await BlobLedger.OpenAsync(Store, clock: Clock);
        var options = _checkpoints
            ? new EmbeddedBusOptions
            {
                BacklogMaxPerSubscription = _options.BacklogMaxPerSubscription,
                PublishWaitMax = _options.PublishWaitMax,
                LockedMaxPerSubscription = _options.LockedMaxPerSubscription,
                CheckpointEveryRecords = _options.CheckpointEveryRecords,
                CheckpointStore = Store,
            }
            : _options;
        Bus = await EmbeddedTopicBus.OpenAsync(Ledger, Topology, options, Clock);
    }

    private async Task CloseAsync()
    {
        if (Bus is null)
            return;
        await Bus.DisposeAsync();
        await Ledger.DisposeAsync();
        Store.Dispose();
        Bus = null!;
    }
}

/// <summary>A blob store that counts appends, to prove a batch is one commit.</summary>
internal sealed class CountingBlobStore(FileBlobStore inner) : IBlobStore, IDisposable
{
    private int _appends;

    public int Appends => Volatile.Read(ref _appends);

    public Task<AppendResult> AppendAsync(string name, long expectedOffset, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _appends);
        return inner.AppendAsync(name, expectedOffset, data, cancellationToken);
    }

    public Task<bool> CreateIfAbsentAsync(string name, CancellationToken cancellationToken = default) => inner.CreateIfAbsentAsync(name, cancellationToken);
    public Task<int> ReadAsync(string name, long offset, Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReadAsync(name, offset, buffer, cancellationToken);
    public Task<BlobInfo?> GetInfoAsync(string name, CancellationToken cancellationToken = default) => inner.GetInfoAsync(name, cancellationToken);
    public IAsyncEnumerable<BlobInfo> ListAsync(string prefix, CancellationToken cancellationToken = default) => inner.ListAsync(prefix, cancellationToken);
    public Task<BlobContent?> GetAsync(string name, CancellationToken cancellationToken = default) => inner.GetAsync(name, cancellationToken);
    public Task<PutResult> PutAsync(string name, ReadOnlyMemory<byte> data, string? ifMatch, CancellationToken cancellationToken = default) => inner.PutAsync(name, data, ifMatch, cancellationToken);
    public Task<DeleteStatus> DeleteAsync(string name, string? ifMatch = null, CancellationToken cancellationToken = default) => inner.DeleteAsync(name, ifMatch, cancellationToken);
    public void Dispose() => inner.Dispose();
}
