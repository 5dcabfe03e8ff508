using System.Diagnostics.CodeAnalysis;

namespace HealthFlow.Pipeline.Workflows;

/// <summary>
/// What one step read or wrote at a ledger position, kept in memory for the step after it in the same process, which
/// takes it once. Bounded, oldest first, whether taken or not (the write order holds taken ones too): the next step may
/// never come here (a plan that lost a race, a restart, another instance). The ledger stays the truth: a step that finds
/// nothing here reads the record.
/// </summary>
/// <param name="maxEntries">How many of the latest positions are kept at most.</param>
/// <param name="maxBytes">How many bytes of kept values, as <paramref name="bytesOf"/> counts them, are kept at most.</param>
/// <param name="bytesOf">A kept value's size; without it only <paramref name="maxEntries"/> bounds.</param>
internal sealed class LedgerHandOver<T>(int maxEntries, long maxBytes = long.MaxValue, Func<T, long>? bytesOf = null)
    where T : notnull
{
    private readonly Lock _gate = new();
    private readonly Dictionary<long, T> _kept = [];
    private readonly Queue<long> _order = new();
    private long _bytes;

    /// <summary>Keeps <paramref name="value"/> for position <paramref name="position"/> (a position already kept keeps its first value).</summary>
    public void Keep(long position, T value)
    {
        lock (_gate)
        {
            if (!_kept.TryAdd(position, value))
                return;
            _order.Enqueue(position);
            _bytes += Bytes(value);
            while ((_bytes > maxBytes || _order.Count > maxEntries) && _order.TryDequeue(out var oldest))
            {
                if (_kept.Remove(oldest, out var evicted))
                    _bytes -= Bytes(evicted);
            }
        }
    }

    /// <summary>Takes out what is kept for <paramref name="position"/>, if anything.</summary>
    public bool TryTake(long position, [MaybeNullWhen(false)] out T value)
    {
        lock (_gate)
        {
            if (!_kept.Remove(position, out value))
                return false;
            _bytes -= Bytes(value);
            return true;
        }
    }

    private long Bytes(T value) => bytesOf?.Invoke(value) ?? 0;
}
