using System.Security.Cryptography;

namespace HealthFlow.Ledger;

/// <summary>
/// Optional encryption at rest of raw payloads with AES-256-GCM. The ledger hashes the ciphertext, so
/// <c>ledger verify</c> proves the chain without the key; only replay and inspection decrypt.
/// Format: <c>"HFE1"</c>, 12-byte nonce, 16-byte tag, ciphertext.
/// </summary>
public sealed class PayloadProtector : IDisposable
{
    private static ReadOnlySpan<byte> Magic => "HFE1"u8;
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private readonly AesGcm? _aes;

    /// <param name="key">A 32-byte key, or null to store payloads as they are.</param>
    public PayloadProtector(byte[]? key)
    {
        if (key is null)
            return;
        if (key.Length != 32)
            throw new ArgumentException("The payload encryption key must be 32 bytes (AES-256).", nameof(key));
        _aes = new AesGcm(key, TagSize);
    }

    /// <summary>Payloads are stored as they are.</summary>
    public static PayloadProtector None { get; } = new(null);

    public bool Encrypts => _aes is not null;

    public byte[] Protect(ReadOnlySpan<byte> plaintext)
    {
        if (_aes is null)
            return plaintext.ToArray();
        var output = new byte[Magic.Length + NonceSize + TagSize + plaintext.Length];
        var nonce = output.AsSpan(Magic.Length, NonceSize);
        Magic.CopyTo(output);
        RandomNumberGenerator.Fill(nonce);
        _aes.Encrypt(nonce, plaintext, output.AsSpan(Magic.Length + NonceSize + TagSize), output.AsSpan(Magic.Length + NonceSize, TagSize));
        return output;
    }

    /// <exception cref="CryptographicException">Wrong key or tampered ciphertext.</exception>
    public byte[] Unprotect(ReadOnlySpan<byte> stored)
    {
        if (!stored.StartsWith(Magic))
            return stored.ToArray();
        if (_aes is null)
            throw new CryptographicException("This payload is encrypted and no payload key is configured.");
        var header = Magic.Length + NonceSize + TagSize;
        var plaintext = new byte[stored.Length - header];
        _aes.Decrypt(stored.Slice(Magic.Length, NonceSize), stored[header..], stored.Slice(Magic.Length + NonceSize, TagSize), plaintext);
        return plaintext;
    }

    public void Dispose() => _aes?.Dispose();
}
