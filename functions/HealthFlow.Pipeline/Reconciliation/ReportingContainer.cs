using HealthFlow.Ledger.Storage;

namespace HealthFlow.Pipeline.Reconciliation;

/// <summary>
/// The reporting tables' home in blob storage (the <c>reporting</c> container in Azure, <c>Ledger:ReportingContainerUri</c>),
/// for hosts whose local folder is an instance's passing disk. One blob per table (<c>fact_breaks.csv</c>, …), the same
/// bytes as the CSV file. Every instance keeps a working copy in its reporting folder: a run pulls the container's tables,
/// writes its day into them and puts them back only where the container still holds what it pulled (ETag), so runs of
/// different days on different instances add up instead of overwriting each other. Readers pull before they read.
/// </summary>
public sealed class ReportingContainer(IBlobStore store) : IDisposable
{
    /// <summary>Attempts of pull, write, put before giving up on a container that keeps changing underneath.</summary>
    private const int Attempts = 5;

    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>The ETag of each table as last pulled or put: the working copy is that blob.</summary>
    private readonly Dictionary<string, string> _etags = new(StringComparer.Ordinal);

    /// <summary>Brings the working copy in <paramref name="folder"/> up to the container (downloading only tables that changed).</summary>
    public async Task PullAsync(string folder, CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            await PullUnlockedAsync(folder, cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Pulls, runs <paramref name="write"/> on the working copy (<see cref="ReportingTables.Write"/>), puts every table back; a table changed meanwhile by another writer starts it again.</summary>
    /// <exception cref="IOException">The container kept changing, or refused a table.</exception>
    public async Task WriteAsync(string folder, Action write, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(write);
        await _gate.WaitAsync(cancellationToken);
        try
        {
            for (var attempt = 1; attempt <= Attempts; attempt++)
            {
                await PullUnlockedAsync(folder, cancellationToken);
                write();
                if (await PutUnlockedAsync(folder, cancellationToken))
                    return;
            }

            throw new IOException($"The reporting container kept changing while the tables were written ({Attempts} attempts).");
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task PullUnlockedAsync(string folder, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(folder);
        foreach (var table in ReportingTables.All)
        {
            var path = Path.Combine(folder, table.FileName);
            var info = await store.GetInfoAsync(table.FileName, cancellationToken);
            if (info is null)
            {
                // The container is the truth: a table it lacks is not a table of this instance either.
                File.Delete(path);
                _etags.Remove(table.FileName);
                continue;
            }

            if (_etags.GetValueOrDefault(table.FileName) == info.Value.ETag && File.Exists(path))
                continue;
            if (await store.GetAsync(table.FileName, cancellationToken) is not { } content)
            {
                File.Delete(path);
                _etags.Remove(table.FileName);
                continue;
            }

            var temporary = path + ".tmp";
            await File.WriteAllBytesAsync(temporary, content.Data.ToArray(), cancellationToken);
            File.Move(temporary, path, overwrite: true);
            _etags[table.FileName] = content.ETag;
        }
    }

    /// <summary>Puts every table of the working copy where the container still holds what was pulled; false on the first that changed.</summary>
    private async Task<bool> PutUnlockedAsync(string folder, CancellationToken cancellationToken)
    {
        foreach (var table in ReportingTables.All)
        {
            var data = await File.ReadAllBytesAsync(Path.Combine(folder, table.FileName), cancellationToken);
            var result = await store.PutAsync(table.FileName, data, _etags.GetValueOrDefault(table.FileName), cancellationToken);
            switch (result.Status)
            {
                case PutStatus.Written:
                    _etags[table.FileName] = result.ETag!;
                    break;
                case PutStatus.Conflict:
                    _etags.Remove(table.FileName);
                    return false;
                default:
                    throw new IOException($"The reporting container refused {table.FileName} ({result.Status}).");
            }
        }

        return true;
    }

    public void Dispose() => _gate.Dispose();
}
