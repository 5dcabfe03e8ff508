using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using HealthFlow.Finance;
using HealthFlow.Finance.Batching;
using HealthFlow.Finance.Events;
using HealthFlow.Finance.Journals;
using HealthFlow.Finance.Mapping;
using HealthFlow.Finance.Posting;
using HealthFlow.Finance.Reconciliation;
using HealthFlow.Ledger;
using HealthFlow.Ledger.Storage;
using HealthFlow.Pipeline.Bus;
using HealthFlow.Pipeline.Erp;
using HealthFlow.Pipeline.Reconciliation;
using HealthFlow.Pipeline.Runtime;
using HealthFlow.Pipeline.Workflows;
using static HealthFlow.Benchmarks.HarnessSupport;

namespace HealthFlow.Benchmarks;

/// <summary>
/// Reconciliation of one business day of claim payments (issue 7's goal: 1,000,000 in under 10 s and 1 GB):
/// <c>dotnet run -c Release --project tests/HealthFlow.Benchmarks -- reconciliation [--claims 1000000] [--per-835 1000] [--dir PATH] [--rounds N]</c>
/// (<c>reconciliation-run DIR [--rounds N] [--serve]</c> reconciles a kept day again).
/// </summary>
/// <remarks>
/// <para>Not timed: generating the day in a ledger in a temporary folder as the workflows leave it. Each claim was billed
/// (a <c>ClaimSubmitted</c> on the claims topic, the claim index's source) and paid in an 835 of <c>--per-835</c> claims
/// (CLP04 and a CO-45 contractual adjustment); the real <see cref="RemittanceRule"/> builds each 835's journals (cash and
/// contractual per claim: two member journals in <c>workflow/journals</c>), the real <see cref="JournalBatcher"/> batches
/// them per payer as the workflow posts them, each batch gets an <c>ErpAccepted</c> record in <c>erp/posted</c> and a
/// line in the file ERP's <c>erp/journals.jsonl</c>.</para>
/// <para>Timed, in a child process so its peak working set is the reconciliation's own: opening the ledger read-only
/// (walking and indexing the hash chain, as any reader after a restart; the running runtime has it open already),
/// then <see cref="ReconciliationRunner.RunAsync(DateOnly, CancellationToken)"/> for the day (read everything, reconcile, write the CSV tables).</para>
/// </remarks>
public static class ReconciliationHarness
{
    public static async Task<int> RunAsync(string[] args)
    {
        var claims = Option(args, "--claims", 1_000_000);
        var perRemittance = Option(args, "--per-835", 1000);
        var folder = Option(args, "--dir", Path.Combine(Path.GetTempPath(), "healthflow-reconciliation-bench-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture)));
        try
        {
            var generation = Stopwatch.StartNew();
            var (records, journals) = await GenerateAsync(folder, claims, perRemittance);
            Console.WriteLine(FormattableString.Invariant(
                $"generated {claims:N0} claim payments in {claims / perRemittance:N0} 835s: {journals:N0} member journals, {records:N0} ledger records, {DirectorySize(folder) / 1048576.0:N0} MB, in {generation.Elapsed.TotalSeconds:F0} s (not timed)"));

            var start = new ProcessStartInfo(Environment.ProcessPath ?? "dotnet") { UseShellExecute = false };
            if (Path.GetFileNameWithoutExtension(start.FileName) == "dotnet")
                start.ArgumentList.Add(typeof(ReconciliationHarness).Assembly.Location);
            start.ArgumentList.Add("reconciliation-run");
            start.ArgumentList.Add(folder);
            start.ArgumentList.Add("--rounds");
            start.ArgumentList.Add(Option(args, "--rounds", 1).ToString(CultureInfo.InvariantCulture));
            using var child = Process.Start(start) ?? throw new InvalidOperationException("could not start the reconciling process");
            await child.WaitForExitAsync();
            return child.ExitCode;
        }
        finally
        {
            if (!args.Contains("--keep"))
                Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>
    /// The child: open the ledger, reconcile the day, print seconds and peak working set. With <c>--rounds N</c> the day is
    /// reconciled N times in the process. The process is <c>healthflow reconcile</c>'s, with the batch settings
    /// (<see cref="Pipeline.Runtime.BatchProcess"/>), so its first round is that command's; with <c>--serve</c> it keeps the
    /// runtime's defaults as <c>healthflow serve</c> does, and its later rounds are that warm host's (the daily schedule,
    /// its code already compiled at full optimization).
    /// </summary>
    public static async Task<int> RunChildAsync(string[] args)
    {
        var folder = args[0];
        var rounds = Option(args, "--rounds", 1);
        var process = Process.GetCurrentProcess();
        var cpu = process.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        // Opened as the runtime holds it (its reads share the append handle; the scheduled run and the API read this way);
        // a cold process's scans, as `healthflow reconcile`'s, do not hash what the walk at open has just verified.
        using var store = FileBlobStore.OpenWritable(folder);
        var checkHashes = args.Contains("--serve") || BatchProcess.Ledger.ScansCheckHashes;
        await using var ledger = await BlobLedger.OpenAsync(store, new LedgerOptions { SegmentMaxAppends = int.MaxValue, ScansCheckHashes = checkHashes });
        Console.WriteLine(FormattableString.Invariant(
            $"  open ledger (walk + index {ledger.Head:N0} records): {clock.Elapsed.TotalSeconds:F1} s wall, {(Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds:F1} s CPU"));
        var runner = new ReconciliationRunner(ledger, folder, GeneratedRemittances.LoadMasterData(), new PatientTokenizer(GeneratedRemittances.TokenKey), new ReconciliationOptions(), TimeProvider.System);
        ReconciliationReport? report = null;
        for (var round = 1; round <= rounds; round++)
        {
            if (round > 1)
                GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true); // the hours between two daily runs
            process.Refresh();
            cpu = process.TotalProcessorTime;
            var paused = GC.GetTotalPauseDuration();
            var allocated = GC.GetTotalAllocatedBytes(precise: true);
            clock.Restart();
            // The process's peak working set covers every round; each round's own is sampled (a later round starts with
            // the memory the collector kept from the one before).
            using var sampling = new CancellationTokenSource();
            var peak = SamplePeakWorkingSetAsync(sampling.Token);
            report = await runner.RunAsync(GeneratedRemittances.Day);
            var reconciled = clock.Elapsed;
            await sampling.CancelAsync();
            process.Refresh();
            Console.WriteLine(FormattableString.Invariant(
                $"  round {round} ({(round == 1 ? "cold process" : "warm")}): reconcile + write CSVs: {reconciled.TotalSeconds:F1} s wall, {(process.TotalProcessorTime - cpu).TotalSeconds:F1} s CPU, GC paused {(GC.GetTotalPauseDuration() - paused).TotalSeconds:F1} s, allocated {(GC.GetTotalAllocatedBytes(precise: true) - allocated) / 1048576.0:N0} MB, working set up to {await peak / 1048576.0:F0} MB"));
        }
        Console.WriteLine(FormattableString.Invariant(
            $"reconciliation of {GeneratedRemittances.Day:yyyy-MM-dd}: {report!.Remittances.Sum(r => r.Claims):N0} claim payments in {report.Remittances.Count:N0} 835s, {report.Counts.Where(c => c.Stage == "posted").Sum(c => c.Count):N0} journals, {report.Breaks.Count} breaks"));
        Console.WriteLine(FormattableString.Invariant(
            $"  peak working set {process.PeakWorkingSet64 / 1048576.0:F0} MB (all rounds); GC {GC.CollectionCount(0)}/{GC.CollectionCount(1)}/{GC.CollectionCount(2)} (gen0/1/2), paused {GC.GetTotalPauseDuration().TotalSeconds:F1} s; load {LoadAverage()}"));
        return report.Breaks.Count == 0 ? 0 : 1;
    }

    /// <summary>The largest working set seen every 20 ms until <paramref name="stop"/>.</summary>
    private static async Task<long> SamplePeakWorkingSetAsync(CancellationToken stop)
    {
        using var process = Process.GetCurrentProcess();
        var peak = 0L;
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(20));
        do
        {
            process.Refresh();
            peak = Math.Max(peak, process.WorkingSet64);
        }
        while (!stop.IsCancellationRequested && await timer.WaitForNextTickAsync(CancellationToken.None));
        return peak;
    }

    private static async Task<(long Records, long Journals)> GenerateAsync(string folder, int claimCount, int perRemittance)
    {
        var day = new GeneratedRemittances();
        using var store = FileBlobStore.OpenWritable(folder);
        await using var ledger = await BlobLedger.OpenAsync(store, new LedgerOptions { SegmentMaxAppends = int.MaxValue });
        Directory.CreateDirectory(Path.Combine(folder, "erp"));
        await using var erpCopy = new FileStream(Path.Combine(folder, "erp", FileErpConnector.JsonLinesFile), FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        var entries = new List<LedgerEntry>();
        long journalCount = 0;
        for (var r = 0; r < claimCount / perRemittance; r++)
        {
            var remittance = day.Next(r, perRemittance);
            entries.AddRange(remittance.Claims.Select(GeneratedRemittances.Topic));
            entries.Add(GeneratedRemittances.Topic(remittance.Remittance));
            var built = remittance.Built.Journals;
            entries.AddRange(built.Select(member => GeneratedRemittances.MemberJournal(member, remittance)));
            journalCount += built.Count;
            foreach (var batch in JournalBatcher.Batch(built, day.MasterData))
            {
                var journal = batch.Journal;
                erpCopy.Write(JournalFormat.ToJsonLines([journal]));
                var acknowledgement = new ErpAcknowledgement
                {
                    Outcome = ErpOutcome.Accepted,
                    IdempotencyKey = journal.IdempotencyKey,
                    Gateway = "file",
                    Documents = [new ErpDocument(journal.JournalId, journal.IdempotencyKey, "FILE-" + journal.JournalId)],
                    At = DateTimeOffset.UtcNow,
                };
                entries.Add(new LedgerEntry(ErpPostedRegister.Stream, ErpPostedRegister.AcceptedType, journal.IdempotencyKey, journal.Source.CorrelationId, journal.IdempotencyKey,
                    JsonSerializer.SerializeToUtf8Bytes(acknowledgement, ErpPostedRegister.Json)));
            }

            foreach (var chunk in entries.Chunk(4096))
                await ledger.AppendBatchAsync(chunk);
            entries.Clear();
        }

        return (ledger.Head, journalCount);
    }

    private static long DirectorySize(string folder) =>
        new DirectoryInfo(folder).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length);
}
