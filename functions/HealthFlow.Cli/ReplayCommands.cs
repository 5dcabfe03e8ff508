using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using HealthFlow.Ledger;
using HealthFlow.Ledger.Storage;
using HealthFlow.Pipeline.Http;
using HealthFlow.Pipeline.ReadModels;
using HealthFlow.Pipeline.Replay;
using HealthFlow.Pipeline.Runtime;
using HealthFlow.Pipeline.Workflows;
using Spectre.Console;

namespace HealthFlow.Cli;

/// <summary>
/// <c>healthflow replay</c> (over HTTP, like the other operator commands: only the runtime that owns the ledger may re-drive)
/// and <c>healthflow rebuild</c> (reads the data folder's ledger, which a reader may do while the runtime runs).
/// </summary>
internal static class ReplayCommands
{
    private const int PrintedItems = 50;

    public static Command Replay()
    {
        var (url, adminKey) = (OperatorCommands.Url(), OperatorCommands.AdminKey());
        var from = new Option<DateTimeOffset?>("--from") { Description = "Events recorded at or after this time (ISO 8601; a date means its midnight UTC).", CustomParser = r => Time(r.Tokens.Single().Value) };
        var to = new Option<DateTimeOffset?>("--to") { Description = "Events recorded before this time.", CustomParser = r => Time(r.Tokens.Single().Value) };
        var stream = new Option<string?>("--stream") { Description = "An event topic: encounters, charges, claims or remittances." };
        var correlation = new Option<string?>("--correlation") { Description = "The receipt id (correlation id) the events descend from." };
        var deadLetter = new Option<string?>("--dead-letter") { Description = "A subscription's dead letters, {topic}/{subscription}, e.g. remittances/remittance-to-gl." };
        var dryRun = new Option<bool>("--dry-run") { Description = "Show what would be re-driven (counts and ledger positions); change nothing but the audit record." };
        var reason = new Option<string>("--reason") { Description = "Why (kept in the ledger's audit record).", Required = true };
        var target = new Option<ReplayTarget>("--target")
        {
            Description = "topics: publish the events again; erp: build their journals and post them through the ERP gateway.",
            DefaultValueFactory = _ => ReplayTarget.Topics,
            CustomParser = r => Enum.Parse<ReplayTarget>(r.Tokens.Single().Value, ignoreCase: true),
        };
        var command = new Command("replay",
            "Re-drive events from the ledger by time, topic, receipt or dead letters, into their topics or straight to the ERP. "
            + "Idempotency keys make a repeat post nothing; every replay, dry or not, is an audited ledger record (admin key). "
            + "Exit 0 when all went through, 2 when something was rejected, failed, blocked or left to a running workflow.")
            { url, adminKey, from, to, stream, correlation, deadLetter, dryRun, reason, target };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var request = new ReplayRequest(parse.GetValue(from), parse.GetValue(to), parse.GetValue(stream), parse.GetValue(correlation), parse.GetValue(deadLetter),
                parse.GetValue(target), parse.GetValue(dryRun), parse.GetValue(reason), Environment.UserName);
            using var http = OperatorCommands.Client(parse, url, adminKey);
            http.Timeout = TimeSpan.FromMinutes(30);
            using var response = await http.PostAsJsonAsync(new Uri("api/replay", UriKind.Relative), request, ApiJson.Options, cancellationToken);
            if (!await OperatorCommands.SucceededAsync(response, cancellationToken))
                return 1;
            var result = (await response.Content.ReadFromJsonAsync<ReplayResult>(ApiJson.Options, cancellationToken))!;
            Print(result);
            return result.Rejected + result.Failed + result.Blocked + result.InFlight == 0 ? 0 : 2;
        });
        return command;
    }

    public static Command Rebuild()
    {
        var data = CliOptions.Data();
        var command = new Command("rebuild",
            "Rebuild the read models from the ledger from zero: AR sub-ledger by payer and facility, journal register, exception list. "
            + "Writes them as JSON to {data}/read-models and prints their totals.") { data };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var folder = parse.GetValue(data)!;
            var configuration = LocalSettings.Build(Environment.CurrentDirectory, [new("HealthFlow:Data", folder)]);
            using var store = FileBlobStore.OpenReadOnly(folder);
            await using var ledger = await BlobLedger.OpenReadOnlyAsync(store, BatchProcess.Ledger, cancellationToken);
            var arAccounts = FinanceReadModels.ArAccounts(new MasterDataSource(WorkflowOptions.FromConfiguration(configuration)).Current);
            var clock = Stopwatch.StartNew();
            var (models, applied) = await RebuildAsync(ledger, arAccounts, cancellationToken);
            var elapsed = clock.Elapsed;
            var snapshot = models.Snapshot();
            var output = Path.Combine(folder, ReadModelSnapshot.Folder);
            snapshot.WriteTo(output);

            Console.WriteLine(FormattableString.Invariant(
                $"Rebuilt from {ledger.Head:N0} ledger records: {applied:N0} applied in {elapsed.TotalSeconds:F1} s ({applied / Math.Max(elapsed.TotalSeconds, 1e-6):N0} records/s)"));
            Console.WriteLine($"  AR sub-ledger: {snapshot.ArSubLedger.Count} payer/facility/account rows, balance {snapshot.ArSubLedger.Sum(a => a.Balance).ToString("N2", CultureInfo.InvariantCulture)}");
            foreach (var row in snapshot.ArSubLedger)
                Console.WriteLine($"    {row.LegalEntity,-8} {row.Payer,-10} {row.Facility,-8} {row.Account,-10} {row.Balance.ToString("N2", CultureInfo.InvariantCulture),16}");
            Console.WriteLine($"  Journal register: {snapshot.JournalRegister.Count} journals, {snapshot.JournalRegister.Count(j => j.Document is null)} without an ERP document");
            Console.WriteLine($"  Exceptions: {snapshot.Exceptions.Count(e => e.ResolvedAt is null)} open, {snapshot.Exceptions.Count(e => e.ResolvedAt is not null)} resolved");
            Console.WriteLine($"  JSON: {output}");
            return 0;
        });
        return command;
    }

    /// <summary>The rebuild, with a progress bar per stream when the console is interactive.</summary>
    private static async Task<(FinanceReadModels Models, long Applied)> RebuildAsync(BlobLedger ledger, IReadOnlySet<string> arAccounts, CancellationToken cancellationToken)
    {
        var models = new FinanceReadModels(arAccounts);
        var head = ledger.Head;
        if (!AnsiConsole.Profile.Capabilities.Interactive)
            return (models, await models.CatchUpAsync(ledger, 0, head, null, cancellationToken));

        long applied = 0;
        await AnsiConsole.Progress().AutoClear(false).StartAsync(async progress =>
        {
            var task = progress.AddTask($"ledger records 0 to {head:N0}", maxValue: Math.Max(head, 1));
            applied = await models.CatchUpAsync(ledger, 0, head, new Progress(task), cancellationToken);
        });
        return (models, applied);
    }

    private static void Print(ReplayResult result)
    {
        var topics = string.Join(", ", result.ByTopic.Select(t => $"{t.Key} {t.Value}"));
        Console.WriteLine($"Replay {result.ReplayId}{(result.DryRun ? " (dry run: nothing re-driven)" : "")}, target {result.Target.ToString().ToLowerInvariant()}: {result.Selected} event(s) selected{(topics.Length > 0 ? $" ({topics})" : "")}");
        foreach (var item in result.Items.Take(PrintedItems))
            Console.WriteLine($"  ledger #{item.Seq,-10} {item.Topic,-12} {item.Type,-22} receipt {item.CorrelationId}");
        if (result.Selected > PrintedItems)
            Console.WriteLine($"  … and {result.Selected - PrintedItems} more");
        if (result.DryRun)
            return;
        Console.WriteLine(result.Target == ReplayTarget.Topics
            ? $"  published {result.Published}"
            : $"  posted {result.Posted}, already posted {result.AlreadyPosted}, rejected {result.Rejected}, failed {result.Failed}, blocked {result.Blocked}, "
              + $"left to running workflows {result.InFlight}, no journal of their own {result.Skipped}");
    }

    private static DateTimeOffset Time(string text) =>
        DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day)
            ? new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero)
            : DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);

    /// <summary>Moves the bar to the last sequence number applied (synchronously: the rebuild reports from one thread).</summary>
    private sealed class Progress(ProgressTask task) : IProgress<RebuildProgress>
    {
        public void Report(RebuildProgress value) => task.Value = value.Seq;
    }
}
