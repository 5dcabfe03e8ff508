using System.Buffers;
using System.Diagnostics;
using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using HealthFlow.Finance;
using HealthFlow.Finance.Events;
using HealthFlow.Pipeline.Ingestion;
using HealthFlow.Pipeline.Ingestion.X12;
using HealthFlow.X12;

namespace HealthFlow.Benchmarks;

/// <summary>
/// X12 835 parse + envelope/segment validation + full typed read (claims, lines, CAS, PLB, balancing inputs) on one
/// thread, for a ~50 MB generated 835 (seed 2026) held in memory, next to the least any tokenizer must do: walk the
/// same bytes finding every element, component, repetition and segment delimiter with <c>SearchValues</c>/<c>IndexOfAny</c>.
/// Run: <c>dotnet run -c Release --project tests/HealthFlow.Benchmarks -- --filter '*X12Throughput*'</c>.
/// Issue 4's goal (≥ 250 MB/s and ≥ 60% of the scan) is about <see cref="ParseAndCanonicalize"/>, the whole ingestion
/// path; <see cref="ParseValidateAndRead"/> is the parser alone.
/// </summary>
[Config(typeof(X12ThroughputConfig))]
public class X12ThroughputBenchmarks
{
    private static readonly SearchValues<byte> Delimiters = SearchValues.Create("*:^~"u8);
    private readonly X12Processor _processor = new(TimeProvider.System);
    private readonly PatientTokenizer _tokenizer = new(SHA256.HashData("healthflow-benchmark-key"u8));
    private byte[] _input = [];
    private int _claims;

    [GlobalSetup]
    public void Setup()
    {
        _input = X12BenchmarkDocument.Bytes;
        _claims = ParseValidateAndRead(); // the canonical events are JSON: their claims are counted from the typed read
    }

    /// <summary>Every delimiter found, nothing interpreted.</summary>
    [Benchmark(Baseline = true)]
    public long DelimiterScan()
    {
        var rest = _input.AsSpan();
        long delimiters = 0;
        while (true)
        {
            var at = rest.IndexOfAny(Delimiters);
            if (at < 0)
            {
                return delimiters;
            }

            delimiters++;
            rest = rest[(at + 1)..];
        }
    }

    /// <summary>The ingestion path with the cheap stand-in tokenizer (PHI tokenisation cost belongs to the Pipeline).</summary>
    [Benchmark]
    public int ParseValidateAndRead() => Read(X12BenchmarkDocument.Tokenize);

    /// <summary>The same with a real keyed HMAC-SHA256 per name and member id, as the Pipeline does.</summary>
    [Benchmark]
    public int ParseValidateAndReadWithHmacTokens() => Read(X12BenchmarkDocument.HmacTokenize);

    /// <summary>
    /// What <c>POST /api/x12</c> does with the bytes: <see cref="X12Processor"/> parses and validates them, writes the 999,
    /// and maps the accepted 835 to its canonical <c>RemittanceReceived</c> events, names and member ids keyed-HMAC tokens,
    /// written as the JSON the ledger stores.
    /// </summary>
    [Benchmark]
    public int ParseAndCanonicalize()
    {
        var result = _processor.Process(_input, new ProcessingContext("rcpt_benchmark", "benchmark", _tokenizer.Tokenize));
        if (!result.Accepted || result.Events.Count == 0 || result.Events.Any(e => e.Message.Type != nameof(RemittanceReceived)))
        {
            throw new InvalidOperationException("the generated 835 must be accepted as remittances");
        }

        return _claims;
    }

    private int Read(Func<string, string> tokenize)
    {
        var claims = 0;
        var result = X12Parser.Parse(_input, new X12ParseOptions
        {
            TokenizePhi = tokenize,
            RetainDocuments = false,
            TransactionSetCompleted = (_, _, set) => claims += set.Remittance!.IsBalanced ? set.Remittance.Claims.Count : 0,
        });
        if (!result.AllAccepted || claims == 0)
        {
            throw new InvalidOperationException("the generated 835 must be accepted and balanced");
        }

        return claims;
    }
}

/// <summary>The benchmark document, identical in the host and the benchmark process (same seed).</summary>
public static class X12BenchmarkDocument
{
    private static readonly Lazy<byte[]> Document = new(() => new X12Generator(2026).Generate835(50L << 20));
    private static readonly byte[] HmacKey = SHA256.HashData("healthflow-benchmark-key"u8);

    [ThreadStatic]
    private static HMACSHA256? hmac;

    public static byte[] Bytes => Document.Value;

    /// <summary>A cheap deterministic stand-in for the Pipeline's HMAC tokenizer (same as the FHIR benchmark's).</summary>
    public static string Tokenize(string identity) => "pt_" + identity.Length.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Keyed HMAC-SHA256, one reusable instance per thread (the key schedule is not redone per call).</summary>
    public static string HmacTokenize(string identity)
    {
        hmac ??= new HMACSHA256(HmacKey);
        Span<byte> hash = stackalloc byte[32];
        var bytes = System.Text.Encoding.UTF8.GetBytes(identity);
        hmac.TryComputeHash(bytes, hash, out _);
        return Convert.ToHexStringLower(hash);
    }
}

/// <summary>
/// Peak memory while streaming a generated 1 GB 835 from disk (goal: &lt; 150 MB). One cold run: the file is written
/// in setup (streaming, bounded), parsed from a <see cref="FileStream"/> with documents handed to a callback and not
/// retained, and the process's peak working set is printed in cleanup.
/// Run: <c>dotnet run -c Release --project tests/HealthFlow.Benchmarks -- --filter '*X12Streaming*'</c>.
/// </summary>
[SimpleJob(RunStrategy.ColdStart, launchCount: 1, warmupCount: 0, iterationCount: 1)]
public class X12StreamingBenchmarks
{
    private const long TargetBytes = 1L << 30;
    private string _path = "";
    private long _claims;

    [GlobalSetup]
    public void Setup()
    {
        _path = Path.Combine(Path.GetTempPath(), $"healthflow-x12-1gb-{Environment.ProcessId}.835");
        using var file = new FileStream(_path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        new X12Generator(2026).Write835(file, TargetBytes);
    }

    [Benchmark]
    public long StreamOneGigabyteFromDisk()
    {
        _claims = 0;
        using var file = new FileStream(_path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        var result = X12Parser.Parse(file, new X12ParseOptions
        {
            TokenizePhi = X12BenchmarkDocument.Tokenize,
            RetainDocuments = false,
            TransactionSetCompleted = (_, _, set) => _claims += set.Remittance!.Claims.Count,
        });
        if (!result.AllAccepted)
        {
            throw new InvalidOperationException("the generated 835 must be accepted");
        }

        return result.BytesRead;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        var peak = Process.GetCurrentProcess().PeakWorkingSet64;
        Console.WriteLine($"// X12 streaming: {new FileInfo(_path).Length / 1048576.0:F0} MB file, {_claims} claims, peak working set {peak / 1048576.0:F0} MB");
        File.Delete(_path);
    }
}
