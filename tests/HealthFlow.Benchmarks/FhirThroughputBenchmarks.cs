using System.Text.Json;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using HealthFlow.Fhir;
using HealthFlow.Fhir.Generation;

namespace HealthFlow.Benchmarks;

/// <summary>
/// FHIR read + validate + event facts on one thread, for a ~50 MB generated transaction Bundle (seed 42), next to a
/// plain Utf8JsonReader token scan of the same bytes: the speed limit for JSON on this machine.
/// Run: <c>dotnet run -c Release --project tests/HealthFlow.Benchmarks -- --filter '*FhirThroughput*'</c>.
/// The MB/s and "% of scan" columns are the figures issue 5 asks for (goal: ≥ 150 MB/s and ≥ 30%). On a loaded machine
/// wall clock misleads: <c>-- fhir-throughput [rounds]</c> runs the same two methods in CPU time of the thread and prints
/// baseline, reader and ratio in one run (<see cref="FhirThroughputHarness"/>).
/// </summary>
[Config(typeof(FhirThroughputConfig))]
public class FhirThroughputBenchmarks
{
    private byte[] _bundle = [];

    [GlobalSetup]
    public void Setup() => _bundle = FhirBenchmarkDocument.Bytes;

    /// <summary>Token scan only: every token read, nothing interpreted.</summary>
    [Benchmark(Baseline = true)]
    public long Utf8JsonReaderTokenScan()
    {
        var reader = new Utf8JsonReader(_bundle);
        long tokens = 0;
        while (reader.Read())
        {
            tokens++;
        }

        return tokens;
    }

    /// <summary>
    /// The Pipeline's path for large Bundles: the sink overload of <see cref="FhirReader"/> (entries streamed, none kept),
    /// validation, Bundle references, and event facts derived per entry as it arrives and then dropped.
    /// </summary>
    [Benchmark]
    public int ReadValidateAndDeriveEventFacts()
    {
        var sink = new FactSink();
        var stream = FhirReader.Read(_bundle, FhirBenchmarkDocument.Tokenize, sink);
        if (!stream.Result.Accepted)
        {
            throw new InvalidOperationException("the generated Bundle must be accepted");
        }

        return sink.Facts;
    }

    private sealed class FactSink : IFhirEntrySink
    {
        public int Facts { get; private set; }

        public void OnEntry(FhirEntry entry)
        {
            if (entry.Resource is not null)
            {
                Facts += FhirEventFacts.From(entry.Resource).Length;
            }
        }
    }
}

/// <summary>The benchmark document, identical in the host and the benchmark process (same seed).</summary>
public static class FhirBenchmarkDocument
{
    private static readonly Lazy<byte[]> Document = new(() => new FhirGenerator(42).BundleOfSize(50L << 20));

    public static byte[] Bytes => Document.Value;

    /// <summary>A cheap deterministic stand-in for the Pipeline's HMAC tokenizer (HMAC cost is the Pipeline's, not the reader's).</summary>
    public static string Tokenize(string identity) => "pt_" + identity.Length.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

