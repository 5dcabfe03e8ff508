using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using HealthFlow.Fhir.Generation;
using HealthFlow.Hl7.Generation;
using HealthFlow.Pipeline.Erp;
using HealthFlow.Testing;
using HealthFlow.X12;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

// The soak (issue 9): bench/soak.sh [--seconds 600] [--kills 20] [--seed 1] [--dir PATH]
// Starts `healthflow serve` on loopback with a fresh data folder, drives a realistic mix from three vendors at once
// (837s and the 835s that pay them, with denials, reversals and PLB; HL7 v2 encounters; FHIR Bundles; re-sends and
// malformed messages), kills the server with SIGKILL at random moments and restarts it on the same folder, then checks
// from its own record of what got a 2xx receipt: every accepted message reached its final state (none lost); every
// journal reached the file ERP once (none duplicated) and the cash posted equals the cash the accepted 835s moved;
// `healthflow reconcile` finds no break on any business day; the ledger verifies; each malformed message got its
// standard answer. Prints one summary line; exit 0 when clean.
var seconds = Option("--seconds", 600);
var kills = Option("--kills", 20);
var seed = Option("--seed", 1);
var erpOutage = Option("--erp-outage", 0);
var folder = OptionText("--dir") ?? Path.Combine(Path.GetTempPath(), "healthflow-soak-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
Directory.CreateDirectory(folder);
Console.WriteLine($"HealthFlow soak: {seconds} s, {kills} SIGKILLs, seed {seed}, {Environment.ProcessorCount} cores, data in {folder}");

var record = new SoakRecord();
// With --erp-outage N the runtime posts to a webhook ERP this driver runs, which goes down for N seconds mid-run.
await using var erp = erpOutage > 0 ? await WebhookErp.StartAsync() : null;
await using var server = await Server.StartAsync(folder, erp?.Url);
var random = new Random(seed);
using (var stop = new CancellationTokenSource(TimeSpan.FromSeconds(seconds)))
{
    var senders = new[]
    {
        SendAllAsync(server, Vendors.X12("clearinghouse", seed, random.Next()), record, stop.Token),
        SendAllAsync(server, Vendors.X12("payer-gateway", seed + 1, random.Next()), record, stop.Token),
        SendAllAsync(server, Vendors.Hl7("hospital", seed, random.Next()), record, stop.Token),
        SendAllAsync(server, Vendors.Fhir("ehr", seed, random.Next()), record, stop.Token),
    };
    var killer = KillAtRandomAsync(server, kills, seconds, new Random(seed * 7919), record, stop.Token);
    var outage = erp is null ? Task.CompletedTask : erp.OutageAsync(TimeSpan.FromSeconds(seconds / 4.0), TimeSpan.FromSeconds(erpOutage));
    await Task.WhenAll([.. senders, killer, outage]);
}
Console.WriteLine($"sent: {record.Summary}; settling");

var settled = await Checks.SettleAsync(server, record);
await server.KillAsync();
var journals = erp is null ? Checks.Journals(folder) : erp.Journals();
var verify = await HealthFlowProcess.RunAsync(["ledger", "verify", "--data", folder]);
var reconciliation = await Checks.ReconcileAsync(folder, erp is null ? null : new Dictionary<string, string> { ["Erp:Gateway"] = "webhook" });
var cashTies = journals.CashPosted == record.CashRemittedCents / 100m;
var breaks = reconciliation.Breaks + (cashTies ? 0 : 1);
var malformedUnanswered = record.Malformed.Count(m => !m.Answered);
var clean = settled.Lost == 0 && journals.Duplicated == 0 && breaks == 0 && verify.ExitCode == 0 && malformedUnanswered == 0;
if (erp is not null)
    Console.WriteLine($"webhook ERP: down for {erpOutage} s from {seconds / 4} s into the run; {erp.Redelivered} redeliveries of an acknowledged key (deduplicated)");
Console.WriteLine($"cash: posted {journals.CashPosted:N2}, remitted by accepted 835s {record.CashRemittedCents / 100m:N2}; ledger verify: {verify.Output.Trim()}");
Console.WriteLine($"reconciliation (healthflow reconcile, every business day): {reconciliation.Summary}");
foreach (var problem in settled.Problems.Take(20))
    Console.WriteLine($"  problem: {problem}");
// What broke, so that a failed run on a machine that keeps nothing still says: the breaks as finance sees them
// (references are tokens) and the workflows' exceptions by reason.
if (reconciliation.Breaks > 0)
{
    foreach (var row in Checks.BreakRows(folder).Take(20))
        Console.WriteLine($"  break: {row}");
    Console.WriteLine($"  exceptions: {await Checks.ExceptionReasonsAsync(folder)}");
}
Console.WriteLine($"SOAK accepted={record.Accepted.Count} posted={journals.Posted} lost={settled.Lost} duplicated={journals.Duplicated} " +
    $"kills={record.KillsSurvived}/{kills} breaks={breaks} " +
    $"malformed-answered={record.Malformed.Count - malformedUnanswered}/{record.Malformed.Count} ledger={(verify.ExitCode == 0 ? "ok" : "BROKEN")} => {(clean ? "PASS" : "FAIL")}");
if (clean && OptionText("--dir") is null)
    Directory.Delete(folder, recursive: true);
else
    erp?.Save(Path.Combine(folder, "webhook-erp.jsonl"));
return clean ? 0 : 1;

static async Task SendAllAsync(Server server, IEnumerable<WorkItem> items, SoakRecord record, CancellationToken stop)
{
    foreach (var item in items)
    {
        if (stop.IsCancellationRequested)
            return;
        // Once started, an item is sent until the server answers, across kills: the record must know its fate.
        var answer = await server.PostAsync(item);
        record.Add(item, answer);
    }
}

static async Task KillAtRandomAsync(Server server, int kills, int seconds, Random random, SoakRecord record, CancellationToken stop)
{
    // Kill i lands at a random moment of the i-th of kills + 1 equal slots, so all of them land before the end.
    var slot = TimeSpan.FromSeconds((double)seconds / (kills + 1));
    var clock = Stopwatch.StartNew();
    for (var i = 0; i < kills && !stop.IsCancellationRequested; i++)
    {
        try
        {
            var due = slot * (i + 0.5 + random.NextDouble());
            if (due > clock.Elapsed)
                await Task.Delay(due - clock.Elapsed, stop);
        }
        catch (OperationCanceledException)
        {
            return;
        }
        await server.KillAsync();
        await server.RestartAsync();
        record.KillsSurvived++;
    }
}

static int Option(string name, int fallback) => OptionText(name) is { } text ? int.Parse(text, CultureInfo.InvariantCulture) : fallback;

static string? OptionText(string name)
{
    var args = Environment.GetCommandLineArgs();
    var index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
}

/// <summary>One POST a vendor makes. <see cref="CashCents"/>: BPR02 total when it is an 835.</summary>
internal sealed record WorkItem(string Vendor, string Path, string MediaType, byte[] Body, bool Malformed, long CashCents = 0)
{
    public string Sha256 { get; } = Convert.ToHexStringLower(SHA256.HashData(Body));
}

/// <summary>What the server answered: status, receipt id (x-receipt-id) and body.</summary>
internal sealed record Answer(HttpStatusCode Status, string? ReceiptId, string Body);

/// <summary>The driver's own record of what it sent and what the server promised.</summary>
internal sealed class SoakRecord
{
    private readonly ConcurrentDictionary<string, long> _cashBySha = new(StringComparer.Ordinal);

    public ConcurrentDictionary<string, string> Accepted { get; } = new(StringComparer.Ordinal); // receipt id → vendor

    public ConcurrentBag<(WorkItem Item, bool Answered)> Malformed { get; } = [];

    public int Sent;
    public int Duplicates;
    public int KillsSurvived;

    public long CashRemittedCents => _cashBySha.Values.Sum();

    public string Summary => $"{Sent} posts, {Accepted.Count} receipts, {Duplicates} re-sends answered with the original, {Malformed.Count} malformed";

    public void Add(WorkItem item, Answer answer)
    {
        Interlocked.Increment(ref Sent);
        if (item.Malformed)
        {
            // The standard answer: a 4xx or a rejected receipt, carrying a 999/TA1, an HL7 ACK or an OperationOutcome.
            var answered = (int)answer.Status is >= 200 and < 500
                && (answer.Body.Contains("OperationOutcome", StringComparison.Ordinal) || answer.Body.Contains("ISA", StringComparison.Ordinal)
                    || answer.Body.Contains("MSA", StringComparison.Ordinal) || answer.Body.Contains("\"status\"", StringComparison.Ordinal));
            Malformed.Add((item, answered));
        }
        if (answer.ReceiptId is not { } receipt || (int)answer.Status is < 200 or >= 300)
            return;
        if (!Accepted.TryAdd(receipt, item.Vendor))
            Interlocked.Increment(ref Duplicates);
        if (item.CashCents != 0)
            _cashBySha.TryAdd(item.Sha256, item.CashCents);
    }
}

/// <summary>The vendors' traffic: endless, seeded sequences of posts.</summary>
internal static class Vendors
{
    public static IEnumerable<WorkItem> X12(string vendor, int seed, int mixSeed)
    {
        var generator = new X12Generator(seed);
        var mix = new Random(mixSeed);
        WorkItem? last = null;
        for (var round = 1; ; round++)
        {
            using var claims = new MemoryStream();
            var billed = generator.Write837(claims, round % 2 == 0 ? ClaimKind.Professional : ClaimKind.Institutional, 40).Claims;
            var claimBatch = new WorkItem(vendor, "api/x12", "application/edi-x12", claims.ToArray(), false);
            yield return last = claimBatch;
            using var payments = new MemoryStream();
            var paid = generator.Write835For(payments, billed);
            yield return last = new WorkItem(vendor, "api/x12", "application/edi-x12", payments.ToArray(), false, paid.PaymentCents);
            if (round % 3 == 0)
            {
                using var corrections = new MemoryStream();
                var corrected = generator.Write835Corrections(corrections);
                if (corrected.Claims > 0)
                    yield return last = new WorkItem(vendor, "api/x12", "application/edi-x12", corrections.ToArray(), false, corrected.PaymentCents);
            }
            if (mix.Next(5) == 0)
                yield return last with { };
            // Broken claim batches only: a broken 835 that still carried whole transaction sets would move cash.
            if (mix.Next(8) == 0)
                yield return new WorkItem(vendor, "api/x12", "application/edi-x12", Truncated(claimBatch.Body, mix), true);
        }
    }

    public static IEnumerable<WorkItem> Hl7(string vendor, int seed, int mixSeed)
    {
        var generator = new Hl7Generator(seed);
        var mix = new Random(mixSeed);
        while (true)
        {
            foreach (var message in generator.NextEncounter())
                yield return new WorkItem(vendor, "api/hl7v2", "x-application/hl7-v2+er7", message.ToBytes(), false);
            if (mix.Next(10) == 0)
                yield return new WorkItem(vendor, "api/hl7v2", "x-application/hl7-v2+er7", "MSH|^~\\&|BROKEN"u8.ToArray(), true);
        }
    }

    public static IEnumerable<WorkItem> Fhir(string vendor, int seed, int mixSeed)
    {
        var generator = new FhirGenerator(seed);
        var mix = new Random(mixSeed);
        while (true)
        {
            var bundle = new WorkItem(vendor, "api/fhir", "application/fhir+json", generator.Bundle(2), false);
            yield return bundle;
            if (mix.Next(5) == 0)
                yield return bundle with { };
            if (mix.Next(8) == 0)
                yield return new WorkItem(vendor, "api/fhir", "application/fhir+json", Truncated(bundle.Body, mix), true);
        }
    }

    /// <summary>A copy cut short at a random point past the first tenth: the shape of a broken upload.</summary>
    private static byte[] Truncated(byte[] body, Random mix) => body[..(body.Length / 10 + mix.Next(Math.Max(1, body.Length * 8 / 10)))];
}

/// <summary><c>healthflow serve</c> as a child process that can be killed and restarted on the same data folder.</summary>
internal sealed class Server : IAsyncDisposable
{
    public const string AdminKey = "soak-admin-key";
    private static readonly string[] VendorNames = ["clearinghouse", "payer-gateway", "hospital", "ehr"];
    private readonly string _folder;
    private readonly HttpClient _http = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromSeconds(5) }) { Timeout = TimeSpan.FromSeconds(60) };
    private Process? _process;
    private volatile TaskCompletionSource<Uri> _address = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private readonly Uri? _erp;

    private Server(string folder, Uri? erp) => (_folder, _erp) = (folder, erp);

    public static string KeyOf(string vendor) => $"soak-{vendor}-key";

    public static async Task<Server> StartAsync(string folder, Uri? webhookErp)
    {
        var server = new Server(folder, webhookErp);
        await server.RestartAsync();
        return server;
    }

    public Task<Uri> AddressAsync() => _address.Task;

    public async Task RestartAsync()
    {
        var settings = new Dictionary<string, string>
        {
            ["Admin:Key"] = AdminKey,
            ["Logging:LogLevel:Default"] = "Warning",
            ["Workflows:QuietPeriodSeconds"] = "1",
        };
        foreach (var vendor in VendorNames)
            settings[$"Vendors:{vendor}:Key"] = KeyOf(vendor);
        if (_erp is not null)
        {
            settings["Erp:Gateway"] = "webhook";
            settings["Erp:Webhook:Url"] = _erp.ToString();
            settings["Erp:Webhook:Secret"] = WebhookErp.Secret;
        }
        var (process, listening) = HealthFlowProcess.StartServe(_folder, settings);
        _process = process;
        try
        {
            // Start-up recovers the ledger, the bus and every unfinished orchestration before it listens: minutes after a
            // long outage, not seconds.
            _address.TrySetResult(await listening.WaitAsync(TimeSpan.FromMinutes(10)));
        }
        catch (Exception ex)
        {
            // Posts waiting for the server must fail too, or the run would wait for ever.
            _address.TrySetException(new InvalidOperationException("healthflow serve did not come back.", ex));
            throw;
        }
    }

    /// <summary>SIGKILL; posts wait for <see cref="RestartAsync"/>.</summary>
    public async Task KillAsync()
    {
        _address = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (_process is { HasExited: false } process)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    /// <summary>Posts until the server answers with anything but a 5xx (a kill in flight is retried with the same bytes).</summary>
    public async Task<Answer> PostAsync(WorkItem item)
    {
        while (true)
        {
            var address = await AddressAsync();
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(address, item.Path)) { Content = new ByteArrayContent(item.Body) };
                request.Content.Headers.ContentType = new MediaTypeHeaderValue(item.MediaType);
                request.Headers.Add("x-functions-key", KeyOf(item.Vendor));
                using var response = await _http.SendAsync(request);
                if ((int)response.StatusCode < 500)
                {
                    var receipt = response.Headers.TryGetValues("x-receipt-id", out var ids) ? ids.First() : null;
                    return new Answer(response.StatusCode, receipt, await response.Content.ReadAsStringAsync());
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException)
            {
                // The server died under the request; send the same bytes again once it is back.
            }
            await Task.Delay(100);
        }
    }

    public async Task<JsonElement> GetAsync(string path, string key)
    {
        while (true)
        {
            var address = await AddressAsync();
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(address, path));
            request.Headers.Add("x-functions-key", key);
            using var response = await _http.SendAsync(request);
            if (response.StatusCode == HttpStatusCode.NotFound)
                return default;
            response.EnsureSuccessStatusCode();
            return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process?.Dispose();
        _http.Dispose();
    }
}

/// <summary>The end-of-run checks.</summary>
internal static class Checks
{
    /// <summary>Waits until every accepted receipt is final and the orchestrations have settled; returns what was lost.</summary>
    public static async Task<(int Lost, List<string> Problems)> SettleAsync(Server server, SoakRecord record)
    {
        var clock = Stopwatch.StartNew();
        var (previous, stableSince) = ("", clock.Elapsed);
        var pending = new Dictionary<string, string>(record.Accepted, StringComparer.Ordinal);
        while (true)
        {
            var problems = new List<string>();
            foreach (var (receipt, vendor) in pending.ToList())
            {
                var found = await server.GetAsync($"api/receipts/{receipt}", Server.KeyOf(vendor));
                var status = found.ValueKind == JsonValueKind.Object ? found.GetProperty("status").GetString() : null;
                if (status is "Published" or "Rejected")
                    pending.Remove(receipt);
                else
                    problems.Add($"receipt {receipt} of {vendor}: {status ?? "missing"}");
            }
            var active = 0;
            var orchestrations = await server.GetAsync("api/orchestrations?status=Pending,Running&top=1000", Server.AdminKey);
            foreach (var listed in orchestrations.EnumerateArray())
            {
                // The list leaves custom status out; an instance that waits for an operator's mapping fix has settled.
                var instance = await server.GetAsync($"api/orchestrations/{Uri.EscapeDataString(listed.GetProperty("instanceId").GetString()!)}", Server.AdminKey);
                if (!(instance.TryGetProperty("customStatus", out var custom) && custom.ToString().Contains("waiting for a mapping fix", StringComparison.Ordinal)))
                    active++;
            }
            var state = $"{problems.Count}/{active}";
            if (state != previous)
                (previous, stableSince) = (state, clock.Elapsed);
            if ((problems.Count == 0 && active == 0 && clock.Elapsed - stableSince > TimeSpan.FromSeconds(3)) || clock.Elapsed > TimeSpan.FromMinutes(5))
                return (problems.Count, active == 0 ? problems : [.. problems, $"{active} orchestrations still pending or running"]);
            await Task.Delay(500);
        }
    }

    /// <summary>The file ERP's journals: how many, how many idempotency keys came more than once, and the cash posted.</summary>
    public static (int Posted, int Duplicated, decimal CashPosted) Journals(string folder)
    {
        var path = Path.Combine(folder, "erp", "journals.jsonl");
        if (!File.Exists(path))
            return (0, 0, 0m);
        var keys = new HashSet<string>(StringComparer.Ordinal);
        var (posted, duplicated, cash) = (0, 0, 0m);
        foreach (var line in File.ReadLines(path, Encoding.UTF8).Where(l => l.Length > 0))
        {
            using var journal = JsonDocument.Parse(line);
            posted++;
            if (!keys.Add(journal.RootElement.GetProperty("idempotencyKey").GetString()!))
                duplicated++;
            cash += ErpCash.Of(journal.RootElement);
        }
        return (posted, duplicated, cash);
    }

    /// <summary>
    /// <c>healthflow reconcile</c> over every business day of the data folder (the server stopped): its breaks and its
    /// closing line; a run that says nothing counts as a break.
    /// </summary>
    public static async Task<(int Breaks, string Summary)> ReconcileAsync(string folder, IReadOnlyDictionary<string, string>? settings)
    {
        var (exitCode, output) = await HealthFlowProcess.RunAsync(["reconcile", "--data", folder], settings);
        var summary = output.Split('\n').Select(l => l.Trim()).LastOrDefault(l => l.StartsWith("all days: ", StringComparison.Ordinal));
        if (summary is null || !int.TryParse(summary.Split(' ')[2], CultureInfo.InvariantCulture, out var breaks))
            return (1, $"exit {exitCode}, no summary: {output.Trim()}");
        return (exitCode == 0 ? breaks : Math.Max(breaks, 1), summary);
    }

    /// <summary>The workflows' exceptions counted by reason (<c>healthflow rebuild</c>'s exception list), open ones marked.</summary>
    public static async Task<string> ExceptionReasonsAsync(string folder)
    {
        var (exitCode, _) = await HealthFlowProcess.RunAsync(["rebuild", "--data", folder]);
        var path = Path.Combine(folder, "read-models", "exceptions.json");
        if (exitCode != 0 || !File.Exists(path))
            return $"rebuild exit {exitCode}";
        using var list = JsonDocument.Parse(File.ReadAllBytes(path));
        var reasons = list.RootElement.EnumerateArray()
            .GroupBy(e => e.GetProperty("reason").GetString() + (e.TryGetProperty("resolvedAt", out var at) && at.ValueKind != JsonValueKind.Null ? "" : " (open)"), StringComparer.Ordinal)
            .Select(g => $"{g.Key} {g.Count()}");
        return string.Join(", ", reasons) is { Length: > 0 } text ? text : "none";
    }

    /// <summary>The rows of the reconciliation's breaks table (<c>reporting/fact_breaks.csv</c>), header first.</summary>
    public static IEnumerable<string> BreakRows(string folder)
    {
        var path = Path.Combine(folder, "reporting", "fact_breaks.csv");
        return File.Exists(path) ? File.ReadLines(path, Encoding.UTF8) : [$"no {path}"];
    }
}

/// <summary>
/// A webhook ERP on a fixed loopback port (the runtime's setting must not change when it comes back): checks each
/// request's signature, keeps the journals of each idempotency key once (the contract: receivers deduplicate on
/// Idempotency-Key), and can go down for a while (requests are refused) and come back.
/// </summary>
internal sealed class WebhookErp : IAsyncDisposable
{
    public const string Secret = "soak-webhook-secret";
    private readonly ConcurrentDictionary<string, JsonElement[]> _posted = new(StringComparer.Ordinal);
    private readonly int _port;
    private WebApplication? _app;
    private int _redelivered;

    private WebhookErp(int port) => _port = port;

    public Uri Url => new($"http://127.0.0.1:{_port.ToString(CultureInfo.InvariantCulture)}/journals");

    public int Redelivered => _redelivered;

    public static async Task<WebhookErp> StartAsync()
    {
        using var probe = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        var erp = new WebhookErp(port);
        await erp.UpAsync();
        return erp;
    }

    /// <summary>After <paramref name="after"/>, down for <paramref name="downFor"/>: connections are refused, as when an ERP is unreachable.</summary>
    public async Task OutageAsync(TimeSpan after, TimeSpan downFor)
    {
        await Task.Delay(after);
        await DownAsync();
        await Task.Delay(downFor);
        await UpAsync();
    }

    public (int Posted, int Duplicated, decimal CashPosted) Journals()
    {
        var journals = _posted.Values.SelectMany(j => j).ToList();
        var ids = journals.Select(j => j.GetProperty("journalId").GetString()).ToList();
        return (journals.Count, ids.Count - ids.Distinct(StringComparer.Ordinal).Count(), journals.Sum(ErpCash.Of));
    }

    /// <summary>What the webhook ERP kept, one line per idempotency key, for a failed run's post-mortem.</summary>
    public void Save(string path) =>
        File.WriteAllLines(path, _posted.Select(p => JsonSerializer.Serialize(new { idempotencyKey = p.Key, journals = p.Value })));

    private async Task UpAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{_port.ToString(CultureInfo.InvariantCulture)}");
        var app = builder.Build();
        app.MapPost("/journals", async (HttpContext http) =>
        {
            using var buffer = new MemoryStream();
            await http.Request.Body.CopyToAsync(buffer);
            var body = buffer.ToArray();
            if (!WebhookSignature.Verify(Encoding.UTF8.GetBytes(Secret), http.Request.Headers[WebhookSignature.HeaderName].ToString(), body, DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5)))
                return Results.Unauthorized();
            var key = http.Request.Headers["Idempotency-Key"].ToString();
            var journals = JsonDocument.Parse(body).RootElement.GetProperty("journals").EnumerateArray().Select(j => j.Clone()).ToArray();
            if (!_posted.TryAdd(key, journals))
                Interlocked.Increment(ref _redelivered);
            return Results.Ok(new { documents = _posted[key].Select(j => new { journalId = j.GetProperty("journalId").GetString(), documentNumber = "WH-" + j.GetProperty("journalId").GetString() }) });
        });
        await app.StartAsync();
        _app = app;
    }

    private async Task DownAsync()
    {
        if (_app is { } app)
        {
            _app = null;
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    public async ValueTask DisposeAsync() => await DownAsync();
}
