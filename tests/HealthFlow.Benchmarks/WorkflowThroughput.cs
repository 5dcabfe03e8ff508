using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using HealthFlow.Hl7.Generation;
using HealthFlow.Pipeline.Orchestration;
using HealthFlow.Pipeline.Runtime;
using HealthFlow.Pipeline.Workflows;
using HealthFlow.X12;
using Microsoft.Extensions.DependencyInjection;
using HealthFlow.Tests.Shared;
using static HealthFlow.Benchmarks.HarnessSupport;

namespace HealthFlow.Benchmarks;

/// <summary>
/// Issue 6's figures, in one run on the embedded runtime with durability on (file ledger, fsync, file ERP):
/// discharge-to-bill orchestrations completed per second and remittance claim payments posted per second.
/// </summary>
/// <remarks>
/// <para>Everything goes in over real HTTP on loopback, as vendors send it. Discharge to bill: generated encounters
/// (HL7 v2 ADT and DFT, each encounter's messages in order, 32 encounters at a time) → instances until every one has
/// ended; <c>Workflows:QuietPeriodSeconds</c> = 0 so that the figure is the engine's, not the quiet period's.
/// Remittance to GL: 837s billing the claims are sent and indexed first (not timed), then 835s paying them (one
/// interchange per 1,000 claims, a transaction set per payer, 4 in flight) → until every RemittanceToGl instance has
/// completed, each having had its journals acknowledged by the file ERP.</para>
/// <para>Not BenchmarkDotNet: the figure is a closed-loop throughput of a whole runtime (see LedgerThroughput.cs).</para>
/// </remarks>
internal static class WorkflowThroughput
{
    private const string VendorKey = "bench-vendor-key";

    public static async Task<int> RunAsync(string[] args)
    {
        var encounters = Option(args, "--encounters", 2_000);
        var claims = Option(args, "--claims", 20_000);
        var folder = Path.Combine(Path.GetTempPath(), "healthflow-workflow-bench-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        var configuration = LocalSettings.Build(folder, new Dictionary<string, string?>
        {
            ["HealthFlow:Data"] = folder,
            ["HealthFlow:Urls"] = "http://127.0.0.1:0",
            ["Vendors:bench:Key"] = VendorKey,
            ["Logging:LogLevel:Default"] = Environment.GetEnvironmentVariable("BENCH_LOG") ?? "Error",
            ["Logging:Console:TimestampFormat"] = "HH:mm:ss.fff ",
            ["Workflows:QuietPeriodSeconds"] = "0",
            ["Workflows:RouterConcurrency"] = Environment.GetEnvironmentVariable("BENCH_ROUTERS") ?? "8",
        });
        Console.WriteLine($"Workflow throughput on the embedded runtime (file ledger with fsync, file ERP), {Environment.ProcessorCount} cores, data in {folder}");
        try
        {
            await using var runtime = await LocalRuntime.StartAsync(configuration);
            using var http = new HttpClient { BaseAddress = runtime.Address, Timeout = TimeSpan.FromMinutes(5) };
            http.DefaultRequestHeaders.Add("x-functions-key", VendorKey);

            var dischargeToBill = encounters > 0 ? await DischargeToBillAsync(runtime, http, encounters) : 0;
            var remittance = claims > 0 ? await RemittanceToGlAsync(runtime, http, claims) : 0;
            Console.WriteLine($"RESULT discharge-to-bill {dischargeToBill:N0} orchestrations/s (goal 2,000); remittance-to-GL {remittance:N0} claim payments/s (goal 10,000)");
            return 0;
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static async Task<double> DischargeToBillAsync(LocalRuntime runtime, HttpClient http, int encounterCount)
    {
        var generator = new Hl7Generator(7);
        var encounters = Enumerable.Range(0, encounterCount).Select(_ => generator.NextEncounter()).ToList();
        var clock = Stopwatch.StartNew();
        await Parallel.ForEachAsync(encounters, new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (messages, cancellationToken) =>
        {
            foreach (var message in messages)
                await PostAsync(http, "api/hl7v2", "x-application/hl7-v2+er7", message.ToBytes(), cancellationToken);
        });
        var sent = clock.Elapsed;
        var completed = await UntilEndedAsync(runtime, "discharge:", expected: null);
        var elapsed = clock.Elapsed;
        var rate = completed / elapsed.TotalSeconds;
        Console.WriteLine($"discharge-to-bill: {encounterCount:N0} encounters ({encounters.Sum(e => e.Count):N0} HL7 messages, sent in {sent.TotalSeconds:F1} s), " +
            $"{completed:N0} instances completed in {elapsed.TotalSeconds:F1} s = {rate:N0} orchestrations/s");
        return rate;
    }

    private static async Task<double> RemittanceToGlAsync(LocalRuntime runtime, HttpClient http, int claimCount)
    {
        var generator = new X12Generator(11);
        var billed = new List<Claim>(claimCount);
        while (billed.Count < claimCount)
        {
            using var batch = new MemoryStream();
            billed.AddRange(generator.Write837(batch, ClaimKind.Institutional, Math.Min(1_000, claimCount - billed.Count)).Claims);
            await PostAsync(http, "api/x12", "application/edi-x12", batch.ToArray(), CancellationToken.None);
        }

        var readModels = runtime.Services.GetRequiredService<WorkflowReadModels>();
        await Poll.UntilAsync(() => Task.FromResult(readModels.FindClaim(billed[^1].ControlNumber) is not null), "the last claim to be indexed", TimeSpan.FromMinutes(10));

        var remittances = billed.Chunk(1_000).Select(chunk =>
        {
            using var stream = new MemoryStream();
            var totals = generator.Write835For(stream, chunk);
            return (Bytes: stream.ToArray(), totals.TransactionSets);
        }).ToList();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        await Parallel.ForEachAsync(remittances, new ParallelOptions { MaxDegreeOfParallelism = 4 },
            async (remittance, cancellationToken) => await PostAsync(http, "api/x12", "application/edi-x12", remittance.Bytes, cancellationToken));
        var sent = clock.Elapsed;
        var expected = remittances.Sum(r => r.TransactionSets);
        await UntilEndedAsync(runtime, "remit:", expected);
        var elapsed = clock.Elapsed;
        var rate = claimCount / elapsed.TotalSeconds;
        // CPU time of the whole process over the timed part: on a loaded machine it varies less than the wall clock.
        var cpuPerClaim = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMicroseconds / claimCount;
        Console.WriteLine($"remittance-to-GL: {claimCount:N0} claim payments in {remittances.Count} 835s ({expected} transaction sets, sent in {sent.TotalSeconds:F1} s), " +
            $"posted in {elapsed.TotalSeconds:F1} s = {rate:N0} claim payments/s, {cpuPerClaim:N0} µs CPU per claim payment, load {LoadAverage()}");
        return rate;
    }

    /// <summary>
    /// Waits until every instance under <paramref name="prefix"/> has ended or waits for an operator (a mapping fix the
    /// generated data asks for now and then), and, when given, <paramref name="expected"/> have completed; returns how many completed.
    /// </summary>
    private static async Task<int> UntilEndedAsync(LocalRuntime runtime, string prefix, int? expected)
    {
        var completed = 0;
        await Poll.UntilAsync(async () =>
        {
            var all = await ListAsync(runtime, prefix);
            completed = all.Count(i => i.RuntimeStatus == OrchestrationRuntimeStatus.Completed);
            var settled = all.Count(i => i.RuntimeStatus is not (OrchestrationRuntimeStatus.Pending or OrchestrationRuntimeStatus.Running)
                || i.SerializedCustomStatus?.Contains("waiting for a mapping fix", StringComparison.Ordinal) == true);
            return all.Count > 0 && settled == all.Count && (expected is null || completed >= expected);
        }, $"the {prefix} instances to end", TimeSpan.FromMinutes(10));
        return completed;
    }

    private static Task<List<OrchestrationMetadata>> ListAsync(LocalRuntime runtime, string prefix) =>
        runtime.Orchestrations.ListAllInstancesAsync(new OrchestrationQuery(null, prefix, PageSize: 1000));

    private static async Task PostAsync(HttpClient http, string path, string mediaType, byte[] body, CancellationToken cancellationToken)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
        using var response = await http.PostAsync(new Uri(path, UriKind.Relative), content, cancellationToken);
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"POST {path} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken)}");
    }
}
