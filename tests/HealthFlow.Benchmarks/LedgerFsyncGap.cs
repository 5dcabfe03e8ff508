using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using HealthFlow.Ledger.Storage;
using static HealthFlow.Benchmarks.HarnessSupport;

namespace HealthFlow.Benchmarks;

/// <summary>
/// Why the ledger's store append (write+fsync) can take longer than the raw baseline's, with the same bytes:
/// <c>dotnet run -c Release --project tests/HealthFlow.Benchmarks -- ledger-fsync [--seconds 6] [--bytes 41700] [--gap-us 90] [--dir PATH]</c>.
/// </summary>
/// <remarks>
/// The baseline writes back to back; the ledger's disk idles for the turnaround between two commits. Four ways of
/// writing <c>--bytes</c> sequentially with fsync after each write alternate in 250 ms slices (so other processes'
/// I/O hits all alike), and the time of each write+fsync alone is compared: back to back as the baseline; after a
/// <c>--gap-us</c> pause with this thread spinning (the writer encoding); after the same pause asleep (the vCPU may
/// idle); and back to back through <see cref="FileBlobStore.AppendAsync"/>, the ledger's own path. Only meaningful on a
/// quiet disk (docs/PERFORMANCE.md, "Ledger").
/// </remarks>
public static partial class LedgerFsyncGap
{
    private static readonly TimeSpan Slice = TimeSpan.FromMilliseconds(250);

    public static async Task<int> RunAsync(string[] args)
    {
        var seconds = double.Parse(Option(args, "--seconds", "6"), CultureInfo.InvariantCulture);
        var bytes = Option(args, "--bytes", 41_700);
        var gap = TimeSpan.FromMicroseconds(Option(args, "--gap-us", 90));
        var root = Option(args, "--dir", Path.Combine(Path.GetTempPath(), "healthflow-fsync-gap-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture)));
        Console.WriteLine($"write+fsync of {bytes:N0} bytes, {seconds:0.#} s per way in {Slice.TotalMilliseconds:0} ms slices, in {root}; load average {LoadAverage()}");
        var data = new byte[bytes];
        Random.Shared.NextBytes(data);
        Directory.CreateDirectory(root);
        try
        {
            using var store = FileBlobStore.OpenWritable(Path.Combine(root, "store"));
            await store.CreateIfAbsentAsync("ledger/p0/0000000000.seg");
            using var raw = File.OpenHandle(Path.Combine(root, "raw.bin"), FileMode.CreateNew, FileAccess.ReadWrite);
            long rawOffset = 0, storeOffset = 0;
            void WriteRaw()
            {
                RandomAccess.Write(raw, data, rawOffset);
                RandomAccess.FlushToDisk(raw);
                rawOffset += data.Length;
            }
            (string Name, Func<Task> WriteAsync, Action Pause)[] ways =
            [
                ("back to back (the baseline)", () => { WriteRaw(); return Task.CompletedTask; }, () => { }),
                ($"after {gap.TotalMicroseconds:0} µs spinning", () => { WriteRaw(); return Task.CompletedTask; }, () => Spin(gap)),
                ($"after {gap.TotalMicroseconds:0} µs asleep", () => { WriteRaw(); return Task.CompletedTask; }, () => _ = Sleep((uint)gap.TotalMicroseconds)),
                ("file store append, back to back", async () => storeOffset = (await store.AppendAsync("ledger/p0/0000000000.seg", storeOffset, data)).Length, () => { }),
            ];
            var times = ways.Select(_ => new List<double>()).ToArray();
            for (var ran = TimeSpan.Zero; ran.TotalSeconds < seconds; ran += Slice)
            {
                for (var way = 0; way < ways.Length; way++)
                {
                    var end = Stopwatch.GetTimestamp() + (long)(Slice.TotalSeconds * Stopwatch.Frequency);
                    while (Stopwatch.GetTimestamp() < end)
                    {
                        var started = Stopwatch.GetTimestamp();
                        await ways[way].WriteAsync();
                        times[way].Add(Stopwatch.GetElapsedTime(started).TotalMicroseconds);
                        ways[way].Pause();
                    }
                }
            }
            for (var way = 0; way < ways.Length; way++)
            {
                var sorted = times[way].Order().ToArray();
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{ways[way].Name,-32} {sorted.Length,6} writes, write+fsync µs p10 {sorted[sorted.Length / 10],5:0} p50 {sorted[sorted.Length / 2],5:0} p90 {sorted[sorted.Length * 9 / 10],6:0} mean {sorted.Average(),6:0}"));
            }
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
        Console.WriteLine($"load average at end: {LoadAverage()}");
        return 0;
    }

    private static void Spin(TimeSpan time)
    {
        var end = Stopwatch.GetTimestamp() + (long)(time.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < end)
            Thread.SpinWait(20);
    }

    [LibraryImport("libc", EntryPoint = "usleep")]
    private static partial int Sleep(uint microseconds);
}
