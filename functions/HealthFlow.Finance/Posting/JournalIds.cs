using System.Security.Cryptography;
using System.Text;
using HealthFlow.Finance.Journals;

namespace HealthFlow.Finance.Posting;

/// <summary>
/// Deterministic journal identities. A journal's idempotency key is derived from its source's identity, and its id
/// from the key, so building the same source twice (replay, redelivery, a rerun after a mapping fix) yields the same
/// key and id, and the ERP gateway posts it at most once.
/// </summary>
/// <remarks>
/// Key shapes (source values as sent, trimmed; nothing random, no clock). The posting rules take an optional
/// <c>protectIdentifier</c> (e.g. <see cref="PatientTokenizer.Tokenize"/>) that replaces the encounter number and CLP01
/// below by a keyed token, because both are patient account numbers that must not reach the ERP (invariant 6):
/// <list type="bullet">
/// <item><c>discharge:{facility}:{encounter}:accrual</c> (revision n &gt; 0 appends <c>:r{n}</c>)</item>
/// <item><c>remit:{payer}:{trn02}:{clp01}:{kind}</c>; the k-th (k &gt; 1) CLP with the same CLP01 in one 835 uses <c>{clp01}#{k}</c></item>
/// <item><c>remit:{payer}:{trn02}:{clp01}:reversal:{kind}</c> for a CLP02 = 22 reversal derived from its own amounts;
/// <c>remit:{payer}:{trn02}:{clp01}:reversal-of:{originalJournalId}</c> when the original journals were given</item>
/// <item><c>remit:{payer}:{trn02}:plb</c> for the provider-level adjustments of an 835</item>
/// <item><c>{key}:reversal</c> for <see cref="JournalReversal.Reverse"/></item>
/// <item><c>batch:{payer}:{legalEntity}:{currency}:{date}:{sha256 of member keys}</c> for micro-batches</item>
/// </list>
/// </remarks>
public static class JournalIds
{
    /// <summary>The journal id for a key: <c>JE-</c> + the first 20 hex digits of SHA-256(key), upper case (short enough for every ERP's document number).</summary>
    public static string For(string idempotencyKey)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(idempotencyKey), hash);
        return "JE-" + Convert.ToHexString(hash[..10]);
    }

    public static string Accrual(string facility, string encounterId, int revision = 0) =>
        $"discharge:{facility.Trim()}:{encounterId.Trim()}:accrual" + (revision > 0 ? $":r{revision}" : "");

    /// <summary>The key of a claim payment's journal of one kind (see the remarks for the occurrence suffix).</summary>
    public static string ClaimPayment(string payer, string traceNumber, string claimRef, string kind) =>
        $"remit:{payer.Trim()}:{traceNumber.Trim()}:{claimRef}:{kind}";

    public static string ProviderAdjustments(string payer, string traceNumber) => $"remit:{payer.Trim()}:{traceNumber.Trim()}:plb";

    /// <summary>A hash of a set of keys, independent of their order: the identity of a batch.</summary>
    public static string Digest(IEnumerable<string> keys)
    {
        var sorted = keys.Order(StringComparer.Ordinal).ToList();
        var text = string.Join('\n', sorted);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
    }
}

/// <summary>Reversal of a posted journal: the same lines with debit and credit swapped.</summary>
public static class JournalReversal
{
    /// <summary>
    /// The exact mirror of <paramref name="original"/>: each line's debit and credit swapped, same account and
    /// dimensions, same legal entity and currency, so original + reversal net to zero on every account and dimension.
    /// Key <c>{original key}:reversal</c> unless <paramref name="idempotencyKey"/> is given; <see cref="Journal.ReversalOf"/>
    /// is the original's journal id; <see cref="Journal.Kind"/> stays the original's (a reversed cash journal is still cash).
    /// </summary>
    public static Journal Reverse(Journal original, DateOnly postingDate, JournalSource source, string? idempotencyKey = null)
    {
        var key = idempotencyKey ?? original.IdempotencyKey + ":reversal";
        return new Journal
        {
            JournalId = JournalIds.For(key),
            IdempotencyKey = key,
            LegalEntity = original.LegalEntity,
            Currency = original.Currency,
            PostingDate = postingDate,
            Kind = original.Kind,
            ReversalOf = original.JournalId,
            Source = source,
            Lines = original.Lines.Select(l => l with { Debit = l.Credit, Credit = l.Debit }).ToList(),
        };
    }
}
