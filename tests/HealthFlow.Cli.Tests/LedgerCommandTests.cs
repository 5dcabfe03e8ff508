using HealthFlow.Ledger;
using HealthFlow.Ledger.Storage;

namespace HealthFlow.Cli.Tests;

public sealed class LedgerCommandTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "healthflow-tests", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_folder))
            Directory.Delete(_folder, recursive: true);
    }

    private async Task WriteRecordsAsync(int count)
    {
        using var store = FileBlobStore.OpenWritable(_folder);
        await using var ledger = await BlobLedger.OpenAsync(store);
        for (var i = 0; i < count; i++)
            await ledger.AppendAsync(new LedgerEntry("s", "T", $"k{i}", "", "", new byte[100]));
    }

    [Fact]
    public async Task Ledger_verify_exits_0_on_a_whole_chain()
    {
        await WriteRecordsAsync(10);
        var (exit, output) = await CliRunner.RunAsync("ledger", "verify", "--data", _folder);
        Assert.Equal(0, exit);
        Assert.Contains("11 records", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ledger_verify_names_the_damaged_segment_and_repair_makes_it_verify()
    {
        await WriteRecordsAsync(10);
        var segment = Path.Combine(_folder, "ledger", "p0", "0000000000.seg");
        var bytes = await File.ReadAllBytesAsync(segment);
        bytes[bytes.Length / 2] ^= 0xFF;
        await File.WriteAllBytesAsync(segment, bytes);

        var (broken, output) = await CliRunner.RunAsync("ledger", "verify", "--data", _folder);
        Assert.Equal(2, broken);
        Assert.Contains("ledger/p0/0000000000.seg at offset", output, StringComparison.Ordinal);

        var (repaired, _) = await CliRunner.RunAsync("ledger", "repair", "--data", _folder, "--reason", "test");
        Assert.Equal(0, repaired);
        var (after, notes) = await CliRunner.RunAsync("ledger", "verify", "--data", _folder);
        Assert.Equal(0, after);
        Assert.Contains("repair", notes, StringComparison.Ordinal);
    }
}
