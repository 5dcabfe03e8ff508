using System.Runtime.InteropServices;
using System.Text;
using System.Text.Unicode;

namespace HealthFlow.Finance.Journals;

/// <summary>
/// One string instance per distinct short text read from UTF-8, for the low-cardinality fields of millions of journals
/// (kind, legal entity, currency, account, payer, facility, correlation id): a reader that keeps them, like a read-model
/// rebuild, then holds one copy of each instead of one per journal, and reading one allocates nothing once it is pooled.
/// Not thread-safe: one per reader.
/// </summary>
/// <remarks>
/// Keyed by the UTF-8 bytes themselves (an open-addressing table), so a hit neither validates nor transcodes: reconciling
/// a day reads about thirteen pooled fields per journal, two million journals. Valid UTF-8 has one encoding per text, so
/// equal bytes are equal strings. A text of up to 16 bytes, nearly all that is pooled, is known by its length and two
/// overlapping words read off its ends, which the table entry holds: a lookup compares them without a loop and without
/// following a reference to the entry's bytes. The hash is seeded per pool, so crafted field values cannot pile up in one
/// probe chain.
/// </remarks>
public sealed class Utf8StringPool
{
    /// <summary>Longer texts are not pooled (identifiers, not categories).</summary>
    public const int MaxBytes = 64;

    private readonly int _capacity;
    private readonly ulong _seed = (ulong)Random.Shared.NextInt64();
    private Entry[] _table = new Entry[64];
    private int _count;

    /// <param name="capacity">How many distinct strings are kept; beyond that, new ones are still returned but not pooled.</param>
    public Utf8StringPool(int capacity = 16384) => _capacity = capacity;

    /// <summary>The pooled string <paramref name="utf8"/> spells; false when it is longer than <see cref="MaxBytes"/> or not valid UTF-8.</summary>
    public bool TryGet(ReadOnlySpan<byte> utf8, out string value)
    {
        value = "";
        if (utf8.Length > MaxBytes)
            return false;
        var (head, tail) = Ends(utf8);
        var hash = Hash(utf8, head, tail);
        var mask = _table.Length - 1;
        var at = (int)(hash & (uint)mask);
        for (; _table[at].Value is { } known; at = (at + 1) & mask)
        {
            ref readonly var entry = ref _table[at];
            if (entry.Head == head && entry.Tail == tail && entry.Length == utf8.Length && (entry.Long is not { } bytes || utf8.SequenceEqual(bytes)))
            {
                value = known;
                return true;
            }
        }

        if (!Utf8.IsValid(utf8))
            return false;
        value = Encoding.UTF8.GetString(utf8);
        if (_count < _capacity)
            Add(new Entry(head, tail, utf8.Length, hash, utf8.Length > 16 ? utf8.ToArray() : null, value), at);
        return true;
    }

    private void Add(Entry entry, int at)
    {
        _table[at] = entry;
        // At most half full, so that a miss ends at an empty slot within a probe or two.
        if (++_count * 2 <= _table.Length)
            return;
        var old = _table;
        _table = new Entry[old.Length * 2];
        var mask = _table.Length - 1;
        foreach (var moved in old)
        {
            if (moved.Value is null)
                continue;
            var slot = (int)(moved.Hash & (uint)mask);
            while (_table[slot].Value is not null)
                slot = (slot + 1) & mask;
            _table[slot] = moved;
        }
    }

    /// <summary>
    /// The text's first and last bytes as two words, overlapping when it is shorter than 16 bytes (zero-extended below 8):
    /// with its length they spell a text of up to 16 bytes exactly.
    /// </summary>
    private static (ulong Head, ulong Tail) Ends(ReadOnlySpan<byte> utf8) => utf8.Length switch
    {
        >= 8 => (MemoryMarshal.Read<ulong>(utf8), MemoryMarshal.Read<ulong>(utf8[^8..])),
        >= 4 => (MemoryMarshal.Read<uint>(utf8), MemoryMarshal.Read<uint>(utf8[^4..])),
        >= 2 => (MemoryMarshal.Read<ushort>(utf8), MemoryMarshal.Read<ushort>(utf8[^2..])),
        1 => (utf8[0], 0UL),
        _ => (0UL, 0UL),
    };

    /// <summary>A seeded multiply-xorshift over the length and the two end words, and over the words between them for texts over 16 bytes.</summary>
    private uint Hash(ReadOnlySpan<byte> utf8, ulong head, ulong tail)
    {
        const ulong Multiplier = 0x9E3779B97F4A7C15;
        unchecked
        {
            var hash = (_seed ^ (ulong)utf8.Length) * Multiplier;
            hash = (hash ^ head) * Multiplier;
            for (var at = 8; at < utf8.Length - 8; at += 8)
                hash = (hash ^ MemoryMarshal.Read<ulong>(utf8[at..])) * Multiplier;
            hash = (hash ^ tail) * Multiplier;
            return (uint)(hash >> 32) ^ (uint)hash;
        }
    }

    /// <summary>A pooled text: its ends and length, its bytes only when they say more than its ends (over 16 bytes).</summary>
    private readonly record struct Entry(ulong Head, ulong Tail, int Length, uint Hash, byte[]? Long, string? Value);
}
