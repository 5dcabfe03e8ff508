using System.Runtime.InteropServices;

namespace HealthFlow.Fhir;

/// <summary>Hashes UTF-8 keys.</summary>
internal static class Utf8Hash
{
    /// <summary>
    /// Marvin, the randomized string hash (hostile keys cannot force collisions), over the bytes read as UTF-16 code
    /// units: half the work of hashing them as a string. An odd last byte is mixed in.
    /// </summary>
    internal static int Of(ReadOnlySpan<byte> key)
    {
        var hash = string.GetHashCode(MemoryMarshal.Cast<byte, char>(key));
        return (key.Length & 1) == 0 ? hash : HashCode.Combine(hash, key[^1]);
    }
}

/// <summary>
/// A small direct-mapped cache from UTF-8 bytes to values: a newer key evicts an older one in its slot, so it is
/// bounded and never grows, and hostile keys can only lower its hit rate. For JSON values that recur byte for byte
/// across a large Bundle.
/// </summary>
internal sealed class Utf8Memo<T>
{
    private readonly byte[]?[] _keys;
    private readonly T[] _values;
    private readonly int _mask;

    /// <param name="inputLength">Size of the document; small documents get a small table.</param>
    /// <param name="bytesPerSlot">One slot per this many input bytes, between 64 and 4,096 slots.</param>
    internal Utf8Memo(int inputLength, int bytesPerSlot)
    {
        var slots = (int)Math.Clamp(System.Numerics.BitOperations.RoundUpToPowerOf2((uint)(Math.Max(inputLength, 1) / bytesPerSlot)), 64, 4096);
        _keys = new byte[]?[slots];
        _values = new T[slots];
        _mask = slots - 1;
    }

    internal bool TryGet(ReadOnlySpan<byte> key, out T value)
    {
        var slot = Utf8Hash.Of(key) & _mask;
        if (_keys[slot] is { } stored && key.SequenceEqual(stored))
        {
            value = _values[slot];
            return true;
        }

        value = default!;
        return false;
    }

    internal void Set(ReadOnlySpan<byte> key, T value)
    {
        var slot = Utf8Hash.Of(key) & _mask;
        _keys[slot] = key.ToArray();
        _values[slot] = value;
    }
}
