using System.Collections.Concurrent;
using System.Text;
using HealthFlow.Finance.Journals;
using HealthFlow.Ledger;
using HealthFlow.Ledger.Storage;
using HealthFlow.Pipeline.Erp;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace HealthFlow.Pipeline.Tests.Erp;

/// <summary>A real ledger on the file store in a temporary folder, restartable, and gateways built from settings over it.</summary>
internal sealed class ErpFixture : IAsyncDisposable
{
    private FileBlobStore? _store;
    private readonly List<ErpGateway> _gateways = [];

    private ErpFixture(string folder) => Folder = folder;

    public string Folder { get; }
    public string ErpFolder => Path.Combine(Folder, "erp");
    public BlobLedger Ledger { get; private set; } = null!;
    public InstantClock Clock { get; } = new();

    public static async Task<ErpFixture> StartAsync()
    {
        var fixture = new ErpFixture(Path.Combine(Path.GetTempPath(), "healthflow-erp-" + Guid.NewGuid().ToString("N")));
        await fixture.OpenAsync();
        return fixture;
    }

    /// <summary>A gateway from <paramref name="settings"/> (keys without the <c>Erp:</c> prefix), with tiny backoffs.</summary>
    public ErpGateway Gateway(IDictionary<string, string?>? settings = null, Azure.Core.TokenCredential? credential = null)
    {
        var all = new Dictionary<string, string?> { ["Erp:Retry:BaseDelayMilliseconds"] = "1", ["Erp:Retry:MaxDelaySeconds"] = "1", ["Erp:Retry:MaxAttempts"] = "4" };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
            all["Erp:" + key] = value;
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(all).Build();
        var gateway = ErpRegistration.Create(configuration, Folder, Ledger, Clock, LoggerFactory.Create(_ => { }), credential: credential);
        _gateways.Add(gateway);
        return gateway;
    }

    /// <summary>Closes ledger and store and opens them again on the same folder (what a process restart does).</summary>
    public async Task RestartAsync()
    {
        await CloseAsync();
        await OpenAsync();
    }

    public async Task<List<LedgerRecord>> PostedRecordsAsync()
    {
        var records = new List<LedgerRecord>();
        await foreach (var record in Ledger.ReadStreamAsync(ErpPostedRegister.Stream))
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
        }
    }

    private async Task OpenAsync()
    {
        _store = FileBlobStore.OpenWritable(Folder);
        Ledger = await BlobLedger.OpenAsync(_store, clock: Clock);
    }

    private async Task CloseAsync()
    {
        foreach (var gateway in _gateways)
            gateway.Dispose();
        _gateways.Clear();
        if (_store is null)
            return;
        await Ledger.DisposeAsync();
        _store.Dispose();
        _store = null;
    }
}

/// <summary>Sample journals (no PHI: accounts, master-data codes and amounts only).</summary>
internal static class SampleJournals
{
    public static Journal Cash(string id = "J-1", string legalEntity = "RHS-NORTH", decimal amount = 100.00m, string? memo = "EFT 835 TRN TRACE1") => new()
    {
        JournalId = id,
        IdempotencyKey = "remit:AETNA:TRACE1:" + id,
        LegalEntity = legalEntity,
        Currency = "USD",
        PostingDate = new DateOnly(2026, 11, 21),
        Kind = "cash",
        ReversalOf = null,
        Source = new JournalSource("rcpt-" + id, "corr-" + id),
        Lines =
        [
            new JournalLine("1120", amount, 0m, "N-PFS-RMC", "RMC", "AETNA", memo),
            new JournalLine("1210", 0m, amount, "N-PFS-RMC", "RMC", "AETNA", "claim payment"),
        ],
    };
}

/// <summary>A request as the loopback ERP saw it.</summary>
internal sealed record SeenRequest(string Method, string Path, string Query, IReadOnlyDictionary<string, string> Headers, byte[] Body)
{
    public string Text => Encoding.UTF8.GetString(Body);

    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;
}

/// <summary>What the loopback ERP answers.</summary>
internal sealed record Reply(int Status, string Body = "", string ContentType = "application/json", IReadOnlyDictionary<string, string>? Headers = null);

/// <summary>
/// An ERP on loopback: Kestrel on 127.0.0.1 port 0. Every request is recorded; <see cref="Respond"/> decides the answer
/// (set by each test to check the vendor's request shape and answer with its success shape, 429, 503 or 400).
/// </summary>
internal sealed class LoopbackErp : IAsyncDisposable
{
    private readonly WebApplication _app;

    private LoopbackErp(WebApplication app) => _app = app;

    public ConcurrentQueue<SeenRequest> Requests { get; } = new();

    public Func<SeenRequest, int, Reply> Respond { get; set; } = (_, _) => new Reply(200, "{}");

    public Uri Url => new(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/");

    public IReadOnlyList<SeenRequest> Seen => [.. Requests];

    public static async Task<LoopbackErp> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var erp = new LoopbackErp(app);
        app.Run(erp.HandleAsync);
        await app.StartAsync();
        return erp;
    }

    private async Task HandleAsync(HttpContext context)
    {
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body);
        var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        var seen = new SeenRequest(context.Request.Method, context.Request.Path.Value ?? "", Uri.UnescapeDataString(context.Request.QueryString.Value ?? ""), headers, body.ToArray());
        Requests.Enqueue(seen);
        var reply = Respond(seen, Requests.Count);
        context.Response.StatusCode = reply.Status;
        foreach (var (name, value) in reply.Headers ?? new Dictionary<string, string>())
            context.Response.Headers[name] = value;
        if (reply.Body.Length > 0)
        {
            context.Response.ContentType = reply.ContentType;
            await context.Response.WriteAsync(reply.Body);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>
/// A clock whose timers fire at once (on the thread pool) and move the clock by their due time, recording each wait:
/// retries with backoff or a Retry-After of minutes run instantly, and the test sees the waits asked for.
/// </summary>
internal sealed class InstantClock : TimeProvider
{
    private readonly Lock _gate = new();
    private DateTimeOffset _now = new(2026, 11, 21, 9, 0, 0, TimeSpan.Zero);

    public ConcurrentQueue<TimeSpan> Waits { get; } = new();

    public override DateTimeOffset GetUtcNow()
    {
        lock (_gate)
            return _now;
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) => new InstantTimer(this, callback, state, dueTime);

    private void Fire(TimerCallback callback, object? state, TimeSpan due)
    {
        Waits.Enqueue(due);
        lock (_gate)
            _now += due;
        ThreadPool.QueueUserWorkItem(_ => callback(state));
    }

    private sealed class InstantTimer : ITimer
    {
        private readonly InstantClock _clock;
        private readonly TimerCallback _callback;
        private readonly object? _state;

        public InstantTimer(InstantClock clock, TimerCallback callback, object? state, TimeSpan due)
        {
            _clock = clock;
            _callback = callback;
            _state = state;
            Change(due, Timeout.InfiniteTimeSpan);
        }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            if (dueTime != Timeout.InfiniteTimeSpan)
                _clock.Fire(_callback, _state, dueTime);
            return true;
        }

        public void Dispose()
        {
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
