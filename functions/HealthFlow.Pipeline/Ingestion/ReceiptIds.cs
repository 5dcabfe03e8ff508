using System.Globalization;

namespace HealthFlow.Pipeline.Ingestion;

/// <summary>
/// Receipt ids: <c>rcp_</c> and a UUID version 7 in hex, whose first 48 bits are the issue time in Unix milliseconds
/// (RFC 9562). So ids sort by time, and anything that carries a receipt id (a journal's source) knows when its receipt was
/// issued without a lookup: the posting lag is measured that way.
/// </summary>
public static class ReceiptIds
{
    private const string Prefix = "rcp_";

    public static string New() => Prefix + Guid.CreateVersion7().ToString("N");

    /// <summary>When the receipt was issued, to the millisecond; null for an id that is not one of ours.</summary>
    public static DateTimeOffset? IssuedAt(string receiptId)
    {
        ArgumentNullException.ThrowIfNull(receiptId);
        if (receiptId.Length != Prefix.Length + 32 || !receiptId.StartsWith(Prefix, StringComparison.Ordinal) || receiptId[Prefix.Length + 12] != '7'
            || !long.TryParse(receiptId.AsSpan(Prefix.Length, 12), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var milliseconds))
            return null;
        return DateTimeOffset.FromUnixTimeMilliseconds(milliseconds);
    }
}
