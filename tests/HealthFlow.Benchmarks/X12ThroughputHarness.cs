using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace HealthFlow.Benchmarks;

/// <summary>
/// CPU-time harness for issue 4's throughput goal, for a machine too loaded for wall-clock figures:
/// <c>dotnet run -c Release --project tests/HealthFlow.Benchmarks -- x12-throughput [rounds]</c>.
/// </summary>
/// <remarks>
/// Each round runs the <see cref="X12ThroughputBenchmarks.DelimiterScan"/> baseline and then
/// <see cref="X12ThroughputBenchmarks.ParseValidateAndRead"/> (parse + validate + full typed read of the same
/// ~50 MB 835, one thread) back to back, each <see cref="Repetitions"/> times, and charges each the CPU time of
/// the calling thread (<c>CLOCK_THREAD_CPUTIME_ID</c>, nanosecond resolution; gen0/gen1 collections run on the
/// allocating thread so they are included). The process CPU time (adds background GC and JIT threads) is printed
/// beside it. Both share the process, the input and the moment, so their ratio is fair under load.
/// MB = 2^20 bytes. Prints one line per round and a summary with the medians, the ratio and the goal check.
/// </remarks>
public static class X12ThroughputHarness
{
    private const int Repetitions = 3;

    public static int Run(string[] args)
    {
        var rounds = args.Length > 0 && int.TryParse(args[0], NumberStyles.None, CultureInfo.InvariantCulture, out var r) ? r : 9;
        var benchmark = new X12ThroughputBenchmarks();
        benchmark.Setup();
        var megabytes = X12BenchmarkDocument.Bytes.Length / 1048576.0;
        Console.WriteLine(FormattableString.Invariant(
            $"// X12 throughput, CPU time of one thread: {megabytes:F1} MB 835, {rounds} rounds x {Repetitions} repetitions, thread clock {(ThreadCpu.IsPrecise ? "CLOCK_THREAD_CPUTIME_ID" : "process (fallback)")}, load {LoadAverage()}"));

        // Warm-up: tier-1 code for both paths, the code cache filled, the GC budget settled.
        for (var i = 0; i < 3; i++)
        {
            benchmark.DelimiterScan();
            benchmark.ParseValidateAndRead();
        }

        var scan = new List<double>();
        var read = new List<double>();
        var readProcess = new List<double>();
        var ratios = new List<double>();
        long allocated = 0;
        var gen0Before = GC.CollectionCount(0);
        var gen1Before = GC.CollectionCount(1);
        var gen2Before = GC.CollectionCount(2);
        var pauseBefore = GC.GetTotalPauseDuration();
        var readSeconds = 0.0;
        for (var round = 1; round <= rounds; round++)
        {
            var (scanThread, _, _) = Measure(() => benchmark.DelimiterScan());
            var (readThread, readProc, bytes) = Measure(() => benchmark.ParseValidateAndRead());
            readSeconds += readThread;
            var scanRate = megabytes * Repetitions / scanThread;
            var readRate = megabytes * Repetitions / readThread;
            scan.Add(scanRate);
            read.Add(readRate);
            readProcess.Add(megabytes * Repetitions / readProc);
            ratios.Add(readRate / scanRate);
            allocated = bytes / Repetitions;
            Console.WriteLine(FormattableString.Invariant(
                $"round {round,2}: scan {scanRate,6:F0} MB/s  read {readRate,6:F0} MB/s ({readProcess[^1],4:F0} by process CPU)  ratio {100 * readRate / scanRate,5:F1}%"));
        }

        var reads = rounds * Repetitions;
        var gcLine = FormattableString.Invariant(
            $"  GC per read: {(GC.CollectionCount(0) - gen0Before) / (double)reads:F1} gen0, {(GC.CollectionCount(1) - gen1Before) / (double)reads:F1} gen1, {(GC.CollectionCount(2) - gen2Before) / (double)reads:F1} gen2; pauses {100 * (GC.GetTotalPauseDuration() - pauseBefore).TotalSeconds / readSeconds:F0}% of the read CPU time (wall-clock pauses, inflated under load)");
        var scanMedian = Median(scan);
        var readMedian = Median(read);
        var ratioMedian = Median(ratios);
        var claims = benchmark.ParseValidateAndRead();
        Console.WriteLine(FormattableString.Invariant(
            $"X12 throughput (median of {rounds}): baseline delimiter scan {scanMedian:F0} MB/s | parse + validate + full read {readMedian:F0} MB/s (process CPU {Median(readProcess):F0}) | ratio {100 * ratioMedian:F1}% (of medians {100 * readMedian / scanMedian:F1}%)"));
        Console.WriteLine(FormattableString.Invariant(
            $"  {claims} claims, {allocated / 1048576.0:F0} MB allocated per read ({allocated / (double)claims:F0} B per claim), load {LoadAverage()}"));
        Console.WriteLine(gcLine);
        var met = readMedian >= 250 && ratioMedian >= 0.60;
        Console.WriteLine($"  goal (>= 250 MB/s and >= 60% of the scan): {(met ? "met" : "NOT met")}");
        return 0;
    }

    private static (double ThreadSeconds, double ProcessSeconds, long Allocated) Measure(Action action)
    {
        var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        var processBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var threadBefore = ThreadCpu.Seconds();
        for (var i = 0; i < Repetitions; i++)
        {
            action();
        }

        var thread = ThreadCpu.Seconds() - threadBefore;
        var process = (Process.GetCurrentProcess().TotalProcessorTime - processBefore).TotalSeconds;
        return (thread, process, GC.GetAllocatedBytesForCurrentThread() - allocatedBefore);
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static string LoadAverage()
    {
        try
        {
            return File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ')[..3]) : "n/a";
        }
        catch (IOException)
        {
            return "n/a";
        }
    }

    /// <summary>CPU time of the calling thread; falls back to process CPU time where the POSIX clock is missing.</summary>
    private static class ThreadCpu
    {
        private const int ClockThreadCpuTimeId = 3;

        public static bool IsPrecise { get; } = Probe();

        public static double Seconds()
        {
            if (IsPrecise && NativeMethods.clock_gettime(ClockThreadCpuTimeId, out var now) == 0)
            {
                return now.Seconds + (now.Nanoseconds / 1e9);
            }

            return Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;
        }

        private static bool Probe()
        {
            try
            {
                return OperatingSystem.IsLinux() && NativeMethods.clock_gettime(ClockThreadCpuTimeId, out _) == 0;
            }
            catch (DllNotFoundException)
            {
                return false;
            }
            catch (EntryPointNotFoundException)
            {
                return false;
            }
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    private static class NativeMethods
    {
        [DllImport("libc", EntryPoint = "clock_gettime")]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int clock_gettime(int clockId, out TimeSpec time);
    }
}
