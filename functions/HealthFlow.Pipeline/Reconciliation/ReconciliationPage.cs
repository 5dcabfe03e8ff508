using System.Globalization;
using System.Net;
using System.Text;
using HealthFlow.Finance.Reconciliation;

namespace HealthFlow.Pipeline.Reconciliation;

/// <summary>
/// The reconciliation page (<c>GET /reconciliation</c>) for people without Power BI: one self-contained HTML document,
/// rendered on the server with the chart as inline SVG, so it needs no script, no CDN and no other request. It shows
/// the <see cref="ReconciliationSummary"/> of <c>healthflow reconcile</c>, breaks per day (stacked by cause), breaks by
/// cause and age, and the SLA breaches.
/// </summary>
/// <remarks>Numbers carry <c>data-*</c> attributes (<c>data-field</c>, <c>data-cause</c>, <c>data-age</c>, <c>data-day</c>) so scripts and tests read them without parsing text.</remarks>
public static class ReconciliationPage
{
    /// <summary>Days the chart shows, ending at the page's day.</summary>
    public const int ChartDays = 30;

    /// <summary>Rows of the break and SLA-breach lists; the reporting tables have them all.</summary>
    public const int ListedRows = 100;

    /// <summary>The age buckets of the break table: (label, lower bound in days inclusive, upper bound exclusive).</summary>
    public static IReadOnlyList<(string Label, decimal From, decimal To)> AgeBuckets { get; } =
    [
        ("under 1 day", 0m, 1m),
        ("1-3 days", 1m, 3m),
        ("3-7 days", 3m, 7m),
        ("7-30 days", 7m, 30m),
        ("30+ days", 30m, decimal.MaxValue),
    ];

    /// <summary>Fill colours per cause, in <see cref="BreakCauses.All"/> order (distinguishable for colour-blind readers).</summary>
    private static readonly string[] CauseColours = ["#d55e00", "#0072b2", "#e69f00", "#cc79a7", "#009e73"];

    /// <summary>The page of <paramref name="report"/>'s day; <paramref name="breaksByDay"/> holds break counts per day and cause (fact_breaks).</summary>
    public static string Render(ReconciliationReport report, ReconciliationSummary summary, IReadOnlyDictionary<DateOnly, IReadOnlyDictionary<string, int>> breaksByDay)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(summary);
        ArgumentNullException.ThrowIfNull(breaksByDay);
        var html = new StringBuilder(16 * 1024);
        var day = Iso(summary.Day);
        html.Append(CultureInfo.InvariantCulture, $$"""
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>HealthFlow reconciliation {{day}}</title>
            <style>
            body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #222; max-width: 1100px; }
            h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; }
            .muted { color: #666; } nav a, nav form { margin-right: 12px; } nav { display: flex; align-items: center; }
            .cards { display: flex; gap: 12px; flex-wrap: wrap; margin-top: 16px; }
            .card { border: 1px solid #ddd; border-radius: 6px; padding: 10px 14px; min-width: 150px; }
            .card b { display: block; font-size: 22px; } .bad { color: #b00020; } .good { color: #1b7f3b; }
            table { border-collapse: collapse; } th, td { padding: 4px 10px; border-bottom: 1px solid #eee; text-align: left; }
            td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
            .legend span { display: inline-block; margin-right: 14px; } .legend i { display: inline-block; width: 10px; height: 10px; margin-right: 4px; }
            </style>
            </head>
            <body>
            <h1>Reconciliation of <span data-field="day">{{day}}</span></h1>
            <div class="muted">as of {{summary.AsOf.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)}} UTC; source / posted / ERP totals summed over legal entities, facilities and payers; detail in the reporting tables (CSV, OData)</div>
            <nav>
            <a href="?date={{Iso(summary.Day.AddDays(-1))}}">&larr; {{Iso(summary.Day.AddDays(-1))}}</a>
            <form method="get"><input type="date" name="date" value="{{day}}"> <button>Show</button></form>
            <a href="?date={{Iso(summary.Day.AddDays(1))}}">{{Iso(summary.Day.AddDays(1))}} &rarr;</a>
            </nav>
            """);

        var breaches = report.SlaBreaches.ToList();
        var cashDifference = summary.BprAmount - summary.PostedCash;
        html.Append("<div class=\"cards\">");
        Card(html, "breaks", "Breaks", Whole(summary.Breaks), Tone(summary.Breaks == 0));
        Card(html, "remittances", "835s", Whole(summary.Remittances), "");
        Card(html, "bpr-amount", "835 BPR amount", Amount(summary.BprAmount), "");
        Card(html, "posted-cash", "Cash posted", Amount(summary.PostedCash), "");
        Card(html, "cash-difference", "BPR - posted", Amount(cashDifference), Tone(cashDifference == 0m));
        Card(html, "sla-breaches", "SLA breaches", Whole(breaches.Count), Tone(breaches.Count == 0));
        html.Append("</div>\n");

        html.Append("<h2>Totals</h2>\n<table><tr><th>measure</th><th class=\"n\">source</th><th class=\"n\">posted</th><th class=\"n\">ERP</th></tr>\n");
        foreach (var total in summary.Totals)
            html.Append(CultureInfo.InvariantCulture, $"<tr data-measure=\"{Text(total.Measure)}\"><td>{Text(total.Measure)}</td><td class=\"n\">{Amount(total.Source)}</td><td class=\"n\">{Amount(total.Posted)}</td><td class=\"n\">{Amount(total.Erp)}</td></tr>\n");
        html.Append("</table>\n");

        html.Append(CultureInfo.InvariantCulture, $"<h2>Breaks by day</h2>\n<div class=\"muted\">the {ChartDays} days up to {day}, from the reporting tables (days not reconciled show no bar)</div>\n");
        AppendChart(html, summary.Day, breaksByDay);

        html.Append("<h2>Breaks by cause and age</h2>\n<table><tr><th>cause</th>");
        foreach (var bucket in AgeBuckets)
            html.Append(CultureInfo.InvariantCulture, $"<th class=\"n\">{Text(bucket.Label)}</th>");
        html.Append("<th class=\"n\">total</th></tr>\n");
        foreach (var cause in BreakCauses.All)
        {
            var ofCause = report.Breaks.Where(b => b.Cause == cause).ToList();
            html.Append(CultureInfo.InvariantCulture, $"<tr><td>{Text(cause)}</td>");
            foreach (var bucket in AgeBuckets)
                html.Append(CultureInfo.InvariantCulture, $"<td class=\"n\" data-cause=\"{cause}\" data-age=\"{Text(bucket.Label)}\">{Whole(ofCause.Count(b => b.AgeDays >= bucket.From && b.AgeDays < bucket.To))}</td>");
            html.Append(CultureInfo.InvariantCulture, $"<td class=\"n\" data-cause=\"{cause}\" data-age=\"total\">{Whole(summary.BreaksByCause.GetValueOrDefault(cause))}</td></tr>\n");
        }

        html.Append("</table>\n");
        AppendList(html, "Breaks", "the oldest first", report.Breaks.OrderByDescending(b => b.AgeDays).ThenBy(b => b.Id, StringComparer.Ordinal).ToList(),
            ["id", "cause", "level", "reference", "expected", "actual", "difference", "age (days)"],
            b => [Text(b.Id), Text(b.Cause), Text(b.Level), Text(b.Reference), Amount(b.Expected), Amount(b.Actual), Amount(b.Difference), Amount(b.AgeDays)]);

        html.Append("<h2>SLAs</h2>\n<table><tr><th>SLA</th><th class=\"n\">measured</th><th class=\"n\">breached</th><th class=\"n\">longest (h)</th></tr>\n");
        foreach (var sla in summary.Slas)
            html.Append(CultureInfo.InvariantCulture, $"<tr><td>{Text(sla.Sla)}</td><td class=\"n\">{Whole(sla.Items)}</td><td class=\"n\" data-sla=\"{Text(sla.Sla)}\">{Whole(sla.Breached)}</td><td class=\"n\">{sla.MaxHours.ToString("N1", CultureInfo.InvariantCulture)}</td></tr>\n");
        html.Append("</table>\n");
        AppendList(html, "SLA breaches", "the longest first", breaches.OrderByDescending(s => s.Hours).ToList(),
            ["SLA", "subject", "hours", "limit (h)", "still open"],
            s => [Text(s.Sla), Text(s.Subject), Amount(s.Hours), Amount(s.LimitHours), s.Open ? "yes" : "no"]);

        html.Append("<h2>Counts</h2>\n<table><tr><th>stage</th><th class=\"n\">count</th></tr>\n");
        foreach (var stage in summary.Counts.GroupBy(c => c.Stage, StringComparer.Ordinal))
            html.Append(CultureInfo.InvariantCulture, $"<tr><td>{Text(stage.Key)}</td><td class=\"n\" data-stage=\"{Text(stage.Key)}\">{Whole(stage.Sum(c => c.Count))}</td></tr>\n");
        html.Append("</table>\n</body>\n</html>\n");
        return html.ToString();
    }

    /// <summary>Break counts per cause of every reconciled day: the days of dim_date, the breaks of fact_breaks.</summary>
    public static IReadOnlyDictionary<DateOnly, IReadOnlyDictionary<string, int>> BreaksByDay(IEnumerable<string[]> dateRows, IEnumerable<string[]> breakRows)
    {
        var dateKey = ColumnOf(ReportingTables.Dates, "date_key");
        var breakDateKey = ColumnOf(ReportingTables.Breaks, "date_key");
        var cause = ColumnOf(ReportingTables.Breaks, "cause");
        var breaks = breakRows.ToLookup(r => r[breakDateKey], StringComparer.Ordinal);
        return dateRows.Select(r => r[dateKey]).Distinct(StringComparer.Ordinal).ToDictionary(
            key => DateOnly.ParseExact(key, "yyyyMMdd", CultureInfo.InvariantCulture),
            key => (IReadOnlyDictionary<string, int>)breaks[key].GroupBy(r => r[cause], StringComparer.Ordinal).ToDictionary(c => c.Key, c => c.Count(), StringComparer.Ordinal));

        static int ColumnOf(ReportingTable table, string name) => table.Columns.Select(c => c.Name).ToList().IndexOf(name);
    }

    /// <summary>A bar per day, stacked by cause, with the y axis in whole breaks.</summary>
    private static void AppendChart(StringBuilder html, DateOnly last, IReadOnlyDictionary<DateOnly, IReadOnlyDictionary<string, int>> breaksByDay)
    {
        const int width = 760, height = 240, left = 40, bottom = 30, top = 10, slot = (width - left - 10) / ChartDays;
        var days = Enumerable.Range(0, ChartDays).Select(i => last.AddDays(i - ChartDays + 1)).ToList();
        var max = Math.Max(1, days.Max(d => breaksByDay.TryGetValue(d, out var causes) ? causes.Values.Sum() : 0));
        var step = Math.Max(1, (int)Math.Ceiling(max / 4.0));
        max = step * (int)Math.Ceiling((double)max / step);
        double Y(int count) => height - bottom - (double)count / max * (height - bottom - top);
        html.Append(CultureInfo.InvariantCulture, $"<svg id=\"breaks-by-day\" role=\"img\" aria-label=\"Breaks by day\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" xmlns=\"http://www.w3.org/2000/svg\" font-size=\"10\">\n");
        for (var tick = 0; tick <= max; tick += step)
            html.Append(CultureInfo.InvariantCulture, $"<line x1=\"{left}\" x2=\"{width - 10}\" y1=\"{Y(tick):0.#}\" y2=\"{Y(tick):0.#}\" stroke=\"#e5e5e5\"/><text x=\"{left - 6}\" y=\"{Y(tick) + 3:0.#}\" text-anchor=\"end\">{tick}</text>\n");
        for (var i = 0; i < days.Count; i++)
        {
            var x = left + i * slot + 2;
            var causes = breaksByDay.GetValueOrDefault(days[i]);
            var total = causes?.Values.Sum() ?? 0;
            html.Append(CultureInfo.InvariantCulture, $"<g data-day=\"{Iso(days[i])}\" data-breaks=\"{(causes is null ? "" : Whole(total))}\"><title>{Iso(days[i])}: {(causes is null ? "not reconciled" : $"{total} breaks")}</title>");
            var below = 0;
            for (var c = 0; c < BreakCauses.All.Count; c++)
            {
                var count = causes?.GetValueOrDefault(BreakCauses.All[c]) ?? 0;
                if (count == 0)
                    continue;
                html.Append(CultureInfo.InvariantCulture, $"<rect x=\"{x}\" y=\"{Y(below + count):0.#}\" width=\"{slot - 4}\" height=\"{Y(below) - Y(below + count):0.#}\" fill=\"{CauseColours[c]}\"/>");
                below += count;
            }

            if (causes is not null && total == 0)
                html.Append(CultureInfo.InvariantCulture, $"<rect x=\"{x}\" y=\"{Y(0) - 2:0.#}\" width=\"{slot - 4}\" height=\"2\" fill=\"#1b7f3b\"/>");
            if (i % 5 == 4 || i == days.Count - 1)
                html.Append(CultureInfo.InvariantCulture, $"<text x=\"{x + (slot - 4) / 2.0:0.#}\" y=\"{height - bottom + 14}\" text-anchor=\"middle\">{days[i]:MM-dd}</text>");
            html.Append("</g>\n");
        }

        html.Append("</svg>\n<div class=\"legend\">");
        for (var c = 0; c < BreakCauses.All.Count; c++)
            html.Append(CultureInfo.InvariantCulture, $"<span><i style=\"background:{CauseColours[c]}\"></i>{Text(BreakCauses.All[c])}</span>");
        html.Append("<span><i style=\"background:#1b7f3b\"></i>reconciled, no break</span></div>\n");
    }

    private static void AppendList<T>(StringBuilder html, string title, string order, IReadOnlyList<T> rows, string[] headers, Func<T, string[]> cells)
    {
        html.Append(CultureInfo.InvariantCulture, $"<h2>{title}</h2>\n");
        if (rows.Count == 0)
        {
            html.Append("<div class=\"good\">none</div>\n");
            return;
        }

        html.Append(CultureInfo.InvariantCulture, $"<div class=\"muted\">{rows.Count} in all, {order}{(rows.Count > ListedRows ? $"; the first {ListedRows} shown" : "")}</div>\n<table><tr>");
        foreach (var header in headers)
            html.Append(CultureInfo.InvariantCulture, $"<th>{header}</th>");
        html.Append("</tr>\n");
        foreach (var row in rows.Take(ListedRows))
            html.Append("<tr><td>").AppendJoin("</td><td>", cells(row)).Append("</td></tr>\n");
        html.Append("</table>\n");
    }

    private static void Card(StringBuilder html, string field, string label, string value, string tone) =>
        html.Append(CultureInfo.InvariantCulture, $"<div class=\"card\">{label}<b class=\"{tone}\" data-field=\"{field}\">{value}</b></div>");

    private static string Tone(bool good) => good ? "good" : "bad";

    private static string Iso(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static string Whole(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Amount(decimal? value) => value?.ToString("N2", CultureInfo.InvariantCulture) ?? "-";

    private static string Text(string value) => WebUtility.HtmlEncode(value);
}
