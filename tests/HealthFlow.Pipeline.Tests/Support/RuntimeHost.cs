using System.Net.Http.Headers;
using HealthFlow.Finance.Events;
using HealthFlow.Ledger;
using HealthFlow.Pipeline.Bus;
using HealthFlow.Pipeline.Runtime;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace HealthFlow.Pipeline.Tests.Support;

/// <summary>
/// A real local runtime (Kestrel on a free loopback port, file ledger in a temporary folder) with two vendors,
/// for tests that go through HTTP like a vendor does. Restartable on the same folder.
/// </summary>
public sealed class RuntimeHost : IAsyncDisposable
{
    public const string AcmeKey = "acme-test-key-0123456789";
    public const string BetaKey = "beta-test-key-9876543210";
    public const string AdminKey = "admin-test-key-5555";

    private readonly Dictionary<string, string?> _settings;
    private readonly ILoggerProvider? _logs;

    private RuntimeHost(string folder, IDictionary<string, string?>? extra, ILoggerProvider? logs)
    {
        Folder = folder;
        _logs = logs;
        _settings = new Dictionary<string, string?>
        {
            ["HealthFlow:Data"] = folder,
            ["HealthFlow:Urls"] = "http://127.0.0.1:0",
            ["HealthFlow:MaxBodyBytes"] = (1024 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Vendors:acme:Key"] = AcmeKey,
            ["Vendors:beta:Key"] = BetaKey,
            ["Admin:Key"] = AdminKey,
        };
        foreach (var (key, value) in extra ?? new Dictionary<string, string?>())
            _settings[key] = value;
    }

    public string Folder { get; }

    public LocalRuntime Runtime { get; private set; } = null!;

    public static string NewFolder() => Path.Combine(Path.GetTempPath(), "healthflow-tests", Guid.NewGuid().ToString("N"));

    /// <summary>Starts a runtime; <paramref name="logs"/>, when given, receives its log entries (as the console does).</summary>
    public static async Task<RuntimeHost> StartAsync(IDictionary<string, string?>? settings = null, string? folder = null, ILoggerProvider? logs = null)
    {
        folder ??= NewFolder();
        var host = new RuntimeHost(folder, settings, logs);
        await host.StartRuntimeAsync();
        return host;
    }

    /// <summary>Stops the runtime and starts a new one on the same data folder, with <paramref name="changes"/> to its settings.</summary>
    public async Task RestartAsync(IDictionary<string, string?>? changes = null)
    {
        await Runtime.DisposeAsync();
        foreach (var (key, value) in changes ?? new Dictionary<string, string?>())
            _settings[key] = value;
        await StartRuntimeAsync();
    }

    /// <summary>Every topic record (canonical events and the workflows' own messages) that descends from a receipt.</summary>
    public async Task<List<LedgerRecord>> TopicRecordsAsync(string receiptId) =>
        await Runtime.Ledger.ReadCorrelationAsync(receiptId).Where(r => r.Stream.StartsWith("topic/", StringComparison.Ordinal)).ToListAsync();

    /// <summary>The canonical events a receipt published, on <paramref name="topic"/> or on any event topic.</summary>
    public async Task<List<(CanonicalEvent Event, LedgerRecord Record)>> EventsAsync(string receiptId, string? topic = null) =>
        [.. (await TopicRecordsAsync(receiptId))
            .Where(r => topic is null ? EventTopics.Contains(r.Stream) : r.Stream == "topic/" + topic)
            .Select(r => (EventJson.Deserialize(BusEnvelope.Body(r).Span), r))];

    private static readonly string[] EventTopics = ["topic/encounters", "topic/charges", "topic/claims", "topic/remittances"];

    public HttpClient Client(string? key = AcmeKey)
    {
        var client = new HttpClient { BaseAddress = Runtime.Address };
        if (key is not null)
            client.DefaultRequestHeaders.Add("x-functions-key", key);
        return client;
    }

    public static ByteArrayContent Body(byte[] bytes, string contentType)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        return content;
    }

    public async ValueTask DisposeAsync()
    {
        await Runtime.DisposeAsync();
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private async Task StartRuntimeAsync()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(_settings).Build();
        Runtime = await LocalRuntime.StartAsync(configuration, _logs);
    }
}
