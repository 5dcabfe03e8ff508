using System.Security.Cryptography;
using System.Text;

namespace HealthFlow.Pipeline.Erp;

/// <summary>
/// Short deterministic references derived from an idempotency key, for ERP fields too short for the key itself
/// (SAP <c>DocumentReferenceID</c>: 16 characters; D365 journal <c>Description</c>: 60; Oracle batch names).
/// </summary>
/// <remarks>
/// <c>HF</c> + the first hex digits of SHA-256(key), upper case: the same key always gives the same reference, so a
/// resent post is recognisable in the ERP. 16 characters carry 56 bits: a collision needs about 2^28 keys.
/// </remarks>
public static class ErpReference
{
    /// <summary>The reference of <paramref name="idempotencyKey"/> with <paramref name="length"/> characters (3 to 66).</summary>
    public static string For(string idempotencyKey, int length = 34)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(length, 3);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, 66);
        var hex = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(idempotencyKey)));
        return string.Concat("HF", hex.AsSpan(0, length - 2));
    }

    /// <summary>A positive number (at most 15 digits) derived from the key: Oracle's <c>GROUP_ID</c>.</summary>
    public static long NumberFor(string idempotencyKey)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(idempotencyKey));
        var value = BitConverter.ToUInt64(hash, 0) % 999_999_999_999_999UL;
        return (long)value + 1;
    }
}
