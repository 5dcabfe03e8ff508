namespace HealthFlow.Ledger.Storage;

/// <summary>
/// The blob-store port the ledger, the bus cursors and the raw-payload store stand on. Two implementations
/// exist: <see cref="FileBlobStore"/> (the embedded default) and <see cref="AzureBlobStore"/> (Azure Blob
/// Storage over its REST API). Both pass the same behavioural test suite.
/// </summary>
/// <remarks>
/// Invariants every implementation keeps:
/// <list type="bullet">
/// <item>An append or put that returned success is durable (fsync'd, or acknowledged by Azure Storage).</item>
/// <item><see cref="AppendAsync"/> writes only when the blob's length equals the expected offset, so two
/// writers can never interleave bytes: one wins, the other gets <see cref="AppendStatus.Conflict"/>.</item>
/// <item><see cref="PutAsync"/> replaces a blob atomically: readers see the old bytes or the new, never a mix.</item>
/// <item>Names are relative, '/'-separated and made of <c>[A-Za-z0-9._-]</c> segments (see <see cref="BlobName"/>).</item>
/// </list>
/// Expected outcomes (conflict, not found, retention) are values; exceptions mean I/O really failed.
/// </remarks>
public interface IBlobStore
{
    /// <summary>Creates an empty append blob. Returns false when a blob of that name already exists.</summary>
    Task<bool> CreateIfAbsentAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>
    /// Appends <paramref name="data"/> when the blob's current length is <paramref name="expectedOffset"/>;
    /// durable when it returns <see cref="AppendStatus.Appended"/>.
    /// </summary>
    Task<AppendResult> AppendAsync(string name, long expectedOffset, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default);

    /// <summary>Reads up to <c>buffer.Length</c> bytes at <paramref name="offset"/>; returns the count read, 0 at the end.</summary>
    /// <exception cref="BlobNotFoundException">The blob does not exist.</exception>
    Task<int> ReadAsync(string name, long offset, Memory<byte> buffer, CancellationToken cancellationToken = default);

    /// <summary>Length and ETag of a blob, or null when it does not exist.</summary>
    Task<BlobInfo?> GetInfoAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Blobs whose name starts with <paramref name="prefix"/>, in ordinal name order.</summary>
    IAsyncEnumerable<BlobInfo> ListAsync(string prefix, CancellationToken cancellationToken = default);

    /// <summary>A whole (small) blob with its ETag, or null when it does not exist.</summary>
    Task<BlobContent?> GetAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>
    /// Replaces a whole blob atomically when its ETag is <paramref name="ifMatch"/>; with a null
    /// <paramref name="ifMatch"/> the blob must not exist yet.
    /// </summary>
    Task<PutResult> PutAsync(string name, ReadOnlyMemory<byte> data, string? ifMatch, CancellationToken cancellationToken = default);

    /// <summary>Deletes a blob where the retention policy allows it (and its ETag matches, when given).</summary>
    Task<DeleteStatus> DeleteAsync(string name, string? ifMatch = null, CancellationToken cancellationToken = default);
}

/// <summary>Name, length and ETag of a stored blob.</summary>
public readonly record struct BlobInfo(string Name, long Length, string ETag);

/// <summary>A whole blob's bytes and the ETag they were read at.</summary>
public sealed record BlobContent(ReadOnlyMemory<byte> Data, string ETag);

/// <summary>How an append ended.</summary>
public enum AppendStatus
{
    /// <summary>The bytes are durable at the expected offset.</summary>
    Appended,
    /// <summary>The blob's length was not the expected offset (another writer got there first); nothing was written.</summary>
    Conflict,
    /// <summary>The blob does not exist.</summary>
    NotFound,
}

/// <summary>Result of <see cref="IBlobStore.AppendAsync"/>: the status and the blob's length afterwards (or as found, on conflict).</summary>
public readonly record struct AppendResult(AppendStatus Status, long Length);

/// <summary>How a conditional put ended.</summary>
public enum PutStatus
{
    /// <summary>The new bytes replaced the blob; <see cref="PutResult.ETag"/> is the new ETag.</summary>
    Written,
    /// <summary>The ETag did not match (or the blob exists when it was required not to); nothing was written.</summary>
    Conflict,
    /// <summary>The retention policy forbids replacing this blob.</summary>
    RetentionForbids,
}

/// <summary>Result of <see cref="IBlobStore.PutAsync"/>.</summary>
public readonly record struct PutResult(PutStatus Status, string? ETag);

/// <summary>How a delete ended.</summary>
public enum DeleteStatus
{
    Deleted,
    NotFound,
    /// <summary>The ETag did not match.</summary>
    Conflict,
    /// <summary>The retention policy protects this blob (ledger segments and raw payloads are never deleted).</summary>
    RetentionForbids,
}

/// <summary>Thrown when reading a blob that does not exist: callers read only blobs they listed or created.</summary>
public sealed class BlobNotFoundException(string name) : Exception($"Blob '{name}' does not exist.")
{
    public string BlobName { get; } = name;
}
