using System.Diagnostics;
using System.Globalization;
using HealthFlow.Tests.Shared.Fuzz;

namespace HealthFlow.Benchmarks;

/// <summary>
/// `-- fuzz x12|fhir [inputs]`: the readers' fuzz targets (tests/Shared/Fuzz) for a long run, with progress and CPU
/// time. Failing inputs are saved under tests/fixtures/fuzz-regressions/{target}/; the exit status is 1 when any failed.
/// </summary>
internal static class FuzzRun
{
    public static int Run(string[] args)
    {
        IFuzzTarget? target = args.FirstOrDefault() switch
        {
            "x12" => new X12FuzzTarget(),
            "fhir" => new FhirFuzzTarget(),
            _ => null,
        };
        if (target is null)
        {
            Console.Error.WriteLine("usage: fuzz x12|fhir [inputs]");
            return 2;
        }

        var inputs = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 1_000_000;
        var wall = Stopwatch.StartNew();
        var cpuAtStart = Process.GetCurrentProcess().TotalProcessorTime;
        var summary = FuzzHarness.Run(target, inputs, progress: done =>
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{target.Name}: {done:N0} inputs, {wall.Elapsed.TotalSeconds:0} s")));
        var cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpuAtStart).TotalSeconds;
        foreach (var failure in summary.Failures)
            Console.WriteLine($"FAILED {failure.File}: {failure.Problem}");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"fuzz {summary.Target}: {summary.Inputs:N0} inputs, {summary.Failures.Count} failing, {summary.Elapsed.TotalSeconds:0} s wall, {cpuSeconds:0} s CPU"));
        return summary.Failures.Count == 0 ? 0 : 1;
    }
}
