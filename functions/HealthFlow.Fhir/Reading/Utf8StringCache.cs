using System.Text;
using System.Text.Unicode;

namespace HealthFlow.Fhir;

/// <summary>
/// A small direct-mapped cache from UTF-8 bytes to strings for values that repeat across resources
/// (code systems, codes, displays, currencies, Organization references): it turns most string allocations
/// of a large Bundle into lookups. Bounded: at most 4,096 slots of at most 128 bytes each, fewer for small
/// documents so that reading one resource does not pay for a Bundle-sized table.
/// </summary>
internal sealed class Utf8StringCache
{
    private const int MaxLength = 128;
    private readonly byte[]?[] _keys;
    private readonly string?[] _values;
    private readonly int _mask;

    internal Utf8StringCache(int inputLength)
    {
        var slots = (int)Math.Clamp(System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(inputLength, 1) / 64), 64, 4096);
        _keys = new byte[]?[slots];
        _values = new string?[slots];
        _mask = slots - 1;
    }

    /// <summary>The string for <paramref name="utf8"/>, or null when it is not valid UTF-8.</summary>
    internal string? Get(ReadOnlySpan<byte> utf8)
    {
        if (utf8.Length > MaxLength)
        {
            return Utf8.IsValid(utf8) ? Encoding.UTF8.GetString(utf8) : null;
        }

        var slot = (int)(Hash(utf8) & (uint)_mask);
        var key = _keys[slot];
        if (key is not null && utf8.SequenceEqual(key))
        {
            return _values[slot];
        }

        if (!Utf8.IsValid(utf8))
        {
            return null;
        }

        var value = Encoding.UTF8.GetString(utf8);
        _keys[slot] = utf8.ToArray();
        _values[slot] = value;
        return value;
    }

    private static uint Hash(ReadOnlySpan<byte> bytes)
    {
        var hash = default(HashCode);
        hash.AddBytes(bytes);
        return unchecked((uint)hash.ToHashCode());
    }
}
