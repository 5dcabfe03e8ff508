using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using static HealthFlow.Benchmarks.HarnessSupport;

namespace HealthFlow.Benchmarks;

/// <summary>One reader's throughput goal: what runs, how big its input is, and the figures it must reach.</summary>
/// <param name="Title">e.g. "X12 throughput".</param>
/// <param name="Input">What is read, e.g. "835" (printed with its size).</param>
/// <param name="InputBytes">Size of the in-memory input.</param>
/// <param name="BaselineName">What the baseline does, e.g. "delimiter scan".</param>
/// <param name="Baseline">The least any reader of the format must do over the same bytes.</param>
/// <param name="ReadName">What the reader does, e.g. "parse + validate + full read".</param>
/// <param name="Read">The reader; returns how many items it produced (claims, event facts).</param>
/// <param name="ItemName">What the items are, e.g. "claims".</param>
/// <param name="GoalMegabytesPerSecond">Goal in MB/s.</param>
/// <param name="GoalRatio">Goal as a fraction of the baseline.</param>
public sealed record ThroughputGoal(
    string Title, string Input, long InputBytes, string BaselineName, Action Baseline, string ReadName, Func<long> Read, string ItemName,
    double GoalMegabytesPerSecond, double GoalRatio);

/// <summary>
/// CPU-time harness for the readers' throughput goals (issues 4 and 5), for a machine too loaded for wall-clock
/// figures: <c>dotnet run -c Release --project tests/HealthFlow.Benchmarks -- x12-throughput|fhir-throughput [rounds]</c>.
/// </summary>
/// <remarks>
/// Each round runs the baseline and then the reader back to back, each <see cref="Repetitions"/> times, and charges
/// each the CPU time of the calling thread (<c>CLOCK_THREAD_CPUTIME_ID</c>, nanosecond resolution; gen0/gen1
/// collections run on the allocating thread so they are included). The process CPU time (adds background GC and JIT
/// threads) is printed beside it. Both share the process, the input and the moment, so their ratio is fair under
/// load. MB = 2^20 bytes. Prints one line per round and a summary with the medians, the ratio and the goal check.
/// </remarks>
public static class ThroughputHarness
{
    private const int Repetitions = 3;

    public static int Run(ThroughputGoal goal, string[] args)
    {
        var rounds = args.Length > 0 && int.TryParse(args[0], NumberStyles.None, CultureInfo.InvariantCulture, out var r) ? r : 9;
        var megabytes = goal.InputBytes / 1048576.0;
        Console.WriteLine(FormattableString.Invariant(
            $"// {goal.Title}, CPU time of one thread: {megabytes:F1} MB {goal.Input}, {rounds} rounds x {Repetitions} repetitions, thread clock {(ThreadCpu.IsPrecise ? "CLOCK_THREAD_CPUTIME_ID" : "process (fallback)")}, server GC {System.Runtime.GCSettings.IsServerGC}, load {LoadAverage()}"));

        // Warm-up: tier-1 code for both paths, caches filled, the GC budget settled.
        for (var i = 0; i < 3; i++)
        {
            goal.Baseline();
            goal.Read();
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
            var (scanThread, _, _) = Measure(goal.Baseline);
            var (readThread, readProc, bytes) = Measure(() => goal.Read());
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
        var items = goal.Read();
        Console.WriteLine(FormattableString.Invariant(
            $"{goal.Title} (median of {rounds}): baseline {goal.BaselineName} {scanMedian:F0} MB/s | {goal.ReadName} {readMedian:F0} MB/s (process CPU {Median(readProcess):F0}) | ratio {100 * ratioMedian:F1}% (of medians {100 * readMedian / scanMedian:F1}%)"));
        Console.WriteLine(FormattableString.Invariant(
            $"  {items} {goal.ItemName}, {allocated / 1048576.0:F1} MB allocated per read ({allocated / (double)Math.Max(1, items):F0} B per item, {allocated / (double)goal.InputBytes:F2} B per input byte), load {LoadAverage()}"));
        Console.WriteLine(gcLine);
        var met = readMedian >= goal.GoalMegabytesPerSecond && ratioMedian >= goal.GoalRatio;
        Console.WriteLine(FormattableString.Invariant(
            $"  goal (>= {goal.GoalMegabytesPerSecond:F0} MB/s and >= {100 * goal.GoalRatio:F0}% of the scan): {(met ? "met" : "NOT met")}"));
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
