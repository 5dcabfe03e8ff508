namespace HealthFlow.Benchmarks;

/// <summary>
/// Issue 4's goal on <see cref="ThroughputHarness"/>: <see cref="X12ThroughputBenchmarks.DelimiterScan"/> against
/// <see cref="X12ThroughputBenchmarks.ParseValidateAndRead"/> (parse + validate + full typed read of a ~50 MB 835, one thread).
/// </summary>
public static class X12ThroughputHarness
{
    public static int Run(string[] args)
    {
        var benchmark = new X12ThroughputBenchmarks();
        benchmark.Setup();
        return ThroughputHarness.Run(new ThroughputGoal(
            "X12 throughput", "835", X12BenchmarkDocument.Bytes.Length,
            "delimiter scan", () => benchmark.DelimiterScan(),
            "parse + validate + full read", () => benchmark.ParseValidateAndRead(), "claims",
            GoalMegabytesPerSecond: 250, GoalRatio: 0.60), args);
    }
}
