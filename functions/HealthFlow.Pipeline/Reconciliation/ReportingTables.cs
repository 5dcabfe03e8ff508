using System.Globalization;
using System.Text;
using HealthFlow.Finance.Mapping;
using HealthFlow.Finance.Reconciliation;
using HealthFlow.Pipeline.Erp;

namespace HealthFlow.Pipeline.Reconciliation;

/// <summary>The type of a reporting column (how the CSV text reads, and its OData type).</summary>
public enum ColumnType
{
    /// <summary>A whole number (Edm.Int64).</summary>
    Whole,

    /// <summary>A decimal amount (Edm.Decimal).</summary>
    Amount,
    Text,
    Date,
    Timestamp,

    /// <summary><c>true</c> or <c>false</c>.</summary>
    Flag,
}

/// <summary>A column of a reporting table.</summary>
public sealed record ReportingColumn(string Name, ColumnType Type);

/// <summary>A reporting table: a CSV file in <c>{data}/reporting/</c> and an OData entity set of the same name.</summary>
public sealed record ReportingTable(string Name, IReadOnlyList<ReportingColumn> Columns)
{
    public string FileName => Name + ".csv";

    /// <summary>Fact tables hold rows per day (a run replaces its day's rows); dimensions are rewritten whole.</summary>
    public bool IsFact => Name.StartsWith("fact_", StringComparison.Ordinal);
}

/// <summary>
/// The star schema of docs/RECONCILIATION.md (a contract: the Power BI model and the OData feed use these names): table
/// definitions, rows from a <see cref="ReconciliationReport"/>, and the CSV files (RFC 4180, CRLF, UTF-8, invariant numbers).
/// </summary>
public static class ReportingTables
{
    public const string Folder = "reporting";

    /// <summary>The columns a fact row is placed by (the day, then the dimensions).</summary>
    private static readonly (string, ColumnType)[] Place =
        [("date_key", ColumnType.Whole), ("legal_entity", ColumnType.Text), ("facility_key", ColumnType.Text), ("payer_key", ColumnType.Text)];

    public static ReportingTable Dates { get; } = Table("dim_date", ("date_key", ColumnType.Whole), ("date", ColumnType.Date), ("year", ColumnType.Whole),
        ("month", ColumnType.Whole), ("day", ColumnType.Whole), ("weekday", ColumnType.Text));

    public static ReportingTable Facilities { get; } = Table("dim_facility", ("facility_key", ColumnType.Text), ("facility_name", ColumnType.Text),
        ("legal_entity", ColumnType.Text), ("legal_entity_name", ColumnType.Text), ("currency", ColumnType.Text));

    public static ReportingTable Payers { get; } = Table("dim_payer", ("payer_key", ColumnType.Text), ("payer_name", ColumnType.Text), ("payer_class", ColumnType.Text));

    public static ReportingTable Accounts { get; } = Table("dim_account", ("account_key", ColumnType.Text), ("account_name", ColumnType.Text), ("account_type", ColumnType.Text));

    public static ReportingTable Totals { get; } = Table("fact_totals", [.. Place, ("measure", ColumnType.Text), ("source_amount", ColumnType.Amount),
        ("posted_amount", ColumnType.Amount), ("erp_amount", ColumnType.Amount), ("source_minus_posted", ColumnType.Amount), ("posted_minus_erp", ColumnType.Amount)]);

    public static ReportingTable AccountTotals { get; } = Table("fact_accounts", [.. Place, ("account_key", ColumnType.Text), ("posted_amount", ColumnType.Amount),
        ("erp_amount", ColumnType.Amount), ("difference", ColumnType.Amount)]);

    public static ReportingTable Remittances { get; } = Table("fact_remittances", [.. Place, ("remittance", ColumnType.Text), ("claims", ColumnType.Whole),
        ("bpr_amount", ColumnType.Amount), ("posted_cash", ColumnType.Amount), ("difference", ColumnType.Amount)]);

    public static ReportingTable Counts { get; } = Table("fact_counts", ("date_key", ColumnType.Whole), ("stage", ColumnType.Text), ("source", ColumnType.Text), ("count", ColumnType.Whole));

    public static ReportingTable Breaks { get; } = Table("fact_breaks", [("break_id", ColumnType.Text), .. Place, ("cause", ColumnType.Text), ("level", ColumnType.Text),
        ("reference", ColumnType.Text), ("expected_amount", ColumnType.Amount), ("actual_amount", ColumnType.Amount), ("difference", ColumnType.Amount),
        ("since", ColumnType.Timestamp), ("age_days", ColumnType.Amount), ("detail", ColumnType.Text)]);

    public static ReportingTable Slas { get; } = Table("fact_sla", [.. Place, ("sla", ColumnType.Text), ("subject", ColumnType.Text), ("hours", ColumnType.Amount),
        ("limit_hours", ColumnType.Amount), ("breached", ColumnType.Flag), ("open", ColumnType.Flag)]);

    public static IReadOnlyList<ReportingTable> All { get; } = [Dates, Facilities, Payers, Accounts, Totals, AccountTotals, Remittances, Counts, Breaks, Slas];

    /// <summary>The day's rows of every table (dimensions: every member master data knows, and the day).</summary>
    public static IReadOnlyList<string?[]> Rows(ReportingTable table, ReconciliationReport report, MasterDataSet masterData)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(masterData);
        var day = DateKey(report.Day);
        return table.Name switch
        {
            "dim_date" => [[day, Date(report.Day), Int(report.Day.Year), Int(report.Day.Month), Int(report.Day.Day), report.Day.DayOfWeek.ToString()]],
            "dim_facility" => [.. masterData.Facilities.Select(f => new[] { f.Code, f.Name, f.LegalEntity, masterData.LegalEntityOf(f).Name, masterData.LegalEntityOf(f).Currency })],
            "dim_payer" => [.. masterData.Payers.Select(p => new[] { p.Code, p.Name, p.PayerClass })],
            "dim_account" => [.. masterData.Accounts.Values.OrderBy(a => a.Account, StringComparer.Ordinal).Select(a => new[] { a.Account, a.Name, Kebab(a.Type.ToString()) })],
            "fact_totals" => [.. report.Totals.Select(t => new[] { day, t.Key.LegalEntity, t.Key.Facility, t.Key.Payer, t.Key.Measure, Amount(t.Source), Amount(t.Posted), Amount(t.Erp),
                Amount(t.Source - t.Posted), Amount(t.Posted - t.Erp) })],
            "fact_accounts" => [.. report.Accounts.Select(a => new[] { day, a.LegalEntity, a.Facility, a.Payer, a.Account, Amount(a.Posted), Amount(a.Erp), Amount(a.Posted - a.Erp) })],
            "fact_remittances" => [.. report.Remittances.Select(r => new[] { day, r.LegalEntity, r.Facility, r.Payer, r.Remittance, Int(r.Claims), Amount(r.Bpr), Amount(r.PostedCash),
                Amount(r.Bpr - r.PostedCash) })],
            "fact_counts" => [.. report.Counts.Select(c => new[] { day, c.Stage, c.Source, c.Count.ToString(CultureInfo.InvariantCulture) })],
            "fact_breaks" => [.. report.Breaks.Select(b => new[] { b.Id, day, b.LegalEntity, b.Facility, b.Payer, b.Cause, b.Level, b.Reference, Amount(b.Expected), Amount(b.Actual),
                Amount(b.Difference), Timestamp(b.Since), Amount(b.AgeDays), b.Detail })],
            "fact_sla" => [.. report.Slas.Select(s => new[] { day, s.LegalEntity, s.Facility, s.Payer, s.Sla, s.Subject, Amount(s.Hours), Amount(s.LimitHours), Bool(s.Breached), Bool(s.Open) })],
            _ => throw new ArgumentException($"Unknown table {table.Name}.", nameof(table)),
        };
    }

    /// <summary>Writes every table: a fact table's rows of the report's day are replaced, other days kept; dimensions rewritten (dates merged).</summary>
    public static void Write(string folder, ReconciliationReport report, MasterDataSet masterData)
    {
        ArgumentNullException.ThrowIfNull(report);
        Directory.CreateDirectory(folder);
        var day = DateKey(report.Day);
        foreach (var table in All)
        {
            var rows = Rows(table, report, masterData);
            var path = Path.Combine(folder, table.FileName);
            if ((table.IsFact || table == Dates) && File.Exists(path))
            {
                var dateColumn = table.Columns.ToList().FindIndex(c => c.Name == "date_key");
                var kept = Read(folder, table).Where(r => r[dateColumn] != day);
                rows = table == Dates
                    ? [.. kept.Concat(rows).OrderBy(r => r[0], StringComparer.Ordinal)]
                    : [.. kept.Concat(rows)];
            }

            var text = new StringBuilder();
            JournalFormat.AppendRow(text, [.. table.Columns.Select(c => c.Name)]);
            foreach (var row in rows)
                JournalFormat.AppendRow(text, row);
            // Replace atomically: a reader (Power BI, the OData feed) sees the old file or the new one, never half.
            var temporary = path + ".tmp";
            File.WriteAllText(temporary, text.ToString(), new UTF8Encoding(false));
            File.Move(temporary, path, overwrite: true);
        }
    }

    /// <summary>The rows of a table's CSV file (empty when it does not exist yet).</summary>
    /// <exception cref="InvalidDataException">The header is not the table's.</exception>
    public static IReadOnlyList<string[]> Read(string folder, ReportingTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        var path = Path.Combine(folder, table.FileName);
        if (!File.Exists(path))
            return [];
        var records = JournalFormat.ParseCsv(File.ReadAllText(path, Encoding.UTF8)).Select(r => r.ToArray()).ToList();
        if (records.Count == 0 || !records[0].SequenceEqual(table.Columns.Select(c => c.Name)))
            throw new InvalidDataException($"{path} does not have the columns of {table.Name}.");
        return records[1..];
    }

    public static string DateKey(DateOnly day) => day.ToString("yyyyMMdd", CultureInfo.InvariantCulture);

    private static ReportingTable Table(string name, params (string Name, ColumnType Type)[] columns) =>
        new(name, [.. columns.Select(c => new ReportingColumn(c.Name, c.Type))]);

    private static string Date(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string? Amount(decimal? value) => value?.ToString(CultureInfo.InvariantCulture);

    private static string Bool(bool value) => value ? "true" : "false";

    private static string Timestamp(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static string Kebab(string pascal) =>
        string.Concat(pascal.Select((c, i) => char.IsUpper(c) && i > 0 ? "-" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));
}
