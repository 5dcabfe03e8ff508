using HealthFlow.Ledger.Storage;

namespace HealthFlow.Ledger.Tests;

/// <summary>
/// A pass-through store whose appends can be held back: after <see cref="Hold"/>, appends wait (each one first
/// completing <see cref="Held"/>) until <see cref="Release"/>, so a test decides when a commit's write completes; and
/// <see cref="BeforeGetInfo"/> lets another writer act between a reader's scan of a blob and its look at the next; it counts the bytes read.
/// </summary>
internal sealed class HeldBlobStore(IBlobStore inner) : IBlobStore
{
    private TaskCompletionSource _release = Completed();
    private TaskCompletionSource _held = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes once an append is waiting behind <see cref="Hold"/>.</summary>
    public Task Held => _held.Task;

    public void Hold()
    {
        _held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    public void Release() => _release.TrySetResult();

    public async Task<AppendResult> AppendAsync(string name, long expectedOffset, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        var release = _release;
        _held.TrySetResult();
        await release.Task;
        return await inner.AppendAsync(name, expectedOffset, data, cancellationToken);
    }

    public Task<bool> CreateIfAbsentAsync(string name, CancellationToken cancellationToken = default) => inner.CreateIfAbsentAsync(name, cancellationToken);

    /// <summary>Bytes read through this store so far.</summary>
    public long BytesRead => Interlocked.Read(ref _bytesRead);

    private long _bytesRead;

    public async Task<int> ReadAsync(string name, long offset, Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await inner.ReadAsync(name, offset, buffer, cancellationToken);
        Interlocked.Add(ref _bytesRead, read);
        return read;
    }

    /// <summary>Runs before each <see cref="GetInfoAsync"/>, with the blob's name.</summary>
    public Func<string, Task>? BeforeGetInfo { get; set; }

    public async Task<BlobInfo?> GetInfoAsync(string name, CancellationToken cancellationToken = default)
    {
        if (BeforeGetInfo is { } before)
            await before(name);
        return await inner.GetInfoAsync(name, cancellationToken);
    }

    public IAsyncEnumerable<BlobInfo> ListAsync(string prefix, CancellationToken cancellationToken = default) => inner.ListAsync(prefix, cancellationToken);

    public Task<BlobContent?> GetAsync(string name, CancellationToken cancellationToken = default) => inner.GetAsync(name, cancellationToken);

    public Task<PutResult> PutAsync(string name, ReadOnlyMemory<byte> data, string? ifMatch, CancellationToken cancellationToken = default) => inner.PutAsync(name, data, ifMatch, cancellationToken);

    public Task<DeleteStatus> DeleteAsync(string name, string? ifMatch = null, CancellationToken cancellationToken = default) => inner.DeleteAsync(name, ifMatch, cancellationToken);

    private static TaskCompletionSource Completed()
    {
        var done = new TaskCompletionSource();
        done.SetResult();
        return done;
    }
}
