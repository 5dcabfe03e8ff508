using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using HealthFlow.Finance;
using HealthFlow.Finance.Batching;
using HealthFlow.Finance.Events;
using HealthFlow.Finance.Mapping;
using HealthFlow.Finance.Posting;
using HealthFlow.Ledger;
using HealthFlow.Ledger.Storage;
using HealthFlow.Pipeline.Bus;
using HealthFlow.Pipeline.ReadModels;
using HealthFlow.Pipeline.Runtime;
using HealthFlow.Pipeline.Workflows;
using static HealthFlow.Benchmarks.HarnessSupport;

namespace HealthFlow.Benchmarks;

/// <summary>
/// Full rebuild of the finance read models (AR sub-ledger, journal register, exception list) from the ledger (issue 7's
/// goal: at least 200,000 records/s): <c>dotnet run -c Release --project tests/HealthFlow.Benchmarks -- rebuild [--records 1000000] [--rounds 3] [--dir PATH] [--keep]</c>;
/// a <c>--dir</c> that already holds a ledger (kept by an earlier run's <c>--keep</c>) is reused, not written again.
/// </summary>
/// <remarks>
/// <para>Not timed: writing about <c>--records</c> read-model records as the workflows leave them, in a ledger in a
/// temporary folder: 835s of 1,000 claim payments whose journals the real <see cref="RemittanceRule"/> builds (two member
/// journals per claim in <c>workflow/journals</c>), a <see cref="JournalPosted"/> per micro-batch on the journals topic, and
/// one exception per 100 claims on the exceptions topic, every other one resolved. The claims topic's records sit between
/// them, as in a real ledger, and are not read.</para>
/// <para>Timed, per round: <see cref="FinanceReadModels.RebuildAsync"/> over the open ledger (what <c>healthflow rebuild</c>
/// and the runtime's start do), in wall and CPU time; the rate is read-model records applied per second.</para>
/// </remarks>
public static class RebuildHarness
{
    private const int PerRemittance = 1000;

    public static async Task<int> RunAsync(string[] args)
    {
        var records = long.Parse(Option(args, "--records", "1000000"), CultureInfo.InvariantCulture);
        var rounds = Option(args, "--rounds", 3);
        var folder = Option(args, "--dir", Path.Combine(Path.GetTempPath(), "healthflow-rebuild-bench-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture)));
        var day = new GeneratedRemittances();
        try
        {
            if (Directory.Exists(folder) && Directory.EnumerateFileSystemEntries(folder).Any())
                Console.WriteLine($"reusing the ledger in {folder} (written by an earlier run with --keep)");
            else
            {
                var generation = Stopwatch.StartNew();
                var written = await GenerateAsync(folder, records, day);
                Console.WriteLine(FormattableString.Invariant(
                    $"generated {written.ReadModel:N0} read-model records ({written.Journals:N0} journals, {written.Exceptions:N0} exceptions) among {written.Head:N0} ledger records in {generation.Elapsed.TotalSeconds:F0} s (not timed)"));
            }

            using var store = FileBlobStore.OpenWritable(folder);
            var opening = Stopwatch.StartNew();
            // As `healthflow rebuild` opens it (its scan does not hash what the walk at open has just verified).
            await using var ledger = await BlobLedger.OpenAsync(store, new LedgerOptions { SegmentMaxAppends = int.MaxValue, ScansCheckHashes = BatchProcess.Ledger.ScansCheckHashes });
            Console.WriteLine(FormattableString.Invariant($"  open ledger (walk + index {ledger.Head:N0} records): {opening.Elapsed.TotalSeconds:F1} s (not part of the rebuild: a running runtime has it open)"));
            var arAccounts = FinanceReadModels.ArAccounts(day.MasterData);
            for (var round = 1; round <= rounds; round++)
            {
                var cpu = Process.GetCurrentProcess().TotalProcessorTime;
                var (paused, collections, allocated) = (GC.GetTotalPauseDuration(), GC.CollectionCount(2), GC.GetTotalAllocatedBytes());
                var clock = Stopwatch.StartNew();
                var models = new FinanceReadModels(arAccounts);
                var applied = await models.CatchUpAsync(ledger, 0, ledger.Head);
                var wall = clock.Elapsed;
                var used = Process.GetCurrentProcess().TotalProcessorTime - cpu;
                (paused, collections, allocated) = (GC.GetTotalPauseDuration() - paused, GC.CollectionCount(2) - collections, GC.GetTotalAllocatedBytes() - allocated);
                var snapshot = models.Snapshot();
                var (readWall, readCpu) = await ReadOnlyAsync(ledger);
                Console.WriteLine(FormattableString.Invariant(
                    $"  round {round}: reading the same streams alone: {readWall.TotalSeconds:F2} s wall, {readCpu.TotalSeconds:F2} s CPU ({applied / readCpu.TotalSeconds:N0} records/CPU-s)"));
                Console.WriteLine(FormattableString.Invariant(
                    $"  round {round}: {applied:N0} records in {wall.TotalSeconds:F2} s wall ({applied / wall.TotalSeconds:N0} records/s), {used.TotalSeconds:F2} s CPU ({applied / used.TotalSeconds:N0} records/CPU-s); {snapshot.JournalRegister.Count:N0} journals, {snapshot.ArSubLedger.Count} AR rows, {snapshot.Exceptions.Count:N0} exceptions; GC paused {paused.TotalSeconds:F2} s, {collections} gen-2 collections, {allocated / (double)applied:N0} bytes allocated a record"));
            }

            Console.WriteLine($"  load {LoadAverage()}");
            return 0;
        }
        finally
        {
            if (!args.Contains("--keep"))
                Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>The ledger's share: the read models' streams read as the rebuild reads them (<see cref="ILedger.ScanAsync"/>), nothing applied.</summary>
    private static async Task<(TimeSpan Wall, TimeSpan Cpu)> ReadOnlyAsync(BlobLedger ledger)
    {
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        long bytes = 0;
        await foreach (var record in ledger.ScanAsync(0, new LedgerScanFilter(FinanceReadModels.Streams)))
            bytes += record.Payload.Length;

        GC.KeepAlive(bytes);
        return (clock.Elapsed, Process.GetCurrentProcess().TotalProcessorTime - cpu);
    }

    private static async Task<(long ReadModel, long Journals, long Exceptions, long Head)> GenerateAsync(string folder, long target, GeneratedRemittances day)
    {
        using var store = FileBlobStore.OpenWritable(folder);
        await using var ledger = await BlobLedger.OpenAsync(store, new LedgerOptions { SegmentMaxAppends = int.MaxValue });
        var entries = new List<LedgerEntry>();
        long readModel = 0, journals = 0, exceptions = 0;
        for (var r = 0; readModel < target; r++)
        {
            var remittance = day.Next(r, PerRemittance);
            var (receipt, instance) = (remittance.Receipt, remittance.InstanceId);
            for (var c = 0; c < remittance.Claims.Count; c++)
            {
                entries.Add(GeneratedRemittances.Topic(remittance.Claims[c]));
                if (c % 100 == 0)
                {
                    var id = ExceptionBook.IdFor(instance, 0, "denial-work-queue", $"claim:{c}");
                    var exception = new WorkflowException
                    {
                        Id = id, Reason = "denial-work-queue", Kind = "denial", Reference = $"claim:{c}", Blocking = false,
                        CorrelationId = receipt, InstanceId = instance, Action = "work the denial", RaisedAt = DateTimeOffset.UtcNow,
                    };
                    entries.Add(TopicRecords.For(ExceptionBook.Topic, new BusMessage(id, WorkflowException.MessageType, JsonSerializer.SerializeToUtf8Bytes(exception, EventJson.Options), "", receipt, instance)));
                    exceptions++;
                    readModel++;
                    if (c % 200 == 0)
                    {
                        entries.Add(new LedgerEntry(ExceptionBook.ResolutionStream, ExceptionBook.ResolvedType, id, receipt, instance, ReadOnlyMemory<byte>.Empty));
                        readModel++;
                    }
                }
            }

            var built = remittance.Built.Journals;
            foreach (var member in built)
                entries.Add(GeneratedRemittances.MemberJournal(member, remittance));
            journals += built.Count;
            readModel += built.Count;
            foreach (var batch in JournalBatcher.Batch(built, day.MasterData))
            {
                var posted = new JournalPosted(batch.Journal.IdempotencyKey, batch.Journal.JournalId, batch.MemberKeys, ["FILE-" + batch.Journal.JournalId], "file", false, instance);
                entries.Add(TopicRecords.For("journals", new BusMessage("posted:" + batch.Journal.IdempotencyKey, JournalPosted.MessageType,
                    JsonSerializer.SerializeToUtf8Bytes(posted, EventJson.Options), "", receipt, instance)));
                readModel++;
            }

            foreach (var chunk in entries.Chunk(4096))
                await ledger.AppendBatchAsync(chunk);
            entries.Clear();
        }

        return (readModel, journals, exceptions, ledger.Head);
    }
}
