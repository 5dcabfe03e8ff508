using System.Globalization;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace HealthFlow.Benchmarks;

/// <summary>
/// BenchmarkDotNet configuration of the readers' throughput benchmarks: monitoring strategy (each call is ~0.1–1 s),
/// plus an MB/s column and a "% of scan" column against the class's baseline method. One subclass per reader, because
/// <c>[Config]</c> takes a type with a parameterless constructor.
/// </summary>
public abstract class ThroughputConfig : ManualConfig
{
    /// <param name="format">Short name of the input, e.g. "X12", used in column ids and legends.</param>
    /// <param name="inputBytes">Size of the input every benchmark call reads.</param>
    /// <param name="baseline">What the baseline does, for the legend.</param>
    protected ThroughputConfig(string format, Func<long> inputBytes, string baseline)
    {
        AddJob(Job.Default.WithStrategy(RunStrategy.Monitoring).WithLaunchCount(1).WithWarmupCount(3).WithIterationCount(15));
        AddColumn(new ThroughputColumn(format, inputBytes), new ShareOfBaselineColumn(format, baseline));
        AddColumnProvider(DefaultColumnProviders.Instance);
        AddLogger(BenchmarkDotNet.Loggers.ConsoleLogger.Default);
    }

    private static double? MedianSeconds(Summary summary, BenchmarkCase benchmarkCase) =>
        summary[benchmarkCase]?.ResultStatistics?.Median is { } ns ? ns / 1e9 : null;

    private abstract class CustomColumn(string id, string name, int priority, string legend) : IColumn
    {
        public string Id => id;
        public string ColumnName => name;
        public bool AlwaysShow => true;
        public ColumnCategory Category => ColumnCategory.Custom;
        public int PriorityInCategory => priority;
        public bool IsNumeric => true;
        public UnitType UnitType => UnitType.Dimensionless;
        public string Legend => legend;

        public abstract string GetValue(Summary summary, BenchmarkCase benchmarkCase);

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) => GetValue(summary, benchmarkCase);

        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

        public bool IsAvailable(Summary summary) => true;
    }

    private sealed class ThroughputColumn(string format, Func<long> inputBytes)
        : CustomColumn($"{format}MBps", "MB/s", 0, $"Megabytes (2^20) of {format} per second, one thread, from the median")
    {
        public override string GetValue(Summary summary, BenchmarkCase benchmarkCase) =>
            MedianSeconds(summary, benchmarkCase) is { } seconds
                ? (inputBytes() / 1048576.0 / seconds).ToString("F0", CultureInfo.InvariantCulture)
                : "?";
    }

    private sealed class ShareOfBaselineColumn(string format, string baseline)
        : CustomColumn($"{format}ShareOfScan", "% of scan", 1, $"Throughput as a share of the {baseline} of the same bytes")
    {
        public override string GetValue(Summary summary, BenchmarkCase benchmarkCase)
        {
            var baselineCase = summary.BenchmarksCases.FirstOrDefault(c => c.Descriptor.Baseline);
            return baselineCase is not null && MedianSeconds(summary, baselineCase) is { } scan && MedianSeconds(summary, benchmarkCase) is { } seconds
                ? (100 * scan / seconds).ToString("F0", CultureInfo.InvariantCulture) + "%"
                : "?";
        }
    }
}

/// <summary>The X12 835 throughput benchmark's configuration.</summary>
public sealed class X12ThroughputConfig() : ThroughputConfig("X12", () => X12BenchmarkDocument.Bytes.Length, "SearchValues delimiter scan");

/// <summary>The FHIR Bundle throughput benchmark's configuration.</summary>
public sealed class FhirThroughputConfig() : ThroughputConfig("FHIR", () => FhirBenchmarkDocument.Bytes.Length, "Utf8JsonReader token scan");
