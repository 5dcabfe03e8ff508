using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace HealthFlow.Pipeline.Erp;

/// <summary>
/// The webhook's <c>X-HealthFlow-Signature</c> header, in Stripe's scheme: <c>t=&lt;unix seconds&gt;,v1=&lt;hex&gt;</c> where
/// the hex is HMAC-SHA256(secret, <c>"{t}.{body}"</c>) over the exact body bytes. Receivers verify with
/// <see cref="Verify"/> (or the same few lines in their language, see docs/ERP.md) and reject old timestamps.
/// </summary>
public static class WebhookSignature
{
    public const string HeaderName = "X-HealthFlow-Signature";

    /// <summary>The header value for <paramref name="body"/> sent at <paramref name="timestamp"/>.</summary>
    public static string Create(ReadOnlySpan<byte> secret, DateTimeOffset timestamp, ReadOnlySpan<byte> body)
    {
        var t = timestamp.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        return $"t={t},v1={Convert.ToHexStringLower(Mac(secret, t, body))}";
    }

    /// <summary>
    /// True when <paramref name="header"/> carries a <c>v1</c> signature of <paramref name="body"/> with
    /// <paramref name="secret"/> and its timestamp is within <paramref name="tolerance"/> of <paramref name="now"/>
    /// (compared in constant time; several <c>v1</c> entries are allowed during secret rotation).
    /// </summary>
    public static bool Verify(ReadOnlySpan<byte> secret, string header, ReadOnlySpan<byte> body, DateTimeOffset now, TimeSpan tolerance)
    {
        string? t = null;
        var candidates = new List<string>();
        foreach (var part in header.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (part.StartsWith("t=", StringComparison.Ordinal))
                t = part[2..];
            else if (part.StartsWith("v1=", StringComparison.Ordinal))
                candidates.Add(part[3..]);
        }

        if (t is null || !long.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
            return false;
        if ((now - DateTimeOffset.FromUnixTimeSeconds(seconds)).Duration() > tolerance)
            return false;
        var expected = Mac(secret, t, body);
        foreach (var candidate in candidates)
        {
            byte[] given;
            try
            {
                given = Convert.FromHexString(candidate);
            }
            catch (FormatException)
            {
                continue;
            }

            if (CryptographicOperations.FixedTimeEquals(expected, given))
                return true;
        }

        return false;
    }

    private static byte[] Mac(ReadOnlySpan<byte> secret, string t, ReadOnlySpan<byte> body)
    {
        var prefix = Encoding.ASCII.GetBytes(t + ".");
        var message = new byte[prefix.Length + body.Length];
        prefix.CopyTo(message, 0);
        body.CopyTo(message.AsSpan(prefix.Length));
        return HMACSHA256.HashData(secret, message);
    }
}
