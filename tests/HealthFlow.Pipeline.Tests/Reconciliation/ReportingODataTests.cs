using System.Globalization;
using System.Net;
using System.Text.Json;
using HealthFlow.Pipeline.Reconciliation;
using HealthFlow.Pipeline.Tests.Support;
using HealthFlow.Pipeline.Tests.Workflows;
using HealthFlow.Pipeline.Workflows;
using Microsoft.Extensions.DependencyInjection;
using static HealthFlow.Pipeline.Tests.Workflows.WorkflowSamples;
using HealthFlow.Tests.Shared;

namespace HealthFlow.Pipeline.Tests.Reconciliation;

/// <summary>The OData feed on the real runtime serves exactly the rows and numbers of the CSV files.</summary>
public sealed class ReportingODataTests
{
    [Fact]
    public async Task The_odata_feed_returns_the_same_rows_and_numbers_as_the_csv_files()
    {
        await using var host = await RuntimeHost.StartAsync(new Dictionary<string, string?> { ["Workflows:QuietPeriodSeconds"] = "0.3" });
        await ReconciliationRunnerTests.PostDayAsync(host, withDischarge: true);
        // And an 835 whose claim names a facility master data lacks: one unmapped break, so fact_breaks has a row.
        await ReconciliationRunnerTests.PublishAsync(host.Runtime.Bus, Claim("PCN-7003", "E-7003", 1000m) with { Facility = "NOWHERE" });
        await ReconciliationRunnerTests.PublishAsync(host.Runtime.Bus, Remittance("TRN-7003", "PCN-7003"));
        await Poll.UntilAsync(() => Task.FromResult(host.Runtime.Services.GetRequiredService<ExceptionBook>().List(open: true).Any(e => e.Reason == "missing-mapping")), "the missing-mapping exception");
        var runner = host.Runtime.Services.GetRequiredService<ReconciliationRunner>();
        await runner.RunAsync(new DateOnly(2026, 11, 21));
        await runner.RunAsync(DateOnly.FromDateTime(DischargedAt.UtcDateTime));
        using var admin = host.Client(RuntimeHost.AdminKey);

        foreach (var table in ReportingTables.All)
        {
            var csv = ReportingTables.Read(runner.ReportingFolder, table);
            var feed = await EntitiesAsync(admin, table.Name);
            Assert.True(csv.Count > 0, $"{table.Name} is empty");
            Assert.Equal(Canonical(table, csv), Canonical(table, feed));
        }

        var day = await EntitiesAsync(admin, "fact_totals?$filter=date_key eq 20261121 and source_amount gt 0");
        Assert.Equal(
            Canonical(ReportingTables.Totals, ReportingTables.Read(runner.ReportingFolder, ReportingTables.Totals).Where(r => r[0] == "20261121" && decimal.Parse(r[5], CultureInfo.InvariantCulture) > 0).ToList()),
            Canonical(ReportingTables.Totals, day));
        Assert.NotEmpty(day);
    }

    [Fact]
    public async Task The_odata_service_document_and_metadata_name_every_table_and_need_the_admin_key()
    {
        await using var host = await RuntimeHost.StartAsync();
        using var admin = host.Client(RuntimeHost.AdminKey);
        using var vendor = host.Client();

        var service = JsonDocument.Parse(await admin.GetStringAsync(new Uri("/odata", UriKind.Relative))).RootElement;
        var metadata = await admin.GetStringAsync(new Uri("/odata/$metadata", UriKind.Relative));

        Assert.Equal(ReportingTables.All.Select(t => t.Name).Order(StringComparer.Ordinal),
            service.GetProperty("value").EnumerateArray().Select(e => e.GetProperty("name").GetString()!).Order(StringComparer.Ordinal));
        Assert.All(ReportingTables.All, t => Assert.Contains($"<EntitySet Name=\"{t.Name}\"", metadata, StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.Forbidden, (await vendor.GetAsync(new Uri("/odata/fact_breaks", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync(new Uri("/odata/fact_nothing", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.GetAsync(new Uri("/odata/fact_totals?$filter=contains(measure,'cash')", UriKind.Relative))).StatusCode);
    }

    /// <summary>The rows of an entity set as CSV cells (numbers, dates and flags written the way the CSV writes them).</summary>
    private static async Task<List<string[]>> EntitiesAsync(HttpClient client, string query)
    {
        var response = await client.GetAsync(new Uri("/odata/" + query, UriKind.Relative));
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        Assert.Equal("4.0", response.Headers.GetValues("OData-Version").Single());
        var name = query.Split('?')[0];
        var table = ReportingTables.All.Single(t => t.Name == name);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        return [.. body.GetProperty("value").EnumerateArray().Select(entity => table.Columns.Select(c => Cell(c, entity.GetProperty(c.Name))).ToArray())];
    }

    private static string Cell(ReportingColumn column, JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Null => "",
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        JsonValueKind.Number => value.GetDecimal().ToString(CultureInfo.InvariantCulture),
        _ when column.Type == ColumnType.Timestamp => value.GetDateTimeOffset().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
        _ => value.GetString()!,
    };

    /// <summary>Rows as comparable text: amounts normalised (1.50 and 1.5 are the same number), in a stable order.</summary>
    private static List<string> Canonical(ReportingTable table, IReadOnlyList<string[]> rows) =>
    [
        .. rows.Select(row => string.Join("|", table.Columns.Select((c, i) =>
                c.Type is ColumnType.Amount or ColumnType.Whole && row[i].Length > 0 ? decimal.Parse(row[i], CultureInfo.InvariantCulture).ToString("G29", CultureInfo.InvariantCulture) : row[i])))
            .Order(StringComparer.Ordinal),
    ];
}
