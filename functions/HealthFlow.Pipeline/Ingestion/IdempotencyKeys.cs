using System.Security.Cryptography;
using System.Text;

namespace HealthFlow.Pipeline.Ingestion;

/// <summary>
/// Keys that recognise a payload sent twice. Both come from the source, never from arrival: the vendor with
/// the bytes' SHA-256, and for X12 the vendor with the interchange sender (ISA05/ISA06) and control number
/// (ISA13), so a re-sent interchange is recognised even when its bytes differ (new ISA09 date, re-wrapped lines).
/// </summary>
public static class IdempotencyKeys
{
    public static string Sha256Hex(ReadOnlySpan<byte> payload) => Convert.ToHexStringLower(SHA256.HashData(payload));

    public static string ForContent(string vendor, string sha256) => $"sha256:{vendor}:{sha256}";

    /// <summary>The interchange key, or null when the payload does not start with a readable ISA segment.</summary>
    public static string? ForInterchange(string vendor, ReadOnlySpan<byte> payload)
    {
        // ISA is fixed-width: 106 characters with the element separator at index 3 (X12.5 5010).
        var start = payload.IndexOfAnyExcept(" \t\r\n"u8);
        if (start < 0 || payload.Length - start < 106 || !payload[start..].StartsWith("ISA"u8))
            return null;
        var isa = Encoding.ASCII.GetString(payload.Slice(start, 106));
        var elements = isa.Split(isa[3]);
        if (elements.Length < 17)
            return null;
        var qualifier = elements[5].Trim();
        var sender = elements[6].Trim();
        var control = elements[13].Trim();
        return sender.Length == 0 || control.Length == 0 ? null : $"isa:{vendor}:{qualifier}:{sender}:{control}";
    }
}
