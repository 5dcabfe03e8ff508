using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.RegularExpressions;
using HealthFlow.Finance.Reconciliation;
using HealthFlow.Pipeline.Reconciliation;
using HealthFlow.Pipeline.Tests.Support;
using HealthFlow.Pipeline.Tests.Workflows;
using HealthFlow.Pipeline.Workflows;
using Microsoft.Extensions.DependencyInjection;
using static HealthFlow.Pipeline.Tests.Workflows.WorkflowSamples;
using HealthFlow.Tests.Shared;

namespace HealthFlow.Pipeline.Tests.Reconciliation;

/// <summary>
/// <c>GET /reconciliation</c>: headless Chromium (Debian package <c>chromium</c>, which .ci/run installs) renders the page
/// of a day with known breaks; the numbers in its DOM are the runner's, and its screenshot is a real picture.
/// </summary>
public sealed partial class ReconciliationPageTests
{
    private static readonly DateOnly PaymentDay = new(2026, 11, 21);

    [Fact]
    public async Task Chromium_renders_the_page_of_a_day_with_known_breaks_with_the_reconciled_numbers()
    {
        var chromium = Chromium.Find();
        await using var host = await RuntimeHost.StartAsync(new Dictionary<string, string?> { ["Workflows:QuietPeriodSeconds"] = "0.3" });
        await SeedDayWithTwoBreaksAsync(host);
        var runner = host.Runtime.Services.GetRequiredService<ReconciliationRunner>();
        await runner.RunAsync(PaymentDay.AddDays(-1));
        var expected = await runner.ReconcileAsync(PaymentDay);
        var url = new Uri(host.Runtime.Address, $"reconciliation?date=2026-11-21&code={RuntimeHost.AdminKey}");
        var screenshot = Path.Combine(host.Folder, "reconciliation.png");

        var dom = await chromium.DumpDomAsync(url, host.Folder);
        await chromium.ScreenshotAsync(url, screenshot, host.Folder);

        Assert.Equal(2, expected.Breaks.Count);
        Assert.Equal("2026-11-21", Field(dom, "day"));
        Assert.Equal("2", Field(dom, "breaks"));
        Assert.Equal(Amount(expected.Remittances.Sum(r => r.Bpr)), Field(dom, "bpr-amount"));
        Assert.Equal(Amount(expected.Remittances.Sum(r => r.PostedCash)), Field(dom, "posted-cash"));
        Assert.Equal(Amount(expected.Remittances.Sum(r => r.Bpr - r.PostedCash)), Field(dom, "cash-difference"));
        Assert.Equal(expected.SlaBreaches.Count().ToString(CultureInfo.InvariantCulture), Field(dom, "sla-breaches"));
        Assert.Equal("1", Cell(dom, BreakCauses.Unmapped, "total"));
        Assert.Equal("1", Cell(dom, BreakCauses.PostedTwice, "total"));
        Assert.Equal(2, BreakCauses.All.Sum(c => int.Parse(Cell(dom, c, "under 1 day"), CultureInfo.InvariantCulture)));
        Assert.Equal("0", Cell(dom, BreakCauses.Unposted, "total"));
        Assert.Equal("2", Bar(dom, "2026-11-21"));
        Assert.Equal("0", Bar(dom, "2026-11-20"));
        Assert.Equal("", Bar(dom, "2026-11-19"));
        var png = await File.ReadAllBytesAsync(screenshot);
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], png[..4]);
        // A blank page of this size compresses to a few kilobytes; text, tables and the chart make it far larger.
        Assert.True(png.Length > 30_000, $"The screenshot has {png.Length} bytes: the page did not render.");
    }

    [Fact]
    public async Task The_page_asks_browsers_for_the_admin_key_refuses_vendors_and_holds_itself_to_no_external_assets()
    {
        await using var host = await RuntimeHost.StartAsync();
        using var anonymous = host.Client(null);
        using var vendor = host.Client();
        using var basic = host.Client(null);
        basic.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("anyone:" + RuntimeHost.AdminKey)));

        using var challenge = await anonymous.GetAsync(new Uri("/reconciliation", UriKind.Relative));
        using var refused = await vendor.GetAsync(new Uri("/reconciliation", UriKind.Relative));
        using var badDate = await basic.GetAsync(new Uri("/reconciliation?date=21.11.2026", UriKind.Relative));
        using var page = await basic.GetAsync(new Uri("/reconciliation?date=2026-11-21", UriKind.Relative));

        Assert.Equal(HttpStatusCode.Unauthorized, challenge.StatusCode);
        Assert.Equal("Basic", challenge.Headers.WwwAuthenticate.Single().Scheme);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, badDate.StatusCode);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.StartsWith("default-src 'none'", page.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        var html = await page.Content.ReadAsStringAsync();
        Assert.Equal("0", Field(html, "breaks"));
        Assert.DoesNotContain(RuntimeHost.AdminKey, html, StringComparison.Ordinal);
        Assert.DoesNotMatch(ExternalReference(), html);
    }

    [Fact]
    public void Breaks_fall_in_the_age_bucket_of_their_age_and_each_day_is_a_bar_of_its_break_count()
    {
        var day = PaymentDay;
        ReconciliationBreak Break(string cause, decimal age) =>
            new(day, "LE1", "RMC", "ACME", cause, BreakLevels.Claim, $"ref-{age}", 10m, 0m, DateTimeOffset.UnixEpoch, age, "test");
        var report = new ReconciliationReport(day, DateTimeOffset.UnixEpoch, [], [], [], [], [Break(BreakCauses.Unposted, 0.5m), Break(BreakCauses.Unposted, 2m),
            Break(BreakCauses.Unposted, 3m), Break(BreakCauses.AmountMismatch, 45m)], []);
        string[] Row(ReportingTable table, string date, string cause = "") => [.. table.Columns.Select(c => c.Name switch { "date_key" => date, "cause" => cause, _ => "" })];
        var days = new[] { "20261101", "20261102", "20261121" }.Select(d => Row(ReportingTables.Dates, d));
        var breaks = new[] { Row(ReportingTables.Breaks, "20261121", BreakCauses.Unposted), Row(ReportingTables.Breaks, "20261121", BreakCauses.AmountMismatch),
            Row(ReportingTables.Breaks, "20261101", BreakCauses.Unposted) };

        var html = ReconciliationPage.Render(report, ReconciliationSummary.From(report, "reporting"), ReconciliationPage.BreaksByDay(days, breaks));

        Assert.Equal(("1", "1", "1", "0", "3"), (Cell(html, BreakCauses.Unposted, "under 1 day"), Cell(html, BreakCauses.Unposted, "1-3 days"),
            Cell(html, BreakCauses.Unposted, "3-7 days"), Cell(html, BreakCauses.Unposted, "30+ days"), Cell(html, BreakCauses.Unposted, "total")));
        Assert.Equal("1", Cell(html, BreakCauses.AmountMismatch, "30+ days"));
        Assert.Equal(("2", "1", "0", ""), (Bar(html, "2026-11-21"), Bar(html, "2026-11-01"), Bar(html, "2026-11-02"), Bar(html, "2026-11-03")));
    }

    /// <summary>
    /// Two 835s paid and posted on 2026-11-21 (as <see cref="ReconciliationRunnerTests.PostDayAsync"/>), then two known
    /// breaks: an 835 for a claim of a facility master data lacks (unmapped) and one journal twice in the ERP's file (posted twice).
    /// </summary>
    private static async Task SeedDayWithTwoBreaksAsync(RuntimeHost host)
    {
        await ReconciliationRunnerTests.PostDayAsync(host, withDischarge: false);
        await ReconciliationRunnerTests.PublishAsync(host.Runtime.Bus, Claim("PCN-7003", "E-7003", 1000m) with { Facility = "NOWHERE" });
        await ReconciliationRunnerTests.PublishAsync(host.Runtime.Bus, Remittance("TRN-7003", "PCN-7003"));
        await Poll.UntilAsync(() => Task.FromResult(host.Runtime.Services.GetRequiredService<ExceptionBook>().List(open: true).Any(e => e.Reason == "missing-mapping")), "the missing-mapping exception");
        var erpFile = Path.Combine(host.Folder, "erp", "journals.jsonl");
        var posted = File.ReadAllLines(erpFile).First(l => l.Contains("\"postingDate\":\"2026-11-21\"", StringComparison.Ordinal));
        await File.AppendAllLinesAsync(erpFile, [posted]);
    }

    private static string Amount(decimal value) => value.ToString("N2", CultureInfo.InvariantCulture);

    private static string Field(string html, string field) => Single(html, $"data-field=\"{field}\"[^>]*>([^<]*)<");

    private static string Cell(string html, string cause, string age) => Single(html, $"data-cause=\"{cause}\" data-age=\"{Regex.Escape(age)}\"[^>]*>([^<]*)<");

    private static string Bar(string html, string day) => Single(html, $"<g data-day=\"{day}\" data-breaks=\"([^\"]*)\"");

    private static string Single(string html, string pattern)
    {
        var matches = Regex.Matches(html, pattern);
        Assert.True(matches.Count == 1, $"'{pattern}' matches {matches.Count} times in the page.");
        return matches[0].Groups[1].Value;
    }

    /// <summary>Anything a browser would fetch: src/href to another origin, stylesheets, scripts.</summary>
    [GeneratedRegex(@"(src|href)=""(https?:)?//|<link|<script|@import|url\(", RegexOptions.IgnoreCase)]
    private static partial Regex ExternalReference();

    /// <summary>Headless Chromium driven from its command line (<c>--dump-dom</c>, <c>--screenshot</c>).</summary>
    private sealed class Chromium(string path)
    {
        private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

        /// <summary><c>HEALTHFLOW_CHROMIUM</c>, else <c>chromium</c> on PATH; a missing browser fails the test, it never skips it.</summary>
        public static Chromium Find()
        {
            var configured = Environment.GetEnvironmentVariable("HEALTHFLOW_CHROMIUM");
            var found = configured is { Length: > 0 }
                ? configured
                : (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
                    .SelectMany(folder => new[] { "chromium", "chromium-browser" }.Select(name => Path.Combine(folder, name))).FirstOrDefault(File.Exists);
            Assert.True(found is not null && File.Exists(found),
                "Headless Chromium is needed for the reconciliation page test and was not found: install the Debian package "
                + "(apt-get update && apt-get install -y chromium; .ci/run does this) or set HEALTHFLOW_CHROMIUM to the browser's path.");
            return new Chromium(found!);
        }

        public async Task<string> DumpDomAsync(Uri url, string scratch) => await RunAsync(scratch, "--dump-dom", url.ToString());

        public async Task ScreenshotAsync(Uri url, string file, string scratch) =>
            await RunAsync(scratch, "--hide-scrollbars", "--window-size=1200,1800", $"--screenshot={file}", url.ToString());

        private async Task<string> RunAsync(string scratch, params string[] arguments)
        {
            // --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start; the page is our own.
            var start = new ProcessStartInfo(path) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var argument in (string[])["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                         $"--user-data-dir={Path.Combine(scratch, "chromium-profile")}", .. arguments])
                start.ArgumentList.Add(argument);
            Process process;
            try
            {
                process = Process.Start(start)!;
            }
            catch (Win32Exception ex)
            {
                throw new InvalidOperationException($"Chromium at '{path}' could not be started.", ex);
            }

            using (process)
            {
                var output = process.StandardOutput.ReadToEndAsync();
                var error = process.StandardError.ReadToEndAsync();
                using var timeout = new CancellationTokenSource(Timeout);
                try
                {
                    await process.WaitForExitAsync(timeout.Token);
                }
                catch (OperationCanceledException)
                {
                    process.Kill(entireProcessTree: true);
                    throw new TimeoutException($"Chromium did not finish within {Timeout}.");
                }

                Assert.True(process.ExitCode == 0, $"Chromium exited with {process.ExitCode}: {await error}");
                return await output;
            }
        }
    }
}
