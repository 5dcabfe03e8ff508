using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;

namespace HealthFlow.LoadDriver;

/// <summary>What to run: the server, the vendor key and the shape of each mode.</summary>
internal sealed record LoadSettings(
    Uri Url,
    string Key,
    int RatePerSecond,
    double OpenSeconds,
    int Connections,
    double SaturateSeconds,
    double WarmupSeconds,
    double HealthTimeoutSeconds,
    string? ProbeDirectory)
{
    public static LoadSettings Parse(string[] args)
    {
        string Option(string name, string? fallback)
        {
            var at = Array.IndexOf(args, name);
            return at >= 0 && at + 1 < args.Length ? args[at + 1]
                : fallback ?? throw new ArgumentException($"{name} is required.");
        }

        double Number(string name, string fallback) => double.Parse(Option(name, fallback), CultureInfo.InvariantCulture);

        var url = new Uri(Option("--url", null));
        // Loopback only: this tool opens hundreds of connections and sends thousands of requests a second.
        if (!url.IsLoopback)
            throw new ArgumentException($"{url} is not a loopback address; the load driver only targets this machine.");
        return new LoadSettings(url, Option("--key", null), (int)Number("--rate", "1000"), Number("--open-seconds", "10"),
            (int)Number("--connections", "64"), Number("--saturate-seconds", "10"), Number("--warmup-seconds", "3"),
            Number("--health-timeout-seconds", "60"), Array.IndexOf(args, "--fsync-probe") >= 0 ? Option("--fsync-probe", null) : null);
    }
}

/// <summary>
/// The two load modes against <c>POST /api/x12</c>, each printing one summary line:
/// <list type="bullet">
/// <item>open loop: requests start on a fixed schedule (<see cref="LoadSettings.RatePerSecond"/>) whatever the
/// server does, and latency is measured from the scheduled start, so a stall shows up in the percentiles instead
/// of silently lowering the rate (no coordinated omission);</item>
/// <item>saturation (closed loop): <see cref="LoadSettings.Connections"/> clients each send, await and send again;
/// the figure is accepted (202) requests per second.</item>
/// </list>
/// Every request carries a new ISA13 control number, so each is a new interchange and none is a duplicate.
/// </summary>
internal static class LoadRun
{
    private const int MaxOutstanding = 20_000;
    private static long _control;

    public static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static async Task<int> RunAsync(LoadSettings settings)
    {
        // HTTP/1.1 keep-alive with enough connections for both modes; no proxy, no cookies, no decompression.
        using var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = Math.Max(settings.Connections, 512),
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            UseProxy = false,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,
            ConnectTimeout = TimeSpan.FromSeconds(10),
        };
        using var client = new HttpClient(handler)
        {
            BaseAddress = settings.Url,
            DefaultRequestVersion = HttpVersion.Version11,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Timeout = TimeSpan.FromSeconds(30),
        };
        client.DefaultRequestHeaders.Add("x-functions-key", settings.Key);

        if (!await WaitForHealthAsync(client, TimeSpan.FromSeconds(settings.HealthTimeoutSeconds)))
        {
            Console.Error.WriteLine($"{settings.Url}api/health did not answer 200 within {settings.HealthTimeoutSeconds} s.");
            return 1;
        }

        // Warm-up (not counted): JIT and connection set-up on both sides.
        if (settings.WarmupSeconds > 0)
            _ = await ClosedLoopAsync(client, Math.Min(settings.Connections, 16), TimeSpan.FromSeconds(settings.WarmupSeconds));

        var failed = false;
        if (settings.OpenSeconds > 0)
        {
            using var probe = settings.ProbeDirectory is { } directory ? FsyncProbe.Start(directory) : null;
            var open = await OpenLoopAsync(client, settings.RatePerSecond, TimeSpan.FromSeconds(settings.OpenSeconds));
            if (probe?.Stop() is { } disk)
                Console.WriteLine(disk);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"open-loop: target {settings.RatePerSecond} req/s for {settings.OpenSeconds:0.#} s: sent {open.Sent}, accepted {open.Accepted}, errors {open.Errors}, "
                + $"achieved {open.Accepted / open.Seconds:N0} req/s, latency p50 {open.P50Ms:0.00} ms, p99 {open.P99Ms:0.00} ms, max {open.MaxMs:0.00} ms"));
            failed |= open.Errors > 0;
        }
        if (settings.SaturateSeconds > 0)
        {
            var saturation = await ClosedLoopAsync(client, settings.Connections, TimeSpan.FromSeconds(settings.SaturateSeconds));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"saturation: {settings.Connections} connections for {settings.SaturateSeconds:0.#} s: accepted {saturation.Accepted}, errors {saturation.Errors}, "
                + $"{saturation.Accepted / saturation.Seconds:N0} accepted req/s, latency p50 {saturation.P50Ms:0.00} ms, p99 {saturation.P99Ms:0.00} ms, max {saturation.MaxMs:0.00} ms"));
            failed |= saturation.Errors > 0;
        }
        return failed ? 1 : 0;
    }

    private sealed record ModeResult(long Sent, long Accepted, long Errors, double Seconds, double P50Ms, double P99Ms, double MaxMs);

    private static async Task<bool> WaitForHealthAsync(HttpClient client, TimeSpan timeout)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < deadline)
        {
            try
            {
                using var response = await client.GetAsync(new Uri("api/health", UriKind.Relative));
                if (response.StatusCode == HttpStatusCode.OK)
                    return true;
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            await Task.Delay(200);
        }
        return false;
    }

    /// <summary>
    /// Starts request i at start + i/rate from one scheduling thread that wakes about every millisecond and starts
    /// every request that is due (sleeping, not spinning: the server needs the cores).
    /// </summary>
    private static async Task<ModeResult> OpenLoopAsync(HttpClient client, int rate, TimeSpan duration)
    {
        var total = (int)(rate * duration.TotalSeconds);
        var latencies = new double[total];
        var outcomes = new int[total]; // 1 accepted, 2 error
        var inFlight = new List<Task>(total);
        var outstanding = 0;
        var skipped = 0;
        var start = Stopwatch.GetTimestamp() + (Stopwatch.Frequency / 100);
        var scheduler = new Thread(() =>
        {
            for (var i = 0; i < total; i++)
            {
                var due = start + (long)(i * (double)Stopwatch.Frequency / rate);
                while (Stopwatch.GetTimestamp() < due)
                    Thread.Sleep(1);
                if (Volatile.Read(ref outstanding) >= MaxOutstanding)
                {
                    // The server has stalled badly; count the request as failed instead of piling up sockets.
                    outcomes[i] = 2;
                    latencies[i] = double.NaN;
                    skipped++;
                    continue;
                }
                Interlocked.Increment(ref outstanding);
                var index = i;
                inFlight.Add(Task.Run(async () =>
                {
                    try
                    {
                        outcomes[index] = await PostAsync(client) ? 1 : 2;
                    }
                    finally
                    {
                        latencies[index] = Stopwatch.GetElapsedTime(due).TotalMilliseconds;
                        Interlocked.Decrement(ref outstanding);
                    }
                }));
            }
        })
        { IsBackground = true, Name = "open-loop scheduler" };
        scheduler.Start();
        await Task.Run(scheduler.Join);
        await Task.WhenAll(inFlight);
        var seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        var measured = latencies.Where(l => !double.IsNaN(l)).Order().ToArray();
        return new ModeResult(total, outcomes.Count(o => o == 1), outcomes.Count(o => o == 2), Math.Max(seconds, duration.TotalSeconds),
            Percentile(measured, 0.50), Percentile(measured, 0.99), measured.Length > 0 ? measured[^1] : double.NaN);
    }

    private static async Task<ModeResult> ClosedLoopAsync(HttpClient client, int connections, TimeSpan duration)
    {
        var start = Stopwatch.GetTimestamp();
        var deadline = start + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var perClient = await Task.WhenAll(Enumerable.Range(0, connections).Select(_ => Task.Run(async () =>
        {
            var latencies = new List<double>(16_384);
            long accepted = 0, errors = 0;
            while (Stopwatch.GetTimestamp() < deadline)
            {
                var sent = Stopwatch.GetTimestamp();
                if (await PostAsync(client))
                    accepted++;
                else
                    errors++;
                latencies.Add(Stopwatch.GetElapsedTime(sent).TotalMilliseconds);
            }
            return (latencies, accepted, errors);
        })));
        var seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        var all = perClient.SelectMany(c => c.latencies).Order().ToArray();
        var acceptedTotal = perClient.Sum(c => c.accepted);
        var errorTotal = perClient.Sum(c => c.errors);
        return new ModeResult(acceptedTotal + errorTotal, acceptedTotal, errorTotal, seconds,
            Percentile(all, 0.50), Percentile(all, 0.99), all.Length > 0 ? all[^1] : double.NaN);
    }

    /// <summary>Posts one new interchange; true when the server accepted it (202).</summary>
    private static async Task<bool> PostAsync(HttpClient client)
    {
        try
        {
            using var content = new ByteArrayContent(Interchanges.Next(Interlocked.Increment(ref _control)));
            content.Headers.ContentType = new MediaTypeHeaderValue("application/edi-x12");
            using var response = await client.PostAsync(new Uri("api/x12", UriKind.Relative), content);
            // Read the receipt so the connection is ready for the next request.
            await response.Content.LoadIntoBufferAsync();
            return response.StatusCode == HttpStatusCode.Accepted;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException)
        {
            return false;
        }
    }

    private static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
}

/// <summary>
/// The disk's own fsync latency while the open loop runs: a 661-byte append plus fsync every 10 ms to a file in the
/// given folder (put it on the server's disk). On a shared machine other processes' writes stall ext4 journal
/// commits; this tells such a stall apart from the server's own latency. Costs the disk 100 extra fsyncs/s.
/// </summary>
internal sealed class FsyncProbe : IDisposable
{
    private readonly string _path;
    private readonly Thread _thread;
    private readonly List<double> _latencies = new(4096);
    private volatile bool _stopping;

    private FsyncProbe(string directory)
    {
        _path = Path.Combine(directory, "fsync-probe.bin");
        _thread = new Thread(Run) { IsBackground = true, Name = "fsync probe" };
    }

    public static FsyncProbe Start(string directory)
    {
        var probe = new FsyncProbe(directory);
        probe._thread.Start();
        return probe;
    }

    /// <summary>Stops the probe and describes what it saw.</summary>
    public string Stop()
    {
        _stopping = true;
        _thread.Join();
        var sorted = _latencies.Order().ToArray();
        if (sorted.Length == 0)
            return "fsync probe: no samples";
        double At(double p) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
        return string.Create(CultureInfo.InvariantCulture,
            $"fsync probe (661 bytes + fsync every 10 ms on the server's disk, during the open loop): {sorted.Length} samples, p50 {At(0.5):0.00} ms, p99 {At(0.99):0.00} ms, max {sorted[^1]:0.00} ms, {sorted.Count(l => l > 10)} over 10 ms");
    }

    public void Dispose()
    {
        if (!_stopping)
            Stop();
        File.Delete(_path);
    }

    private void Run()
    {
        var buffer = new byte[661];
        using var handle = File.OpenHandle(_path, FileMode.Create, FileAccess.ReadWrite);
        long offset = 0;
        while (!_stopping)
        {
            var start = Stopwatch.GetTimestamp();
            RandomAccess.Write(handle, buffer, offset);
            RandomAccess.FlushToDisk(handle);
            _latencies.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            offset += buffer.Length;
            Thread.Sleep(10);
        }
    }
}

/// <summary>
/// A small valid X12 5010 835 interchange (one balanced remittance with one claim, so the reader accepts it and
/// publishes its events) whose ISA13/IEA02 control number changes per request.
/// </summary>
internal static class Interchanges
{
    private const string Placeholder = "#########";
    private static readonly byte[] Template = Encoding.ASCII.GetBytes(
        $"ISA*00*          *00*          *ZZ*BENCHPAYER     *ZZ*BENCHHOSP      *261121*1200*^*00501*{Placeholder}*0*P*:~"
        + "GS*HP*BENCHPAYER*BENCHHOSP*20261121*1200*1*X*005010X221A1~ST*835*0001~"
        + "BPR*I*100*C*ACH*CCP*01*999999999*DA*123456*1512345678**01*999999999*DA*654321*20261121~"
        + "TRN*1*TRACE1*1512345678~N1*PR*BENCH PAYER~N1*PE*BENCH HOSPITAL*XX*1234567893~LX*1~"
        + "CLP*PCN1*1*150*100*50*12*CLAIM1~CAS*CO*45*50~SE*9*0001~GE*1*1~"
        + $"IEA*1*{Placeholder}~");
    private static readonly int[] Slots = FindSlots();

    public static byte[] Next(long control)
    {
        var bytes = (byte[])Template.Clone();
        Span<byte> digits = stackalloc byte[9];
        var value = control % 1_000_000_000;
        for (var i = 8; i >= 0; i--)
        {
            digits[i] = (byte)('0' + (value % 10));
            value /= 10;
        }
        foreach (var slot in Slots)
            digits.CopyTo(bytes.AsSpan(slot));
        return bytes;
    }

    private static int[] FindSlots()
    {
        var text = Encoding.ASCII.GetString(Template);
        var first = text.IndexOf(Placeholder, StringComparison.Ordinal);
        return [first, text.IndexOf(Placeholder, first + Placeholder.Length, StringComparison.Ordinal)];
    }
}
