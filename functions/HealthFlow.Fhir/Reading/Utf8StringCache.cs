using System.Text;
using System.Text.Unicode;

namespace HealthFlow.Fhir;

/// <summary>
/// Strings for values that repeat across resources (code systems, codes, displays, currencies, Organization
/// references), from a <see cref="Utf8Memo{T}"/>: it turns most string allocations of a large Bundle into lookups.
/// Bounded: at most 4,096 slots of at most 128 bytes each, fewer for small documents so that reading one resource
/// does not pay for a Bundle-sized table.
/// </summary>
internal sealed class Utf8StringCache(int inputLength)
{
    private const int MaxLength = 128;
    private readonly Utf8Memo<string> _memo = new(inputLength, bytesPerSlot: 64);

    /// <summary>The string for <paramref name="utf8"/>, or null when it is not valid UTF-8.</summary>
    internal string? Get(ReadOnlySpan<byte> utf8)
    {
        var cacheable = utf8.Length <= MaxLength;
        if (cacheable && _memo.TryGet(utf8, out var cached))
        {
            return cached;
        }

        if (!Utf8.IsValid(utf8))
        {
            return null;
        }

        var value = Encoding.UTF8.GetString(utf8);
        if (cacheable)
        {
            _memo.Set(utf8, value);
        }

        return value;
    }
}
