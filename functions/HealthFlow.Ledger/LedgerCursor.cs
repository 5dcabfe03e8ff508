using System.Diagnostics.CodeAnalysis;

namespace HealthFlow.Ledger;

/// <summary>
/// How far a read model has read the ledger, so each catch-up reads only what arrived since, other instances' appends
/// included (the ledger is refreshed first). The first catch-up reads everything. After it, a ledger this process alone
/// writes has nothing the model has not applied directly, so catching up costs nothing there and callers need not know
/// which host they run in; a model that this process does not keep current directly (an index its router fills, which
/// can lag) passes <c>ownAppendsToo</c> and reads on every catch-up. One catch-up runs at a time; the read must be
/// idempotent (records applied directly are read again).
/// </summary>
[SuppressMessage("Design", "CA1001", Justification = "The semaphore never creates its wait handle (only WaitAsync is used), so there is nothing to dispose; owners need not be disposable.")]
public sealed class LedgerCursor(ILedger ledger, bool ownAppendsToo = false)
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private long _readThrough = -1;

    /// <summary>Refreshes the ledger and runs <paramref name="read"/> from the first position not yet read.</summary>
    public async Task CatchUpAsync(Func<long, Task> read, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(read);
        if (Volatile.Read(ref _readThrough) >= 0 && !ledger.HasOtherWriters && !ownAppendsToo)
            return;
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var head = await ledger.RefreshAsync(cancellationToken);
            await read(Math.Max(_readThrough, 0));
            Volatile.Write(ref _readThrough, head);
        }
        finally
        {
            _gate.Release();
        }
    }
}
