using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using HealthFlow.Hl7;
using HealthFlow.Hl7.Generation;
using HealthFlow.Hl7.Mllp;
using HealthFlow.Pipeline.Runtime;
using Microsoft.Extensions.Configuration;

// ADT messages/s over MLLP, ACK after durable (file ledger, fsync on), one command: bench/mllp.sh
//   dotnet run -c Release --project bench/mllp-throughput -- [--messages 8000] [--connections 1,16] [--window 1,64]
//                                                             [--rounds 1] [--endpoint HOST:PORT] [--dir PATH]
// Without --endpoint, a fresh runtime is started in-process for each run (Kestrel MLLP listener on a free loopback port,
// a fresh data folder, per-message logs off); keep --messages under 10,000 (the bus's per-subscription backlog bound); with --endpoint, it drives a running `healthflow serve --mllp HOST:PORT` whose
// Mllp:Sources allow facility STMARYS from 127.0.0.1.
// --window is how many frames a connection sends before it waits for ACKs: 1 is the classic original-mode sender
// (send, wait for the ACK, send the next); more is a pipelining sender. Every ACK must be AA for its control id.
var messages = int.Parse(Option("--messages", "8000"), CultureInfo.InvariantCulture);
var connectionCounts = Option("--connections", "1,16").Split(',').Select(c => int.Parse(c, CultureInfo.InvariantCulture)).ToArray();
var windows = Option("--window", "1,64").Split(',').Select(w => int.Parse(w, CultureInfo.InvariantCulture)).ToArray();
var rounds = int.Parse(Option("--rounds", "1"), CultureInfo.InvariantCulture);
var endpointText = Option("--endpoint", "");
var folder = Option("--dir", Path.Combine(Path.GetTempPath(), "healthflow-mllp-bench-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture)));

Console.WriteLine($"MLLP ADT throughput, ACK after durable (file ledger, fsync): {messages} messages per run, {Environment.ProcessorCount} cores, " +
    (endpointText.Length > 0 ? $"server {endpointText}" : "a fresh runtime in-process per run"));
var seed = 1;
var failed = false;
foreach (var window in windows)
{
    foreach (var connections in connectionCounts)
    {
        var figures = new List<double>();
        for (var round = 0; round < rounds; round++)
        {
            // A fresh runtime per run: the embedded bus slows publishers once a subscription holds 10,000 unsettled
            // messages (EmbeddedBusOptions.BacklogMaxPerSubscription), and nothing consumes them during the run.
            var runFolder = Path.Combine(folder, $"w{window}-c{connections}-r{round}");
            var runtime = endpointText.Length > 0 ? null : await StartRuntimeAsync(runFolder);
            try
            {
                var endpoint = runtime?.MllpEndpoint ?? IPEndPoint.Parse(endpointText);
                // Warm-up (JIT, connection set-up, first ledger segment), then fresh messages (new control ids) for the run.
                await DriveAsync(endpoint, Generate(seed++, 500, $"W{seed}-"), 16);
                var perConnection = Enumerable.Range(0, connections)
                    .Select(c => Generate(seed++, messages / connections, $"B{seed}C{c}-"))
                    .ToArray();
                var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
                var stopwatch = Stopwatch.StartNew();
                var results = await Task.WhenAll(perConnection.Select(m => DriveAsync(endpoint, m, window)));
                stopwatch.Stop();
                var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
                var total = results.Sum(r => r.Acked);
                var bad = results.Sum(r => r.NotAccepted);
                failed |= bad > 0;
                figures.Add(total / stopwatch.Elapsed.TotalSeconds);
                Console.WriteLine($"  window {window,3}, {connections,2} connection(s), round {round + 1}: {total} ACKs in {stopwatch.Elapsed.TotalSeconds:F2} s = {total / stopwatch.Elapsed.TotalSeconds,8:F0} msg/s; " +
                    $"CPU {cpu.TotalMicroseconds / total:F0} µs/msg (server and this client together, in-process)" +
                    (bad > 0 ? $"  ({bad} not AA for their control id!)" : ""));
            }
            finally
            {
                if (runtime is not null)
                {
                    await runtime.DisposeAsync();
                    try
                    {
                        Directory.Delete(runFolder, recursive: true);
                    }
                    catch (IOException)
                    {
                    }
                }
            }
        }
        figures.Sort();
        Console.WriteLine($"window {window,3}, {connections,2} connection(s): median {figures[figures.Count / 2]:F0} ADT msg/s");
    }
}
return failed ? 1 : 0;

static Task<LocalRuntime> StartRuntimeAsync(string folder)
{
    var settings = new Dictionary<string, string?>
    {
        ["HealthFlow:Data"] = folder,
        ["HealthFlow:Urls"] = "http://127.0.0.1:0",
        ["Vendors:acme:Key"] = "acme-bench-key-0123456789",
        ["Mllp:Endpoint"] = "127.0.0.1:0",
        ["Mllp:Sources:acme:Facilities"] = "STMARYS",
        ["Mllp:Sources:acme:Addresses"] = "127.0.0.1",
        // One log line per message would measure the console, not the listener.
        ["Logging:LogLevel:Default"] = "Warning",
    };
    return LocalRuntime.StartAsync(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
}

string Option(string name, string fallback)
{
    var index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length ? args[index + 1] : fallback;
}

static (byte[] Frame, string ControlId)[] Generate(int seed, int count, string prefix)
{
    var generator = new Hl7Generator(seed, new Hl7GeneratorOptions { ControlIdPrefix = prefix });
    var events = new[] { Hl7AdtEvent.A01, Hl7AdtEvent.A03, Hl7AdtEvent.A04, Hl7AdtEvent.A08 };
    return [.. Enumerable.Range(0, count).Select(i => generator.NextAdt(events[i % events.Length])).Select(m => (MllpFrameEncoder.Encode(m.Text), m.ControlId))];
}

// One connection: sends the frames keeping at most `window` unacknowledged, reads ACKs, checks each is AA for its control id.
static async Task<(int Acked, int NotAccepted)> DriveAsync(IPEndPoint endpoint, (byte[] Frame, string ControlId)[] messages, int window)
{
    using var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
    await socket.ConnectAsync(endpoint);
    await using var stream = new NetworkStream(socket, ownsSocket: false);
    var output = PipeWriter.Create(stream, new StreamPipeWriterOptions(leaveOpen: true));
    var input = new MllpFrameReader(PipeReader.Create(stream, new StreamPipeReaderOptions(leaveOpen: true)));
    using var credits = new SemaphoreSlim(window);

    var sender = Task.Run(async () =>
    {
        foreach (var (frame, _) in messages)
        {
            if (!credits.Wait(0))
            {
                await output.FlushAsync();
                await credits.WaitAsync();
            }
            output.Write(frame);
        }
        await output.FlushAsync();
    });

    var acked = 0;
    var notAccepted = 0;
    foreach (var (_, controlId) in messages)
    {
        var ack = await input.ReadAsync();
        if (ack.Status != MllpDecodeStatus.Frame)
            throw new InvalidOperationException($"The connection ended after {acked} ACKs ({ack.Status}).");
        var text = Hl7Parser.DecodeText(ack.Payload);
        var msaAt = text.IndexOf("\rMSA|", StringComparison.Ordinal);
        var msa = text[(msaAt + 1)..].Split('\r')[0].Split('|');
        if (msa.Length < 3 || msa[1] != "AA" || msa[2] != controlId)
            notAccepted++;
        acked++;
        credits.Release();
    }
    await sender;
    return (acked, notAccepted);
}
