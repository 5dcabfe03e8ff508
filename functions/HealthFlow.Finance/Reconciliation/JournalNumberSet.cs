namespace HealthFlow.Finance.Reconciliation;

/// <summary>
/// The journal numbers a day has seen (two million of them, random 80-bit values): one open-addressing table of the numbers
/// themselves, so an insert touches one place in memory where a <see cref="HashSet{T}"/> touches a bucket and an entry
/// in two arrays of tens of megabytes (about half the time of reconciling a posted journal went there).
/// </summary>
internal sealed class JournalNumberSet
{
    private const ulong Multiplier = 0x9E3779B97F4A7C15;
    // Seeded per set, so that numbers chosen to collide (a journal id is any hex) cannot pile up in one probe chain.
    private readonly ulong _seed = (ulong)Random.Shared.NextInt64();
    // Zero marks an empty slot, so the number zero is kept apart.
    private UInt128[] _slots = new UInt128[1024];
    private bool _hasZero;
    private int _count;

    /// <summary>Adds <paramref name="number"/>; false when it was already there.</summary>
    public bool Add(UInt128 number)
    {
        if (number == UInt128.Zero)
        {
            var added = !_hasZero;
            _hasZero = true;
            return added;
        }
        var mask = _slots.Length - 1;
        for (var at = Slot(number, mask); ; at = (at + 1) & mask)
        {
            ref var slot = ref _slots[at];
            if (slot == number)
                return false;
            if (slot == UInt128.Zero)
            {
                slot = number;
                // At most half full, so that a probe ends within a slot or two.
                if (++_count * 2 > _slots.Length)
                    Grow();
                return true;
            }
        }
    }

    private int Slot(UInt128 number, int mask)
    {
        unchecked
        {
            var hash = ((((ulong)number ^ _seed) * Multiplier) ^ (ulong)(number >> 64)) * Multiplier;
            return (int)(hash >> 32) & mask;
        }
    }

    private void Grow()
    {
        var old = _slots;
        _slots = new UInt128[old.Length * 2];
        var mask = _slots.Length - 1;
        foreach (var number in old)
        {
            if (number == UInt128.Zero)
                continue;
            var at = Slot(number, mask);
            while (_slots[at] != UInt128.Zero)
                at = (at + 1) & mask;
            _slots[at] = number;
        }
    }
}
