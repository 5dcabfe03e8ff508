using HealthFlow.Ledger;
using HealthFlow.Ledger.Storage;

namespace HealthFlow.Cli.Tests;

public sealed class ReconcileCommandTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "healthflow-tests", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_folder))
            Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task Reconcile_prints_the_summary_and_writes_every_reporting_table()
    {
        using (var store = FileBlobStore.OpenWritable(_folder))
        await using (var ledger = await BlobLedger.OpenAsync(store))
            await ledger.AppendAsync(new LedgerEntry("s", "T", "k", "", "", new byte[10]));

        var (exit, output) = await CliRunner.RunAsync("reconcile", "--date", "2026-01-15", "--data", _folder);

        Assert.Equal(0, exit);
        Assert.Contains("Reconciliation of 2026-01-15", output, StringComparison.Ordinal);
        Assert.Contains("Breaks: 0", output, StringComparison.Ordinal);
        Assert.Equal(
            ["dim_account.csv", "dim_date.csv", "dim_facility.csv", "dim_payer.csv", "fact_accounts.csv", "fact_breaks.csv", "fact_counts.csv", "fact_remittances.csv", "fact_sla.csv", "fact_totals.csv"],
            Directory.GetFiles(Path.Combine(_folder, "reporting")).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Contains("20260115,2026-01-15,2026,1,15,Thursday", await File.ReadAllTextAsync(Path.Combine(_folder, "reporting", "dim_date.csv")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reconcile_refuses_a_date_not_written_yyyy_MM_dd()
    {
        var (exit, _) = await CliRunner.RunAsync("reconcile", "--date", "15.01.2026", "--data", _folder);

        Assert.NotEqual(0, exit);
    }
}
