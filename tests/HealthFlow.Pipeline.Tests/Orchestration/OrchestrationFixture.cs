using HealthFlow.Ledger;
using HealthFlow.Ledger.Storage;
using HealthFlow.Pipeline.Bus;
using HealthFlow.Pipeline.Orchestration;
using HealthFlow.Pipeline.Tests.Bus;
using HealthFlow.Tests.Shared;

namespace HealthFlow.Pipeline.Tests.Orchestration;

/// <summary>
/// The embedded engine on real parts: a <see cref="BlobLedger"/> over <see cref="FileBlobStore"/> in a temporary folder,
/// and a manual clock for orchestration time (the ledger keeps real time).
/// <see cref="RestartAsync"/> disposes everything and opens it again on the same folder, optionally with other code
/// (<see cref="Register"/>): what a deployment or a restart does. <see cref="CrashAsync"/> cuts the store off first,
/// like a killed process: nothing written after that point reaches the disk.
/// </summary>
internal sealed class OrchestrationFixture : IAsyncDisposable
{
    private readonly EmbeddedOrchestrationOptions _engineOptions;

    private OrchestrationFixture(string folder, Action<OrchestrationRegistry, SampleEffects> register, EmbeddedOrchestrationOptions engineOptions)
    {
        Folder = folder;
        Register = register;
        _engineOptions = engineOptions;
    }

    public string Folder { get; }
    public ManualClock Clock { get; } = new();
    public SampleEffects Effects { get; } = new();
    public Action<OrchestrationRegistry, SampleEffects> Register { get; set; }
    public KillableBlobStore Store { get; private set; } = null!;
    public BlobLedger Ledger { get; private set; } = null!;
    public EmbeddedOrchestrationEngine Engine { get; private set; } = null!;

    /// <summary>
    /// Opens a fixture in a new temporary folder; <paramref name="cachedOrchestrations"/> sets the engine's session cache
    /// and <paramref name="activityConcurrency"/> its activity workers (null: their defaults).
    /// </summary>
    public static async Task<OrchestrationFixture> StartAsync(Action<OrchestrationRegistry, SampleEffects>? register = null, int? cachedOrchestrations = null, int? activityConcurrency = null)
    {
        var folder = Path.Combine(Path.GetTempPath(), "healthflow-orch-" + Guid.NewGuid().ToString("N"));
        var defaults = new EmbeddedOrchestrationOptions();
        var engineOptions = new EmbeddedOrchestrationOptions
        {
            RetryDelay = TimeSpan.FromMilliseconds(100),
            CachedOrchestrations = cachedOrchestrations ?? defaults.CachedOrchestrations,
            ActivityConcurrency = activityConcurrency ?? defaults.ActivityConcurrency,
        };
        var fixture = new OrchestrationFixture(folder, register ?? SampleRegistrations.All, engineOptions);
        await fixture.OpenAsync();
        return fixture;
    }

    public async Task RestartAsync()
    {
        await CloseAsync();
        await OpenAsync();
    }

    /// <summary>Cuts the store off (every later write fails), abandons the running parts, and opens fresh ones.</summary>
    public async Task CrashAsync()
    {
        Store.Kill();
        try
        {
            await CloseAsync();
        }
        catch (Exception ex) when (ex is IOException or LedgerBrokenException or AggregateException or InvalidOperationException)
        {
            // A dead process finishes nothing.
        }
        await OpenAsync();
    }

    public async Task<OrchestrationMetadata> WaitAsync(string instanceId, int seconds = 20)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        return await Engine.WaitForInstanceCompletionAsync(instanceId, timeout.Token);
    }

    /// <summary>Waits until the instance's history holds an event of <paramref name="type"/> (at least <paramref name="count"/>).</summary>
    public Task UntilHistoryAsync(string instanceId, HistoryEventType type, int count = 1) =>
        Poll.UntilAsync(async () => (await Engine.GetHistoryAsync(instanceId))?.Count(e => e.Type == type) >= count, $"{count} {type} in {instanceId}");

    public async Task<IReadOnlyList<HistoryEvent>> HistoryAsync(string instanceId) =>
        await Engine.GetHistoryAsync(instanceId) ?? throw new InvalidOperationException($"no instance {instanceId}");

    public async ValueTask DisposeAsync()
    {
        Effects.ReleaseAll();
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
        Store = new KillableBlobStore(FileBlobStore.OpenWritable(Folder));
        Ledger = await BlobLedger.OpenAsync(Store);
        var registry = new OrchestrationRegistry();
        Register(registry, Effects);
        Engine = await EmbeddedOrchestrationEngine.OpenAsync(Ledger, registry, _engineOptions, Clock);
        await Engine.StartAsync();
    }

    private async Task CloseAsync()
    {
        if (Engine is null)
            return;
        var (engine, ledger, store) = (Engine, Ledger, Store);
        Engine = null!;
        try
        {
            await engine.DisposeAsync();
            await ledger.DisposeAsync();
        }
        finally
        {
            store.Dispose();
        }
    }
}

/// <summary>A file store that can be cut off: after <see cref="Kill"/>, every write throws, as if the process had died.</summary>
internal sealed class KillableBlobStore(FileBlobStore inner) : IBlobStore, IDisposable
{
    private volatile bool _killed;
    private int _appends;

    /// <summary>Appends that reached the store.</summary>
    public int Appends => Volatile.Read(ref _appends);

    /// <summary>When set, the store dies on the append after this many.</summary>
    public int? KillAfterAppends { get; set; }

    public bool Killed => _killed;

    public void Kill() => _killed = true;

    public Task<AppendResult> AppendAsync(string name, long expectedOffset, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        if (KillAfterAppends is { } limit && Appends >= limit)
            _killed = true;
        Alive();
        Interlocked.Increment(ref _appends);
        return inner.AppendAsync(name, expectedOffset, data, cancellationToken);
    }

    public Task<bool> CreateIfAbsentAsync(string name, CancellationToken cancellationToken = default)
    {
        Alive();
        return inner.CreateIfAbsentAsync(name, cancellationToken);
    }

    public Task<int> ReadAsync(string name, long offset, Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReadAsync(name, offset, buffer, cancellationToken);
    public Task<BlobInfo?> GetInfoAsync(string name, CancellationToken cancellationToken = default) => inner.GetInfoAsync(name, cancellationToken);
    public IAsyncEnumerable<BlobInfo> ListAsync(string prefix, CancellationToken cancellationToken = default) => inner.ListAsync(prefix, cancellationToken);
    public Task<BlobContent?> GetAsync(string name, CancellationToken cancellationToken = default) => inner.GetAsync(name, cancellationToken);

    public Task<PutResult> PutAsync(string name, ReadOnlyMemory<byte> data, string? ifMatch, CancellationToken cancellationToken = default)
    {
        Alive();
        return inner.PutAsync(name, data, ifMatch, cancellationToken);
    }

    public Task<DeleteStatus> DeleteAsync(string name, string? ifMatch = null, CancellationToken cancellationToken = default)
    {
        Alive();
        return inner.DeleteAsync(name, ifMatch, cancellationToken);
    }

    public void Dispose() => inner.Dispose();

    private void Alive()
    {
        if (_killed)
            throw new IOException("The process is dead (simulated crash).");
    }
}
