using HealthFlow.Ledger.Storage;

namespace HealthFlow.Ledger.Tests.Storage;

/// <summary>The blob-store contract on <see cref="AzureBlobStore"/> against Azurite, a fresh container per test.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class AzureBlobStoreContractTests(AzuriteFixture azurite) : BlobStoreContract
{
    protected override async Task<IBlobStore> OpenEmptyStoreAsync()
    {
        var store = AzureBlobStore.FromConnectionString(azurite.ConnectionString, "t" + Guid.NewGuid().ToString("N"), RetentionPolicy.Default);
        Assert.True(await store.EnsureContainerAsync());
        return store;
    }
}
