using HealthFlow.Ledger.Storage;

namespace HealthFlow.Ledger.Tests.Storage;

/// <summary>The blob-store contract on <see cref="FileBlobStore"/> in a fresh temporary folder per test.</summary>
public sealed class FileBlobStoreContractTests : BlobStoreContract
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "healthflow-tests", "file-store-" + Guid.NewGuid().ToString("N"));

    protected override Task<IBlobStore> OpenEmptyStoreAsync() =>
        Task.FromResult<IBlobStore>(FileBlobStore.OpenWritable(_root, RetentionPolicy.Default));

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: the OS temp cleaner gets what a lingering handle kept.
        }
    }
}
