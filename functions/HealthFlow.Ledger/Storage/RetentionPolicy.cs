namespace HealthFlow.Ledger.Storage;

/// <summary>
/// Which blobs may be replaced or deleted. Ledger segments and raw payloads are append-only for their whole
/// life: the policy refuses deletes and replacements under the protected prefixes. In Azure the ledger
/// container can add a time-based immutability policy on top (see docs/AZURE.md).
/// </summary>
public sealed class RetentionPolicy
{
    private readonly string[] _protectedPrefixes;

    public RetentionPolicy(IEnumerable<string> protectedPrefixes) => _protectedPrefixes = [.. protectedPrefixes];

    /// <summary>Protects the ledger (<c>ledger/</c>); everything else is mutable.</summary>
    public static RetentionPolicy Default { get; } = new(["ledger/"]);

    /// <summary>No protection; for tests of the store itself.</summary>
    public static RetentionPolicy None { get; } = new([]);

    public bool IsProtected(string name) => _protectedPrefixes.Any(p => name.StartsWith(p, StringComparison.Ordinal));
}
