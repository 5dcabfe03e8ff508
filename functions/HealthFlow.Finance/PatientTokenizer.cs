using System.Security.Cryptography;
using System.Text;

namespace HealthFlow.Finance;

/// <summary>
/// Turns a patient identifier (member id, MRN, name-based identity) into a keyed token: HMAC-SHA256 under a
/// secret key, base32-free hex, prefixed <c>pt_</c>. The same identifier always gives the same token under the
/// same key, so records can be joined without the identifier ever leaving the reader (invariant 6).
/// </summary>
/// <remarks>Readers receive <see cref="Tokenize"/> as a <c>Func&lt;string, string&gt;</c> and keep only its output.</remarks>
public sealed class PatientTokenizer
{
    private readonly byte[] _key;

    /// <param name="key">At least 32 bytes of secret (Key Vault in Azure, the data folder's key file locally).</param>
    public PatientTokenizer(byte[] key)
    {
        if (key.Length < 32)
            throw new ArgumentException("The token key must be at least 32 bytes.", nameof(key));
        _key = (byte[])key.Clone();
    }

    public string Tokenize(string identifier)
    {
        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes(identifier.Trim().ToUpperInvariant()), mac);
        return "pt_" + Convert.ToHexStringLower(mac[..16]);
    }
}
