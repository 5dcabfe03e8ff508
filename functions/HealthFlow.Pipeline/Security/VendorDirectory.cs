using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Configuration;

namespace HealthFlow.Pipeline.Security;

/// <summary>
/// Vendors and their API keys, from the settings <c>Vendors:{vendor}:Key</c> (environment variable
/// <c>Vendors__acme__Key</c>, a Key Vault reference in Azure). A key names exactly one vendor; the admin key
/// (<c>Admin:Key</c>) opens the operator endpoints. Comparison is constant-time over SHA-256 digests.
/// </summary>
public sealed class VendorDirectory
{
    private readonly (string Vendor, byte[] KeyDigest)[] _vendors;
    private readonly byte[]? _adminDigest;

    public VendorDirectory(IEnumerable<KeyValuePair<string, string>> vendorKeys, string? adminKey)
    {
        _vendors = [.. vendorKeys.Where(v => !string.IsNullOrWhiteSpace(v.Value)).Select(v => (v.Key, Digest(v.Value)))];
        _adminDigest = string.IsNullOrWhiteSpace(adminKey) ? null : Digest(adminKey);
    }

    public static VendorDirectory FromConfiguration(IConfiguration configuration) =>
        new(configuration.GetSection("Vendors").GetChildren().Select(v => KeyValuePair.Create(v.Key, v["Key"] ?? "")),
            configuration["Admin:Key"]);

    /// <summary>Vendor names, for the start-up banner (never the keys).</summary>
    public IReadOnlyList<string> VendorNames => [.. _vendors.Select(v => v.Vendor).Order(StringComparer.Ordinal)];

    /// <summary>The vendor a key belongs to, or null.</summary>
    public string? Authenticate(string? key)
    {
        if (string.IsNullOrEmpty(key))
            return null;
        var digest = Digest(key);
        string? vendor = null;
        foreach (var (name, keyDigest) in _vendors)
        {
            // Check every vendor so timing does not tell how far down the list a key matched.
            if (CryptographicOperations.FixedTimeEquals(digest, keyDigest))
                vendor ??= name;
        }
        return vendor;
    }

    public bool IsAdmin(string? key) =>
        _adminDigest is not null && !string.IsNullOrEmpty(key) && CryptographicOperations.FixedTimeEquals(Digest(key), _adminDigest);

    private static byte[] Digest(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));
}
