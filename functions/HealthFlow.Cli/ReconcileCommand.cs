using System.CommandLine;
using System.Globalization;
using HealthFlow.Finance;
using HealthFlow.Ledger;
using HealthFlow.Ledger.Storage;
using HealthFlow.Pipeline.Reconciliation;
using HealthFlow.Pipeline.Runtime;
using HealthFlow.Pipeline.Workflows;
using Microsoft.Extensions.Configuration;

namespace HealthFlow.Cli;

/// <summary>
/// <c>healthflow reconcile [--date D]</c>: reconciles a business day (or, without <c>--date</c>, every business day the
/// ledger has amounts for) from the ledger, writes the reporting CSVs, prints the summary.
/// </summary>
internal static class ReconcileCommand
{
    public static Command Create()
    {
        var data = CliOptions.Data();
        var date = new Option<DateOnly>("--date")
        {
            Description = "The business day (yyyy-MM-dd): payment date of 835s, discharge date of encounters, posting date of journals. "
                + "Without it, every business day the ledger has amounts for, one line each.",
            CustomParser = result => DateOnly.ParseExact(result.Tokens.Single().Value, "yyyy-MM-dd", CultureInfo.InvariantCulture),
        };
        var command = new Command("reconcile",
            "Reconcile a business day: source totals vs journals posted vs ERP acknowledged, 835 and claim level, breaks, counts and SLAs. "
            + "Writes the star-schema CSVs to {data}/reporting (docs/RECONCILIATION.md). Exit 0 without breaks, 2 with breaks.") { data, date };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var folder = parse.GetValue(data)!;
            var configuration = LocalSettings.Build(Environment.CurrentDirectory, [new("HealthFlow:Data", folder)]);
            using var store = FileBlobStore.OpenReadOnly(folder);
            await using var ledger = await BlobLedger.OpenReadOnlyAsync(store, BatchProcess.Ledger, cancellationToken);
            var runner = Runner(ledger, new DataFolder(folder), configuration);
            if (parse.GetResult(date) is null)
            {
                var reports = await runner.RunAsync(await runner.BusinessDaysAsync(cancellationToken), cancellationToken);
                var days = reports.Select(r => ReconciliationSummary.From(r, runner.ReportingFolder)).ToList();
                PrintDays(days);
                return days.Sum(d => d.Breaks) == 0 ? 0 : 2;
            }

            var summary = ReconciliationSummary.From(await runner.RunAsync(parse.GetValue(date), cancellationToken), runner.ReportingFolder);
            Print(summary);
            return summary.Breaks == 0 ? 0 : 2;
        });
        return command;
    }

    /// <summary>A runner over an open ledger with the settings, master data and patient token key the runtime would use.</summary>
    public static ReconciliationRunner Runner(ILedger ledger, DataFolder data, IConfiguration configuration)
    {
        var tokenKey = configuration["Ledger:PatientTokenKey"] is { Length: > 0 } configured
            ? Convert.FromBase64String(configured)
            : data.LoadOrCreateKey("patient-token.key", 32);
        var masterData = new MasterDataSource(WorkflowOptions.FromConfiguration(configuration)).Current;
        return new ReconciliationRunner(ledger, data.Path, masterData, new PatientTokenizer(tokenKey), ReconciliationOptions.FromConfiguration(configuration), TimeProvider.System);
    }

    /// <summary>One line per day: charges and cash on the three sides, breaks and SLA breaches; then the days' sums.</summary>
    public static void PrintDays(IReadOnlyList<ReconciliationSummary> days)
    {
        ArgumentNullException.ThrowIfNull(days);
        static decimal Side(ReconciliationSummary day, string measure, Func<MeasureSummary, decimal?> side) =>
            day.Totals.Where(t => t.Measure == measure).Sum(t => side(t) ?? 0m);
        Console.WriteLine($"Reconciliation by business day ({days.Count} days): source / posted / ERP");
        Console.WriteLine($"  {"day",-10} {"charges",40} {"835 cash: BPR / posted",32} {"breaks",7} {"SLA breaches",13}");
        foreach (var day in days)
        {
            var charges = $"{Side(day, "charges", t => t.Source):N2} / {Side(day, "charges", t => t.Posted):N2} / {Side(day, "charges", t => t.Erp):N2}";
            var cash = day.Remittances == 0 ? "-" : $"{day.BprAmount:N2} / {day.PostedCash:N2}";
            Console.WriteLine($"  {day.Day:yyyy-MM-dd} {charges,40} {cash,32} {day.Breaks,7} {day.Slas.Sum(s => s.Breached),13}");
        }

        var causes = days.SelectMany(d => d.BreaksByCause).GroupBy(c => c.Key, StringComparer.Ordinal).Select(g => $"{g.Key} {g.Sum(c => c.Value)}");
        Console.WriteLine($"  all days: {days.Sum(d => d.Breaks)} breaks ({string.Join(", ", causes)}), "
            + $"{days.Sum(d => d.Slas.Sum(s => s.Breached))} SLA breaches ({string.Join(", ", days.SelectMany(d => d.Slas).GroupBy(s => s.Sla, StringComparer.Ordinal).Select(g => $"{g.Key} {g.Sum(s => s.Breached)}"))})");
    }

    /// <summary>The summary as a table: totals per measure on the three sides, the 835 tie-out, breaks per cause, counts, SLAs.</summary>
    public static void Print(ReconciliationSummary summary)
    {
        ArgumentNullException.ThrowIfNull(summary);
        static string Amount(decimal? value) => value?.ToString("N2", CultureInfo.InvariantCulture) ?? "-";
        Console.WriteLine($"Reconciliation of {summary.Day:yyyy-MM-dd} (as of {summary.AsOf:yyyy-MM-dd HH:mm} UTC)");
        Console.WriteLine($"  {"measure",-34} {"source",16} {"posted",16} {"ERP",16}");
        foreach (var total in summary.Totals)
            Console.WriteLine($"  {total.Measure,-34} {Amount(total.Source),16} {Amount(total.Posted),16} {Amount(total.Erp),16}");
        Console.WriteLine($"  835s: {summary.Remittances}, BPR {Amount(summary.BprAmount)}, posted cash {Amount(summary.PostedCash)}, difference {Amount(summary.BprAmount - summary.PostedCash)}");
        Console.WriteLine($"  Breaks: {summary.Breaks} ({string.Join(", ", summary.BreaksByCause.Select(c => $"{c.Key} {c.Value}"))})");
        Console.WriteLine($"  Counts: {string.Join(", ", summary.Counts.GroupBy(c => c.Stage, StringComparer.Ordinal).Select(g => $"{g.Key} {g.Sum(c => c.Count)}"))}");
        foreach (var sla in summary.Slas)
            Console.WriteLine($"  SLA {sla.Sla}: {sla.Items} measured, {sla.Breached} breached, longest {sla.MaxHours:N1} h");
        Console.WriteLine($"  CSV tables: {summary.ReportingFolder}");
    }
}
