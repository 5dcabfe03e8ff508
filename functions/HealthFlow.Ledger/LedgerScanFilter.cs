using System.Text;

namespace HealthFlow.Ledger;

/// <summary>
/// Which records <see cref="ILedger.ScanAsync"/> returns: those of the named streams (every stream when none are named)
/// and, when types are named, only of those types. A scan checks a record's stream and type in its frame, before it
/// verifies the hash or decodes anything, so the records it leaves out cost almost nothing.
/// </summary>
public sealed class LedgerScanFilter
{
    private readonly byte[][] _streams;
    private readonly byte[][] _types;

    /// <param name="streams">Exact stream names, e.g. <c>topic/claims</c>; null or empty for every stream.</param>
    /// <param name="types">Exact record types; null or empty for every type.</param>
    public LedgerScanFilter(IEnumerable<string>? streams, IEnumerable<string>? types = null)
    {
        Streams = [.. (streams ?? []).Distinct(StringComparer.Ordinal)];
        Types = [.. (types ?? []).Distinct(StringComparer.Ordinal)];
        _streams = [.. Streams.Select(Encoding.UTF8.GetBytes)];
        _types = [.. Types.Select(Encoding.UTF8.GetBytes)];
    }

    /// <summary>The streams asked for; empty for every stream.</summary>
    public IReadOnlyList<string> Streams { get; }

    /// <summary>The types asked for; empty for every type.</summary>
    public IReadOnlyList<string> Types { get; }

    /// <summary>Whether a record of this stream and type is asked for.</summary>
    internal bool Matches(string stream, string type) =>
        (Streams.Count == 0 || Streams.Contains(stream, StringComparer.Ordinal)) && (Types.Count == 0 || Types.Contains(type, StringComparer.Ordinal));

    /// <summary>Whether a record with these UTF-8 stream and type fields is asked for.</summary>
    internal bool Matches(ReadOnlySpan<byte> stream, ReadOnlySpan<byte> type) =>
        (_streams.Length == 0 || AnyEquals(_streams, stream)) && (_types.Length == 0 || AnyEquals(_types, type));

    private static bool AnyEquals(byte[][] candidates, ReadOnlySpan<byte> value)
    {
        foreach (var candidate in candidates)
        {
            if (value.SequenceEqual(candidate))
                return true;
        }
        return false;
    }
}
