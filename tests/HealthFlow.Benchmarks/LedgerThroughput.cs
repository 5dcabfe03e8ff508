using System.Diagnostics;
using System.Globalization;
using HealthFlow.Ledger;
using HealthFlow.Ledger.Storage;
using Microsoft.Win32.SafeHandles;
using static HealthFlow.Benchmarks.HarnessSupport;

namespace HealthFlow.Benchmarks;

/// <summary>
/// Ledger group-commit throughput on the file store with fsync on, against the disk's own limit, in one run:
/// <c>dotnet run -c Release --project tests/HealthFlow.Benchmarks -- ledger [--seconds 2] [--rounds 3] [--writers 1,8,64] [--dir PATH] [--cache-records N]</c>
/// (seconds of ledger time per round; the raw baseline gets as much again).
/// </summary>
/// <remarks>
/// <para>Why a Stopwatch harness and not a BenchmarkDotNet class: the figure wanted is a closed-loop throughput
/// of N concurrent writers (each awaits its append, then appends again), where the batch size is an outcome of
/// the run, not an input. BenchmarkDotNet times one invocation of a method many times; the baseline must then be
/// measured at the batch size the ledger actually reached, which only the same process knows.</para>
/// <para>Per writer count and round: the ledger runs for <c>--seconds</c> with N writers appending 512-byte
/// payload records; a pass-through store counts its appends (one per group commit) and bytes. The baseline
/// writes the same bytes per write (the mean commit size) sequentially to a file on the same disk, each write
/// followed by fsync (<see cref="RandomAccess.FlushToDisk"/>, what the file store calls), for the same time, with
/// two raw writers of which the faster counts (see <see cref="RunRoundAsync"/>). Its
/// records/s is writes/s × the ledger's records per commit: what the disk allows at that batch size with zero
/// software overhead. The ratio is ledger/baseline. Ledger and baseline alternate in 250 ms slices so load
/// changes from other processes hit both alike. The row shows the round with the median ratio; a second line
/// gives the median of each figure over the rounds, then each round follows, with where the ledger's time goes:
/// its store appends against the raw write+fsync at p50, the turnaround between two store appends (the disk
/// idles meanwhile) and the garbage collector's pauses per commit.</para>
/// </remarks>
public static class LedgerThroughput
{
    private const int PayloadBytes = 512;
    private static readonly TimeSpan Slice = TimeSpan.FromMilliseconds(250);

    public static async Task<int> RunAsync(string[] args)
    {
        var seconds = double.Parse(Option(args, "--seconds", "2"), CultureInfo.InvariantCulture);
        var rounds = int.Parse(Option(args, "--rounds", "3"), CultureInfo.InvariantCulture);
        var writerCounts = Option(args, "--writers", "1,8,64").Split(',').Select(w => int.Parse(w, CultureInfo.InvariantCulture)).ToArray();
        var root = Option(args, "--dir", Path.Combine(Path.GetTempPath(), "healthflow-ledger-bench-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture)));
        var duration = TimeSpan.FromSeconds(seconds);
        // As the local runtime opens it (the file store has no per-blob block limit); the recent-record cache can be resized.
        var options = new LedgerOptions { SegmentMaxAppends = int.MaxValue, CacheRecords = Option(args, "--cache-records", new LedgerOptions().CacheRecords) };

        Console.WriteLine($"ledger group commit vs raw fsync, file store in {root}, {PayloadBytes}-byte payloads, {seconds:0.#} s per measurement, median of {rounds} rounds");
        Console.WriteLine($"load average at start: {LoadAverage()}");
        Console.WriteLine("writers | ledger rec/s | commits/s | rec/commit | bytes/commit | append p50/p99 ms | raw rec/s (same bytes/fsync) | ratio | raw write+fsync p50/p99 ms");
        try
        {
            foreach (var writers in writerCounts)
            {
                var results = new List<(LedgerRun Ledger, double RawRecordsPerSecond)>();
                for (var round = 0; round < rounds; round++)
                    results.Add(await RunRoundAsync(Path.Combine(root, $"w{writers}-r{round}"), writers, duration, options));
                var median = results.OrderBy(r => r.Ledger.RecordsPerSecond / r.RawRecordsPerSecond).ElementAt(results.Count / 2);
                var l = median.Ledger;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{writers,7} | {l.RecordsPerSecond,12:N0} | {l.CommitsPerSecond,9:N0} | {l.RecordsPerCommit,10:N1} | {l.BytesPerCommit,12:N0} | {l.P50Ms,8:0.00}/{l.P99Ms,-8:0.00} | {median.RawRecordsPerSecond,28:N0} | {l.RecordsPerSecond / median.RawRecordsPerSecond,5:P0} | {l.RawP50Ms,8:0.00}/{l.RawP99Ms:0.00}"));
                double Median(Func<(LedgerRun Ledger, double Raw), double> figure) => results.Select(figure).Order().ElementAt(results.Count / 2);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"        medians over {results.Count} rounds: ledger {Median(r => r.Ledger.RecordsPerSecond):N0} rec/s, raw {Median(r => r.Raw):N0} rec/s, ratio {Median(r => r.Ledger.RecordsPerSecond / r.Raw):P0}, {Median(r => r.Ledger.RecordsPerCommit):N1} rec/commit"));
                foreach (var (ledger, raw) in results)
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"        round: ledger {ledger.RecordsPerSecond:N0} rec/s, raw {raw:N0} rec/s, ratio {ledger.RecordsPerSecond / raw:P0}; p50 µs: store append {ledger.StoreAppendP50Us:0} + turnaround {ledger.TurnaroundP50Us:0}, raw write+fsync {ledger.RawP50Ms * 1000:0}; means µs: store append {ledger.StoreAppendMeanUs:0} + turnaround {ledger.TurnaroundMeanUs:0}, GC pause {ledger.GcPauseUsPerCommit:0.0} per commit"));
            }
        }
        finally
        {
            if (Directory.Exists(root))
                Directory.Delete(root, recursive: true);
        }
        Console.WriteLine($"load average at end: {LoadAverage()}");
        return 0;
    }

    private sealed record LedgerRun(double RecordsPerSecond, double CommitsPerSecond, double RecordsPerCommit, int BytesPerCommit, double P50Ms, double P99Ms)
    {
        /// <summary>Latency of one raw write+fsync (the inline raw writer) during the round: the disk's own tail.</summary>
        public double RawP50Ms { get; init; }
        public double RawP99Ms { get; init; }

        /// <summary>The ledger's store appends (write+fsync and the file store's own work), p50: compare with <see cref="RawP50Ms"/>.</summary>
        public double StoreAppendP50Us { get; init; }

        /// <summary>From one store append's return to the next one's call, p50: the time the disk sits idle.</summary>
        public double TurnaroundP50Us { get; init; }

        public double TurnaroundMeanUs { get; init; }

        public double StoreAppendMeanUs { get; init; }

        /// <summary>Garbage collection pauses during the ledger's slices, per commit: the disk idles during them too.</summary>
        public double GcPauseUsPerCommit { get; init; }
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        return values.Count == 0 ? 0 : values[values.Count / 2];
    }

    /// <summary>
    /// One round: the ledger and the raw baseline alternate in short slices (<see cref="Slice"/>) until each has run
    /// for <paramref name="duration"/>, so other processes' I/O on this shared disk hits both alike. Each raw slice
    /// writes the mean commit size of the ledger slice just before it.
    /// </summary>
    private static async Task<(LedgerRun Ledger, double RawRecordsPerSecond)> RunRoundAsync(string folder, int writers, TimeSpan duration, LedgerOptions options)
    {
        var files = FileBlobStore.OpenWritable(folder);
        var store = new CountingBlobStore(files);
        var ledger = await BlobLedger.OpenAsync(store, options);
        var rawPath = Path.Combine(folder, "raw.bin");
        using var raw = File.OpenHandle(rawPath, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None);
        RandomAccess.FlushToDisk(raw);
        long rawOffset = 0;
        try
        {
            var payload = new byte[PayloadBytes];
            Random.Shared.NextBytes(payload);
            // Warm-up: JIT, thread pool growth, segment file allocation.
            await Task.WhenAll(Enumerable.Range(0, writers).Select(w => WriteLoopAsync(ledger, w, payload, TimeSpan.FromSeconds(0.5), null)));

            var latencies = Enumerable.Range(0, writers).Select(_ => new List<double>(65_536)).ToArray();
            long records = 0, commits = 0, bytes = 0;
            double ledgerSeconds = 0;
            var gcPause = TimeSpan.Zero;
            // Two raw writers, because on a shared machine neither is always the faster: one thread looping on
            // write+fsync, and one write+fsync per thread-pool work item (the ledger's own pattern). The baseline is the better.
            var rawInline = new RawTally();
            var rawPooled = new RawTally();
            var rawLatencies = new List<double>(65_536);
            while (ledgerSeconds < duration.TotalSeconds)
            {
                var (commitsBefore, bytesBefore) = (store.Appends, store.AppendedBytes);
                var started = Stopwatch.GetTimestamp();
                store.StartTiming();
                var paused = GC.GetTotalPauseDuration();
                var counts = await Task.WhenAll(Enumerable.Range(0, writers).Select(w => WriteLoopAsync(ledger, w, payload, Slice, latencies[w])));
                store.StopTiming();
                gcPause += GC.GetTotalPauseDuration() - paused;
                ledgerSeconds += Stopwatch.GetElapsedTime(started).TotalSeconds;
                var sliceRecords = counts.Sum();
                var sliceCommits = store.Appends - commitsBefore;
                var sliceBytes = store.AppendedBytes - bytesBefore;
                records += sliceRecords;
                commits += sliceCommits;
                bytes += sliceBytes;

                var bytesPerWrite = (int)(sliceBytes / sliceCommits);
                var recordsPerWrite = (double)sliceRecords / sliceCommits;
                rawInline.Add(RunRawInline(raw, ref rawOffset, bytesPerWrite, Slice / 2, rawLatencies), recordsPerWrite);
                var pooled = await RunRawPooledAsync(raw, rawOffset, bytesPerWrite, Slice / 2);
                rawOffset += pooled.Writes * bytesPerWrite;
                rawPooled.Add(pooled, recordsPerWrite);
            }
            var all = latencies.SelectMany(l => l).Order().ToArray();
            var run = new LedgerRun(records / ledgerSeconds, commits / ledgerSeconds, (double)records / commits, (int)(bytes / commits),
                all[all.Length / 2], all[Math.Min(all.Length - 1, (int)(all.Length * 0.99))]);
            rawLatencies.Sort();
            run = run with
            {
                RawP50Ms = rawLatencies[rawLatencies.Count / 2],
                RawP99Ms = rawLatencies[Math.Min(rawLatencies.Count - 1, (int)(rawLatencies.Count * 0.99))],
                StoreAppendP50Us = Median(store.AppendTimes),
                TurnaroundP50Us = Median(store.Turnarounds),
                TurnaroundMeanUs = store.Turnarounds.Average(),
                StoreAppendMeanUs = store.AppendTimes.Average(),
                GcPauseUsPerCommit = gcPause.TotalMicroseconds / commits,
            };
            return (run, Math.Max(rawInline.RecordsPerSecond, rawPooled.RecordsPerSecond));
        }
        finally
        {
            await ledger.DisposeAsync();
            files.Dispose();
            raw.Dispose();
            Directory.Delete(folder, recursive: true);
        }
    }

    private static async Task<long> WriteLoopAsync(BlobLedger ledger, int writer, byte[] payload, TimeSpan duration, List<double>? latencies)
    {
        // Yield first so every writer starts on the thread pool, not inline in the caller.
        await Task.Yield();
        var stream = "bench/" + writer.ToString(CultureInfo.InvariantCulture);
        var entry = new LedgerEntry(stream, "BenchRecord", "", "bench-correlation", "bench-causation", payload);
        var deadline = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        long count = 0;
        while (true)
        {
            var start = Stopwatch.GetTimestamp();
            if (start >= deadline)
                return count;
            await ledger.AppendAsync(entry);
            latencies?.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            count++;
        }
    }

    /// <summary>Sequential writes of <paramref name="bytesPerWrite"/> bytes at the end of the file, each followed by fsync, on this thread.</summary>
    private static (long Writes, double Seconds) RunRawInline(SafeFileHandle handle, ref long offset, int bytesPerWrite, TimeSpan duration, List<double> latencies)
    {
        var buffer = new byte[bytesPerWrite];
        Random.Shared.NextBytes(buffer);
        long writes = 0;
        var started = Stopwatch.GetTimestamp();
        var deadline = started + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        while (true)
        {
            var start = Stopwatch.GetTimestamp();
            if (start >= deadline)
                break;
            RandomAccess.Write(handle, buffer, offset);
            RandomAccess.FlushToDisk(handle);
            latencies.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            offset += buffer.Length;
            writes++;
        }
        return (writes, Stopwatch.GetElapsedTime(started).TotalSeconds);
    }

    /// <summary>The same writes, each write+fsync pair run as its own thread-pool work item.</summary>
    private static async Task<(long Writes, double Seconds)> RunRawPooledAsync(SafeFileHandle handle, long offset, int bytesPerWrite, TimeSpan duration)
    {
        var buffer = new byte[bytesPerWrite];
        Random.Shared.NextBytes(buffer);
        long writes = 0;
        var started = Stopwatch.GetTimestamp();
        var deadline = started + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < deadline)
        {
            var at = offset;
            await Task.Run(() =>
            {
                RandomAccess.Write(handle, buffer, at);
                RandomAccess.FlushToDisk(handle);
            });
            offset += buffer.Length;
            writes++;
        }
        return (writes, Stopwatch.GetElapsedTime(started).TotalSeconds);
    }

    private sealed class RawTally
    {
        private double _records;
        private double _seconds;

        public double RecordsPerSecond => _seconds > 0 ? _records / _seconds : 0;

        public void Add((long Writes, double Seconds) slice, double recordsPerWrite)
        {
            _records += slice.Writes * recordsPerWrite;
            _seconds += slice.Seconds;
        }
    }


    /// <summary>Pass-through store that counts appends (one per group commit) and their bytes.</summary>
    private sealed class CountingBlobStore(IBlobStore inner) : IBlobStore
    {
        private long _appends;
        private long _bytes;

        public long Appends => Interlocked.Read(ref _appends);

        public long AppendedBytes => Interlocked.Read(ref _bytes);

        private long _lastReturn;
        private bool _timing;

        /// <summary>Microseconds each store append took (write+fsync and the file store's own work) since <see cref="StartTiming"/>.</summary>
        public List<double> AppendTimes { get; } = new(1 << 16);

        /// <summary>Microseconds from one append's return to the next append's call: the disk idles meanwhile.</summary>
        public List<double> Turnarounds { get; } = new(1 << 16);

        /// <summary>Times appends from now on; the slice's first append starts no gap (the raw baseline ran before it).</summary>
        public void StartTiming()
        {
            _lastReturn = 0;
            _timing = true;
        }

        public void StopTiming() => _timing = false;

        public async Task<AppendResult> AppendAsync(string name, long expectedOffset, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _appends);
            Interlocked.Add(ref _bytes, data.Length);
            var called = Stopwatch.GetTimestamp();
            var result = await inner.AppendAsync(name, expectedOffset, data, cancellationToken);
            var returned = Stopwatch.GetTimestamp();
            if (_timing)
            {
                if (_lastReturn != 0)
                    Turnarounds.Add(Stopwatch.GetElapsedTime(_lastReturn, called).TotalMicroseconds);
                AppendTimes.Add(Stopwatch.GetElapsedTime(called, returned).TotalMicroseconds);
            }
            _lastReturn = returned;
            return result;
        }

        public Task<bool> CreateIfAbsentAsync(string name, CancellationToken cancellationToken = default) => inner.CreateIfAbsentAsync(name, cancellationToken);

        public Task<int> ReadAsync(string name, long offset, Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReadAsync(name, offset, buffer, cancellationToken);

        public Task<BlobInfo?> GetInfoAsync(string name, CancellationToken cancellationToken = default) => inner.GetInfoAsync(name, cancellationToken);

        public IAsyncEnumerable<BlobInfo> ListAsync(string prefix, CancellationToken cancellationToken = default) => inner.ListAsync(prefix, cancellationToken);

        public Task<BlobContent?> GetAsync(string name, CancellationToken cancellationToken = default) => inner.GetAsync(name, cancellationToken);

        public Task<PutResult> PutAsync(string name, ReadOnlyMemory<byte> data, string? ifMatch, CancellationToken cancellationToken = default) => inner.PutAsync(name, data, ifMatch, cancellationToken);

        public Task<DeleteStatus> DeleteAsync(string name, string? ifMatch = null, CancellationToken cancellationToken = default) => inner.DeleteAsync(name, ifMatch, cancellationToken);
    }
}
