using System.Text.Json;
using HealthFlow.Finance;
using HealthFlow.Finance.Events;
using HealthFlow.Finance.Mapping;
using HealthFlow.Ledger;
using HealthFlow.Ledger.Storage;
using HealthFlow.Pipeline.Bus;
using HealthFlow.Pipeline.Erp;
using HealthFlow.Pipeline.Orchestration;
using HealthFlow.Pipeline.Runtime;
using HealthFlow.Pipeline.Security;
using HealthFlow.Pipeline.Tests.Orchestration;
using HealthFlow.Pipeline.Workflows;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using HealthFlow.Tests.Shared;

namespace HealthFlow.Pipeline.Tests.Workflows;

/// <summary>
/// The workflows on real parts, as the local runtime wires them: file ledger in a temporary folder, embedded bus with the
/// repository's topology, the embedded engine (real clock), the file ERP gateway writing <c>erp/journals.jsonl</c>, the
/// routers on their subscriptions, and master data in an editable folder (a copy of the embedded sample).
/// <see cref="RestartAsync"/> closes everything and opens it again on the same folder; <see cref="CrashAsync"/> cuts the
/// store off first, like a killed process. Extra settings (another ERP gateway) and a clock for the engine, the
/// activities, the ERP gateway and the ledger's record times (the bus keeps real time for its locks) can be given at start.
/// </summary>
internal sealed class WorkflowFixture : IAsyncDisposable
{
    public const string AdminKey = "admin-workflows-key-0001";
    private static readonly byte[] TokenKey = [.. Enumerable.Range(1, 32).Select(i => (byte)i)];

    private readonly IReadOnlyDictionary<string, string?> _settings;
    private ServiceProvider? _services;

    private WorkflowFixture(string folder, WorkflowOptions options, IReadOnlyDictionary<string, string?>? settings, TimeProvider? clock)
    {
        Folder = folder;
        Options = options;
        _settings = settings ?? new Dictionary<string, string?>();
        Clock = clock ?? TimeProvider.System;
    }

    public string Folder { get; }
    public WorkflowOptions Options { get; }
    public string MasterDataFolder => Path.Combine(Folder, "masterdata");
    public string JournalsFile => Path.Combine(Folder, "erp", "journals.jsonl");
    public TimeProvider Clock { get; }
    public KillableBlobStore Store { get; private set; } = null!;
    public BlobLedger Ledger { get; private set; } = null!;
    public EmbeddedTopicBus Bus { get; private set; } = null!;
    public EmbeddedOrchestrationEngine Engine { get; private set; } = null!;
    public IServiceProvider Services => _services!;
    public PatientTokenizer Tokenizer { get; } = new(TokenKey);

    public static async Task<WorkflowFixture> StartAsync(Func<string, string>? editDepartments = null, TimeSpan? slaPeriod = null, TimeSpan? quietPeriod = null,
        IReadOnlyDictionary<string, string?>? settings = null, TimeProvider? clock = null)
    {
        var folder = Path.Combine(Path.GetTempPath(), "healthflow-workflows-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path.Combine(folder, "masterdata"));
        foreach (var (name, text) in MasterData.EmbeddedFiles())
            await File.WriteAllTextAsync(Path.Combine(folder, "masterdata", name), name == "departments.json" && editDepartments is not null ? editDepartments(text) : text);
        var fixture = new WorkflowFixture(folder, new WorkflowOptions
        {
            QuietPeriod = quietPeriod ?? TimeSpan.FromMilliseconds(400),
            SlaPeriod = slaPeriod ?? TimeSpan.FromHours(1),
            MasterDataFolder = Path.Combine(folder, "masterdata"),
            RouterConcurrency = 4,
        }, settings, clock);
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

    public Task PublishAsync(CanonicalEvent @event) =>
        Bus.PublishAsync(@event.Topic, new BusMessage(@event.IdempotencyKey, @event.EventType, EventJson.Serialize(@event), @event.SessionKey, @event.CorrelationId, @event.CausationId)).AsTask();

    public async Task<OrchestrationMetadata> WaitAsync(string instanceId, int seconds = 60)
    {
        await Poll.UntilAsync(async () => await Engine.GetInstanceAsync(instanceId, false) is not null, $"instance {instanceId}", TimeSpan.FromSeconds(seconds));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        return await Engine.WaitForInstanceCompletionAsync(instanceId, timeout.Token);
    }

    /// <summary>The journals the file ERP received: one JSON object per line.</summary>
    public List<JsonElement> ErpJournals() =>
        File.Exists(JournalsFile)
            ? [.. File.ReadAllLines(JournalsFile).Where(l => l.Length > 0).Select(l => JsonDocument.Parse(l).RootElement.Clone())]
            : [];

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
        Store = new KillableBlobStore(FileBlobStore.OpenWritable(Folder));
        Ledger = await BlobLedger.OpenAsync(Store, clock: Clock);
        Bus = await EmbeddedTopicBus.OpenAsync(Ledger, BusTopology.LoadEmbedded());
        var registry = new OrchestrationRegistry().AddWorkflows();
        Engine = await OrchestrationRegistration.OpenEmbeddedAsync(Ledger, registry, null, Clock,
            new EmbeddedOrchestrationOptions { RetryDelay = TimeSpan.FromMilliseconds(100) });
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Admin:Key"] = AdminKey })
            .AddInMemoryCollection(_settings)
            .Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton(Clock);
        services.AddSingleton<ILedger>(Ledger);
        services.AddSingleton<ITopicBus>(Bus);
        services.AddSingleton(Tokenizer);
        services.AddSingleton(VendorDirectory.FromConfiguration(configuration));
        services.AddErpGateway(configuration, new DataFolder(Folder));
        services.AddEmbeddedOrchestrations(Engine);
        services.AddWorkflows(configuration, Options);
        _services = services.BuildServiceProvider();
        await WorkflowRegistration.LoadWorkflowReadModelsAsync(_services);
        await Engine.StartAsync(_services);
        await WorkflowRegistration.StartWorkflowsAsync(_services);
    }

    private async Task CloseAsync()
    {
        if (_services is not { } services)
            return;
        _services = null;
        try
        {
            await services.GetRequiredService<WorkflowHost>().DisposeAsync();
            await Engine.DisposeAsync();
            await services.DisposeAsync();
            await Bus.DisposeAsync();
            await Ledger.DisposeAsync();
        }
        finally
        {
            Store.Dispose();
        }
    }
}
