using System.Text;
using System.Text.Unicode;

namespace HealthFlow.Finance.Journals;

/// <summary>
/// One string instance per distinct short text read from UTF-8, for the low-cardinality fields of millions of journals
/// (kind, legal entity, currency, account, payer, facility, correlation id): a reader that keeps them, like a read-model
/// rebuild, then holds one copy of each instead of one per journal, and reading one allocates nothing once it is pooled.
/// Not thread-safe: one per reader.
/// </summary>
public sealed class Utf8StringPool
{
    /// <summary>Longer texts are not pooled (identifiers, not categories).</summary>
    public const int MaxBytes = 64;

    private readonly HashSet<string> _strings = new(StringComparer.Ordinal);
    private readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> _byChars;
    private readonly int _capacity;

    /// <param name="capacity">How many distinct strings are kept; beyond that, new ones are still returned but not pooled.</param>
    public Utf8StringPool(int capacity = 16384)
    {
        _capacity = capacity;
        _byChars = _strings.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>The pooled string <paramref name="utf8"/> spells; false when it is longer than <see cref="MaxBytes"/> or not valid UTF-8.</summary>
    public bool TryGet(ReadOnlySpan<byte> utf8, out string value)
    {
        value = "";
        if (utf8.Length > MaxBytes || !Utf8.IsValid(utf8))
            return false;
        Span<char> buffer = stackalloc char[MaxBytes];
        var chars = buffer[..Encoding.UTF8.GetChars(utf8, buffer)];
        if (_byChars.TryGetValue(chars, out var pooled))
        {
            value = pooled;
            return true;
        }
        value = new string(chars);
        if (_strings.Count < _capacity)
            _strings.Add(value);
        return true;
    }
}
