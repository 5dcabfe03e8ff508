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
/// a day reads about ten pooled fields per journal, two million journals. Valid UTF-8 has one encoding per text, so equal
/// bytes are equal strings. The hash is seeded per pool, so crafted field values cannot pile up in one probe chain.
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
        var hash = Hash(utf8);
        var mask = _table.Length - 1;
        var at = (int)(hash & (uint)mask);
        for (; _table[at].Utf8 is { } known; at = (at + 1) & mask)
        {
            if (_table[at].Hash == hash && utf8.SequenceEqual(known))
            {
                value = _table[at].Value;
                return true;
            }
        }

        if (!Utf8.IsValid(utf8))
            return false;
        value = Encoding.UTF8.GetString(utf8);
        if (_count < _capacity)
            Add(new Entry(hash, utf8.ToArray(), value), at);
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
            if (moved.Utf8 is null)
                continue;
            var slot = (int)(moved.Hash & (uint)mask);
            while (_table[slot].Utf8 is not null)
                slot = (slot + 1) & mask;
            _table[slot] = moved;
        }
    }

    /// <summary>
    /// A seeded multiply-xorshift over the text's 8-byte words (overlapping at the end), without a loop for texts of up to
    /// 16 bytes, most of what is pooled: a few nanoseconds.
    /// </summary>
    private uint Hash(ReadOnlySpan<byte> utf8)
    {
        const ulong Multiplier = 0x9E3779B97F4A7C15;
        unchecked
        {
            var hash = (_seed ^ (ulong)utf8.Length) * Multiplier;
            if (utf8.Length < 8)
            {
                ulong word = 0;
                for (var i = 0; i < utf8.Length; i++)
                    word = (word << 8) | utf8[i];
                hash = (hash ^ word) * Multiplier;
            }
            else
            {
                for (var at = 0; at < utf8.Length - 8; at += 8)
                    hash = (hash ^ MemoryMarshal.Read<ulong>(utf8[at..])) * Multiplier;
                hash = (hash ^ MemoryMarshal.Read<ulong>(utf8[^8..])) * Multiplier;
            }

            return (uint)(hash >> 32) ^ (uint)hash;
        }
    }

    private readonly record struct Entry(uint Hash, byte[]? Utf8, string Value);
}
