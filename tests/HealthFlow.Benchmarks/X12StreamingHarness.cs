using System.Diagnostics;
using HealthFlow.X12;
using static HealthFlow.Benchmarks.HarnessSupport;

namespace HealthFlow.Benchmarks;

/// <summary>
/// Peak memory streaming a generated 1 GB 835 from disk, as <see cref="X12StreamingBenchmarks"/> but without
/// BenchmarkDotNet's host: <c>dotnet run -c Release --project tests/HealthFlow.Benchmarks -- x12-streaming [MB]</c>.
/// </summary>
/// <remarks>
/// The file is written by this process, then parsed by a fresh child process (<c>x12-streaming-parse PATH</c>), so
/// the peak working set it prints is what streaming the file costs: the runtime, the parser's buffers, the GC's
/// gen0 budget and the envelopes the result keeps, and nothing left over from generating the input. Environment
/// variables (e.g. <c>DOTNET_GCgen0MaxBudget</c>) pass to the child.
/// </remarks>
public static class X12StreamingHarness
{
    public static int Run(string[] args)
    {
        var megabytes = args.Length > 0 && long.TryParse(args[0], System.Globalization.CultureInfo.InvariantCulture, out var mb) ? mb : 1024;
        var path = Path.Combine(Path.GetTempPath(), $"healthflow-x12-stream-{Environment.ProcessId}.835");
        try
        {
            using (var output = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
            {
                new X12Generator(2026).Write835(output, megabytes << 20);
            }

            var start = new ProcessStartInfo(Environment.ProcessPath ?? "dotnet") { UseShellExecute = false };
            if (Path.GetFileNameWithoutExtension(start.FileName) == "dotnet")
            {
                start.ArgumentList.Add(typeof(X12StreamingHarness).Assembly.Location);
            }

            start.ArgumentList.Add("x12-streaming-parse");
            start.ArgumentList.Add(path);
            using var child = Process.Start(start) ?? throw new InvalidOperationException("could not start the parsing process");
            child.WaitForExit();
            return child.ExitCode;
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>The child: parse <paramref name="args"/>[0] from disk, documents not retained, and print the peak.</summary>
    public static int Parse(string[] args)
    {
        var path = args[0];
        var stopwatch = Stopwatch.StartNew();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        long claims = 0;
        X12ParseResult result;
        using (var input = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16))
        {
            result = X12Parser.Parse(input, new X12ParseOptions
            {
                TokenizePhi = X12BenchmarkDocument.Tokenize,
                RetainDocuments = false,
                TransactionSetCompleted = (_, _, set) => claims += set.Remittance!.Claims.Count,
            });
        }

        cpu = Process.GetCurrentProcess().TotalProcessorTime - cpu;
        using var process = Process.GetCurrentProcess();
        var peak = process.PeakWorkingSet64;
        var size = new FileInfo(path).Length / 1048576.0;
        Console.WriteLine(FormattableString.Invariant(
            $"X12 streaming: {size:F0} MB file, {claims} claims, accepted {result.AllAccepted}, {cpu.TotalSeconds:F1} s CPU ({size / cpu.TotalSeconds:F0} MB/s), {stopwatch.Elapsed.TotalSeconds:F1} s wall"));
        Console.WriteLine(FormattableString.Invariant(
            $"  peak working set of the parsing process: {peak / 1048576.0:F0} MB; GC {GC.CollectionCount(0)} gen0 / {GC.CollectionCount(1)} gen1 / {GC.CollectionCount(2)} gen2, heap after {GC.GetTotalMemory(false) / 1048576.0:F0} MB; load {LoadAverage()}"));
        return result.AllAccepted ? 0 : 1;
    }
}
