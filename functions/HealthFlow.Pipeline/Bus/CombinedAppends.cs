using HealthFlow.Ledger;

namespace HealthFlow.Pipeline.Bus;

/// <summary>
/// Appends single records to the ledger, those that arrive while an append is in flight together in the next one:
/// one ledger request for many small records (the bus's settlements), each caller answered when its record is durable.
/// </summary>
/// <remarks>
/// A caller that finds no append in flight appends at once, so a lone record waits no longer than it would alone. A
/// failed append fails every record in it (none is known to be durable).
/// </remarks>
internal sealed class CombinedAppends(ILedger ledger)
{
    private readonly Lock _gate = new();
    private List<(LedgerEntry Record, TaskCompletionSource Done)> _queue = [];
    private bool _appending;

    public Task AppendAsync(LedgerEntry record)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        bool lead;
        lock (_gate)
        {
            _queue.Add((record, done));
            lead = !_appending;
            _appending = true;
        }
        if (lead)
            _ = DrainAsync();
        return done.Task;
    }

    private async Task DrainAsync()
    {
        while (true)
        {
            List<(LedgerEntry Record, TaskCompletionSource Done)> batch;
            lock (_gate)
            {
                if (_queue.Count == 0)
                {
                    _appending = false;
                    return;
                }
                batch = _queue;
                _queue = [];
            }
            try
            {
                // Not cancellable: once queued, a record may become durable, and its caller must learn which.
                await ledger.AppendBatchAsync(batch.ConvertAll(b => b.Record), CancellationToken.None);
                foreach (var (_, done) in batch)
                    done.TrySetResult();
            }
            catch (Exception ex)
            {
                foreach (var (_, done) in batch)
                    done.TrySetException(ex);
            }
        }
    }
}
