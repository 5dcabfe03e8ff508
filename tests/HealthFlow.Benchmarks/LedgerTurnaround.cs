using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using HealthFlow.Ledger;
using HealthFlow.Ledger.Storage;
using static HealthFlow.Benchmarks.HarnessSupport;

namespace HealthFlow.Benchmarks;

/// <summary>
/// The ledger's software overhead per group commit, without the disk:
/// <c>dotnet run -c Release --project tests/HealthFlow.Benchmarks -- ledger-turnaround [--seconds 2] [--rounds 3] [--writers 64] [--sleep-us 200] [--cache-records N]</c>.
/// </summary>
/// <remarks>
/// The same closed-loop writers as <see cref="LedgerThroughput"/> (512-byte payloads), on a store whose append
/// blocks its thread for <c>--sleep-us</c> (<c>usleep</c>, as an fsync would) instead of writing. The turnaround is
/// the time from one append's return to the next append's call: the time the disk would sit idle, which sets the
/// ratio to the raw baseline (ratio ≈ fsync / (fsync + turnaround), docs/PERFORMANCE.md "Ledger (issue 3)").
/// Unlike that ratio it does not depend on other processes' I/O, so old and new builds can be compared on a busy
/// machine; CPU time and bytes allocated per record are printed with it, and the garbage collector's pauses per commit
/// (the disk idles during them too: most of the gap between the turnaround's mean and its median).
/// </remarks>
public static partial class LedgerTurnaround
{
    private const int PayloadBytes = 512;
    private const double QuietFsyncMicroseconds = 240;

    public static async Task<int> RunAsync(string[] args)
    {
        var seconds = double.Parse(Option(args, "--seconds", "2"), CultureInfo.InvariantCulture);
        var rounds = Option(args, "--rounds", 3);
        var writers = Option(args, "--writers", 64);
        var sleep = Option(args, "--sleep-us", 200);
        var cacheRecords = Option(args, "--cache-records", new LedgerOptions().CacheRecords);
        Console.WriteLine($"ledger turnaround, {writers} writers, {PayloadBytes}-byte payloads, appends sleep {sleep} µs, {seconds:0.#} s per round; load average {LoadAverage()}");
        Console.WriteLine("round | rec/s | rec/commit | append p50 µs | turnaround p50 (mean) µs | ratio at 0.24 ms fsync, p50 (mean) | CPU µs/rec | alloc B/rec | GC pause µs/commit (GCs gen0/1/2) | turnaround p90/p99 µs");
        var payload = new byte[PayloadBytes];
        Random.Shared.NextBytes(payload);
        for (var round = 0; round < rounds; round++)
        {
            var store = new SleepingBlobStore(sleep);
            var ledger = await BlobLedger.OpenAsync(store, new LedgerOptions { SegmentMaxAppends = int.MaxValue, CacheRecords = cacheRecords });
            try
            {
                await RunWritersAsync(ledger, writers, payload, TimeSpan.FromSeconds(2)); // warm-up: JIT tiering, thread pool growth
                store.Reset();
                var cpu = Process.GetCurrentProcess().TotalProcessorTime;
                var allocated = GC.GetTotalAllocatedBytes(precise: true);
                var paused = GC.GetTotalPauseDuration();
                int[] collections = [GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2)];
                var started = Stopwatch.GetTimestamp();
                var records = await RunWritersAsync(ledger, writers, payload, TimeSpan.FromSeconds(seconds));
                var elapsed = Stopwatch.GetElapsedTime(started).TotalSeconds;
                var cpuPerRecord = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMicroseconds / records;
                var allocatedPerRecord = (double)(GC.GetTotalAllocatedBytes(precise: true) - allocated) / records;
                var turnarounds = store.Turnarounds.Order().ToArray();
                var appends = store.Appends.Order().ToArray();
                var gcPerCommit = (GC.GetTotalPauseDuration() - paused).TotalMicroseconds / appends.Length;
                var p50 = turnarounds[turnarounds.Length / 2];
                var mean = turnarounds.Average();
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{round,5} | {records / elapsed,9:N0} | {(double)records / appends.Length,10:N1} | {appends[appends.Length / 2],13:0} | {p50,10:0} ({mean:0}) | {Ratio(p50),14:P0} ({Ratio(mean):P0}) | {cpuPerRecord,10:0.00} | {allocatedPerRecord,11:0} | {gcPerCommit,8:0.0} ({GC.CollectionCount(0) - collections[0]}/{GC.CollectionCount(1) - collections[1]}/{GC.CollectionCount(2) - collections[2]}) | {turnarounds[turnarounds.Length * 9 / 10]:0}/{turnarounds[turnarounds.Length * 99 / 100]:0}"));
            }
            finally
            {
                await ledger.DisposeAsync();
            }
        }
        Console.WriteLine($"load average at end: {LoadAverage()}");
        return 0;
    }

    private static double Ratio(double turnaroundMicroseconds) => QuietFsyncMicroseconds / (QuietFsyncMicroseconds + turnaroundMicroseconds);

    private static async Task<long> RunWritersAsync(BlobLedger ledger, int writers, byte[] payload, TimeSpan duration)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var counts = await Task.WhenAll(Enumerable.Range(0, writers).Select(async writer =>
        {
            await Task.Yield();
            var entry = new LedgerEntry("bench/" + writer.ToString(CultureInfo.InvariantCulture), "BenchRecord", "", "bench-correlation", "bench-causation", payload);
            long count = 0;
            while (Stopwatch.GetTimestamp() < deadline)
            {
                await ledger.AppendAsync(entry);
                count++;
            }
            return count;
        }));
        return counts.Sum();
    }

    /// <summary>Keeps only blob lengths; an append blocks its thread for the given time, as a write+fsync would, and records the gap since the previous one.</summary>
    private sealed partial class SleepingBlobStore(int sleepMicroseconds) : IBlobStore
    {
        private readonly ConcurrentDictionary<string, long> _lengths = new(StringComparer.Ordinal);
        private long _lastReturn;

        /// <summary>Microseconds from one append's return to the next append's call (appends come from one writer loop).</summary>
        public List<double> Turnarounds { get; } = new(1 << 16);

        /// <summary>Microseconds each append blocked.</summary>
        public List<double> Appends { get; } = new(1 << 16);

        public void Reset()
        {
            Turnarounds.Clear();
            Appends.Clear();
            _lastReturn = 0;
        }

        public Task<AppendResult> AppendAsync(string name, long expectedOffset, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
        {
            var called = Stopwatch.GetTimestamp();
            if (!_lengths.TryGetValue(name, out var length))
                return Task.FromResult(new AppendResult(AppendStatus.NotFound, 0));
            if (length != expectedOffset)
                return Task.FromResult(new AppendResult(AppendStatus.Conflict, length));
            if (_lastReturn != 0)
                Turnarounds.Add(Stopwatch.GetElapsedTime(_lastReturn, called).TotalMicroseconds);
            _ = Sleep((uint)sleepMicroseconds);
            _lengths[name] = length + data.Length;
            _lastReturn = Stopwatch.GetTimestamp();
            Appends.Add(Stopwatch.GetElapsedTime(called, _lastReturn).TotalMicroseconds);
            return Task.FromResult(new AppendResult(AppendStatus.Appended, length + data.Length));
        }

        [LibraryImport("libc", EntryPoint = "usleep")]
        private static partial int Sleep(uint microseconds);

        public Task<bool> CreateIfAbsentAsync(string name, CancellationToken cancellationToken = default) => Task.FromResult(_lengths.TryAdd(name, 0));

        public Task<int> ReadAsync(string name, long offset, Memory<byte> buffer, CancellationToken cancellationToken = default) => Task.FromResult(0);

        public Task<BlobInfo?> GetInfoAsync(string name, CancellationToken cancellationToken = default) =>
            Task.FromResult(_lengths.TryGetValue(name, out var length) ? new BlobInfo(name, length, "") : (BlobInfo?)null);

        public IAsyncEnumerable<BlobInfo> ListAsync(string prefix, CancellationToken cancellationToken = default) =>
            _lengths.Where(blob => blob.Key.StartsWith(prefix, StringComparison.Ordinal)).Select(blob => new BlobInfo(blob.Key, blob.Value, "")).ToAsyncEnumerable();

        public Task<BlobContent?> GetAsync(string name, CancellationToken cancellationToken = default) => Task.FromResult<BlobContent?>(null);

        public Task<PutResult> PutAsync(string name, ReadOnlyMemory<byte> data, string? ifMatch, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException("The ledger only appends.");

        public Task<DeleteStatus> DeleteAsync(string name, string? ifMatch = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException("The ledger only appends.");
    }
}
