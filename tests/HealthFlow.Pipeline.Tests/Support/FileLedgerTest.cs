using HealthFlow.Ledger;
using HealthFlow.Ledger.Storage;

namespace HealthFlow.Pipeline.Tests.Support;

/// <summary>A test class over a fresh ledger on the file store in a temporary folder, deleted afterwards.</summary>
public abstract class FileLedgerTest : IAsyncLifetime
{
    private FileBlobStore _store = null!;

    protected string Folder { get; } = RuntimeHost.NewFolder();

    protected BlobLedger Ledger { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _store = FileBlobStore.OpenWritable(Folder);
        Ledger = await BlobLedger.OpenAsync(_store);
    }

    public async Task DisposeAsync()
    {
        await Ledger.DisposeAsync();
        _store.Dispose();
        Directory.Delete(Folder, recursive: true);
    }
}
