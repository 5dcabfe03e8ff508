namespace HealthFlow.Benchmarks;

/// <summary>
/// Issue 4's goal on <see cref="ThroughputHarness"/>: <see cref="X12ThroughputBenchmarks.DelimiterScan"/> against
/// <see cref="X12ThroughputBenchmarks.ParseAndCanonicalize"/> (what <c>POST /api/x12</c> does with a ~50 MB 835 on one
/// thread: parse, validate, 999, canonical events with keyed tokens), or, without <c>canonical</c>, against
/// <see cref="X12ThroughputBenchmarks.ParseValidateAndRead"/> (the parser's typed read alone, with a stand-in tokenizer).
/// </summary>
public static class X12ThroughputHarness
{
    public static int Run(string[] args, bool canonical)
    {
        var benchmark = new X12ThroughputBenchmarks();
        benchmark.Setup();
        return ThroughputHarness.Run(new ThroughputGoal(
            canonical ? "X12 parse + canonicalize" : "X12 typed read", "835", X12BenchmarkDocument.Bytes.Length,
            "delimiter scan", () => benchmark.DelimiterScan(),
            canonical ? "parse + validate + 999 + canonical events" : "parse + validate + full read",
            canonical ? () => benchmark.ParseAndCanonicalize() : () => benchmark.ParseValidateAndRead(), "claims",
            GoalMegabytesPerSecond: 250, GoalRatio: 0.60), args);
    }
}
