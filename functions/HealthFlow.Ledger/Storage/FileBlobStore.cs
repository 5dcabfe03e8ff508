using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Microsoft.Win32.SafeHandles;

namespace HealthFlow.Ledger.Storage;

/// <summary>
/// The embedded blob store: one file per blob under a root folder. Appends are positional writes followed by
/// fsync; a blob's creation and every atomic replace (write to a temporary file, fsync, rename) also fsync the
/// directory, so a name that was acknowledged survives power loss.
/// </summary>
/// <remarks>
/// One process writes a data folder at a time: a writable store holds an exclusive lock on <c>.writer.lock</c>
/// in the root for its lifetime (released by the OS if the process dies), so in-process locks are enough to
/// keep "append at the expected offset" atomic. Read-only stores (for <c>healthflow ledger verify</c> next to a
/// running server) take no lock. A crash can leave a partly written tail on an append blob; the ledger, which
/// knows record framing, detects and cuts it at start-up.
/// </remarks>
public sealed class FileBlobStore : IBlobStore, IDisposable
{
    private const string TemporarySuffix = "~tmp";
    private readonly string _root;
    private readonly RetentionPolicy _retention;
    private readonly FileStream? _writerLock;
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _locks = new(StringComparer.Ordinal);
    // Append blobs keep one open handle each, and their length: opening a file per group commit would cost more than the write.
    private readonly ConcurrentDictionary<string, AppendFile> _appendFiles = new(StringComparer.Ordinal);
    private bool _disposed;

    private FileBlobStore(string root, RetentionPolicy retention, bool readOnly)
    {
        _root = Path.GetFullPath(root);
        _retention = retention;
        if (readOnly)
            return;
        Directory.CreateDirectory(_root);
        try
        {
            _writerLock = new FileStream(Path.Combine(_root, ".writer.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException ex)
        {
            throw new IOException($"The data folder '{_root}' is in use by another HealthFlow process.", ex);
        }
    }

    /// <summary>Opens a writable store, creating the folder; fails when another process writes it.</summary>
    public static FileBlobStore OpenWritable(string root, RetentionPolicy? retention = null) =>
        new(root, retention ?? RetentionPolicy.Default, readOnly: false);

    /// <summary>Opens a store for reading only (verification, inspection); takes no lock.</summary>
    public static FileBlobStore OpenReadOnly(string root) => new(root, RetentionPolicy.Default, readOnly: true);

    public string Root => _root;

    public async Task<bool> CreateIfAbsentAsync(string name, CancellationToken cancellationToken = default)
    {
        var path = PathOf(name);
        EnsureWritable();
        var gate = LockOf(name);
        await gate.WaitAsync(cancellationToken);
        try
        {
            if (File.Exists(path))
                return false;
            CreateDirectoryDurably(Path.GetDirectoryName(path)!);
            SafeFileHandle handle;
            try
            {
                handle = File.OpenHandle(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
            }
            catch (IOException) when (File.Exists(path))
            {
                return false;
            }
            RandomAccess.FlushToDisk(handle);
            _appendFiles[name] = new AppendFile(handle, 0);
            DurableFileSystem.SyncDirectory(Path.GetDirectoryName(path)!);
            return true;
        }
        finally
        {
            gate.Release();
        }
    }

    public async Task<AppendResult> AppendAsync(string name, long expectedOffset, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        var path = PathOf(name);
        EnsureWritable();
        var gate = LockOf(name);
        await gate.WaitAsync(cancellationToken);
        try
        {
            var file = AppendFileOf(name, path);
            if (file is null)
                return new AppendResult(AppendStatus.NotFound, 0);
            // Only this store writes the file (the writer lock) and only under the blob's gate, so the length it keeps
            // is the file's: an append is a pwrite and an fsync, like the raw baseline, with no fstat before them.
            var length = file.Length >= 0 ? file.Length : RandomAccess.GetLength(file.Handle);
            if (length != expectedOffset)
                return new AppendResult(AppendStatus.Conflict, length);
            // Synchronous write: the handle is not opened for asynchronous I/O, so WriteAsync would only queue the same
            // blocking pwrite to another thread-pool thread, and the fsync right after blocks this thread anyway. Inline,
            // a group commit costs one thread and no hop between write and fsync.
            cancellationToken.ThrowIfCancellationRequested();
            // A failed write may have left part of its bytes: the next append reads the length from the file.
            file.Length = AppendFile.Unknown;
            RandomAccess.Write(file.Handle, data.Span, expectedOffset);
            RandomAccess.FlushToDisk(file.Handle);
            file.Length = expectedOffset + data.Length;
            return new AppendResult(AppendStatus.Appended, file.Length);
        }
        finally
        {
            gate.Release();
        }
    }

    public async Task<int> ReadAsync(string name, long offset, Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var path = PathOf(name);
        if (_appendFiles.TryGetValue(name, out var cached))
            return await RandomAccess.ReadAsync(cached.Handle, buffer, offset, cancellationToken);
        try
        {
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            return await RandomAccess.ReadAsync(handle, buffer, offset, cancellationToken);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new BlobNotFoundException(name);
        }
    }

    public Task<BlobInfo?> GetInfoAsync(string name, CancellationToken cancellationToken = default)
    {
        var file = new FileInfo(PathOf(name));
        return Task.FromResult<BlobInfo?>(file.Exists ? InfoOf(name, file) : null);
    }

    public async IAsyncEnumerable<BlobInfo> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        // Walk only the folder the prefix pins down ("ledger/p0/00" walks ledger/p0).
        var slash = prefix.LastIndexOf('/');
        var folder = slash < 0 ? _root : Path.Combine(_root, prefix[..slash].Replace('/', Path.DirectorySeparatorChar));
        if (!Directory.Exists(folder))
            yield break;
        var names = new List<(string Name, FileInfo File)>();
        foreach (var path in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories))
        {
            var name = Path.GetRelativePath(_root, path).Replace(Path.DirectorySeparatorChar, '/');
            if (name.StartsWith(prefix, StringComparison.Ordinal) && BlobName.IsValid(name))
                names.Add((name, new FileInfo(path)));
        }
        names.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        foreach (var (name, file) in names)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (file.Exists)
                yield return InfoOf(name, file);
        }
        await Task.CompletedTask;
    }

    public async Task<BlobContent?> GetAsync(string name, CancellationToken cancellationToken = default)
    {
        var path = PathOf(name);
        // Reads race with atomic replaces only in the file's identity, never its content, so a retry settles it.
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                var before = new FileInfo(path);
                if (!before.Exists)
                    return null;
                var data = await File.ReadAllBytesAsync(path, cancellationToken);
                var after = new FileInfo(path);
                if (after.Exists && after.Length == data.Length && after.LastWriteTimeUtc == before.LastWriteTimeUtc)
                    return new BlobContent(data, ETagOf(after));
            }
            catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
            {
                return null;
            }
            if (attempt > 10)
                throw new IOException($"Blob '{name}' kept changing while being read.");
        }
    }

    public async Task<PutResult> PutAsync(string name, ReadOnlyMemory<byte> data, string? ifMatch, CancellationToken cancellationToken = default)
    {
        var path = PathOf(name);
        EnsureWritable();
        var gate = LockOf(name);
        await gate.WaitAsync(cancellationToken);
        try
        {
            var current = new FileInfo(path);
            if (current.Exists && _retention.IsProtected(name))
                return new PutResult(PutStatus.RetentionForbids, null);
            if (ifMatch is null ? current.Exists : !current.Exists || ETagOf(current) != ifMatch)
                return new PutResult(PutStatus.Conflict, null);

            var directory = Path.GetDirectoryName(path)!;
            CreateDirectoryDurably(directory);
            var temporary = path + TemporarySuffix;
            using (var handle = File.OpenHandle(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                await RandomAccess.WriteAsync(handle, data, 0, cancellationToken);
                RandomAccess.FlushToDisk(handle);
            }
            File.Move(temporary, path, overwrite: true);
            DurableFileSystem.SyncDirectory(directory);
            if (_appendFiles.TryRemove(name, out var stale))
                stale.Handle.Dispose();
            return new PutResult(PutStatus.Written, ETagOf(new FileInfo(path)));
        }
        finally
        {
            gate.Release();
        }
    }

    public async Task<DeleteStatus> DeleteAsync(string name, string? ifMatch = null, CancellationToken cancellationToken = default)
    {
        var path = PathOf(name);
        EnsureWritable();
        if (_retention.IsProtected(name))
            return DeleteStatus.RetentionForbids;
        var gate = LockOf(name);
        await gate.WaitAsync(cancellationToken);
        try
        {
            var current = new FileInfo(path);
            if (!current.Exists)
                return DeleteStatus.NotFound;
            if (ifMatch is not null && ETagOf(current) != ifMatch)
                return DeleteStatus.Conflict;
            if (_appendFiles.TryRemove(name, out var file))
                file.Handle.Dispose();
            File.Delete(path);
            DurableFileSystem.SyncDirectory(Path.GetDirectoryName(path)!);
            return DeleteStatus.Deleted;
        }
        finally
        {
            gate.Release();
        }
    }

    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        foreach (var file in _appendFiles.Values)
            file.Handle.Dispose();
        _appendFiles.Clear();
        _writerLock?.Dispose();
    }

    private string PathOf(string name)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return Path.Combine(_root, BlobName.Validate(name).Replace('/', Path.DirectorySeparatorChar));
    }

    private void EnsureWritable()
    {
        if (_writerLock is null)
            throw new InvalidOperationException("This blob store was opened read-only.");
    }

    private SemaphoreSlim LockOf(string name) => _locks.GetOrAdd(name, static _ => new SemaphoreSlim(1, 1));

    private AppendFile? AppendFileOf(string name, string path)
    {
        if (_appendFiles.TryGetValue(name, out var file))
            return file;
        if (!File.Exists(path))
            return null;
        file = new AppendFile(File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete), AppendFile.Unknown);
        _appendFiles[name] = file;
        return file;
    }

    /// <summary>An append blob's open handle and its length, kept by the appends (under the blob's gate).</summary>
    private sealed class AppendFile(SafeFileHandle handle, long length)
    {
        public const long Unknown = -1;

        public SafeFileHandle Handle { get; } = handle;

        /// <summary>The file's length, or <see cref="Unknown"/> until it is read from the file.</summary>
        public long Length { get; set; } = length;
    }

    private void CreateDirectoryDurably(string directory)
    {
        if (Directory.Exists(directory))
            return;
        var parent = Path.GetDirectoryName(directory);
        if (parent is not null && parent.Length >= _root.Length)
            CreateDirectoryDurably(parent);
        Directory.CreateDirectory(directory);
        if (parent is not null)
            DurableFileSystem.SyncDirectory(parent);
    }

    private static BlobInfo InfoOf(string name, FileInfo file) => new(name, file.Length, ETagOf(file));

    // Every write ends in an fsync that takes far longer than the timestamp resolution, so
    // (modification time, length) changes on every write.
    private static string ETagOf(FileInfo file) => $"\"{file.LastWriteTimeUtc.Ticks:x}-{file.Length:x}\"";
}
