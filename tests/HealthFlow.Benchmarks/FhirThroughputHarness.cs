namespace HealthFlow.Benchmarks;

/// <summary>
/// Issue 5's goal on <see cref="ThroughputHarness"/>: <see cref="FhirThroughputBenchmarks.Utf8JsonReaderTokenScan"/>
/// against <see cref="FhirThroughputBenchmarks.ReadValidateAndDeriveEventFacts"/> (the sink overload that keeps no
/// entries, plus event facts per entry, over a ~52 MB transaction Bundle, one thread).
/// </summary>
public static class FhirThroughputHarness
{
    public static int Run(string[] args)
    {
        var benchmark = new FhirThroughputBenchmarks();
        benchmark.Setup();
        return ThroughputHarness.Run(new ThroughputGoal(
            "FHIR throughput", "transaction Bundle (seed 42)", FhirBenchmarkDocument.Bytes.Length,
            "Utf8JsonReader token scan", () => benchmark.Utf8JsonReaderTokenScan(),
            "read + validate + event facts", () => benchmark.ReadValidateAndDeriveEventFacts(), "event facts",
            GoalMegabytesPerSecond: 150, GoalRatio: 0.30), args);
    }
}
