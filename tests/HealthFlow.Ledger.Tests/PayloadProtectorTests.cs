using System.Security.Cryptography;

namespace HealthFlow.Ledger.Tests;

public sealed class PayloadProtectorTests
{
    private static readonly byte[] Key = RandomNumberGenerator.GetBytes(32);

    [Fact]
    public void Protected_payload_is_ciphertext_that_round_trips()
    {
        using var protector = new PayloadProtector(Key);
        var plaintext = "ISA*00*          *00*..."u8.ToArray();
        var stored = protector.Protect(plaintext);

        Assert.DoesNotContain("ISA"u8.ToArray(), ChunksOf(stored, 3));
        Assert.Equal(plaintext, protector.Unprotect(stored));
    }

    [Fact]
    public void Tampered_ciphertext_is_refused()
    {
        using var protector = new PayloadProtector(Key);
        var stored = protector.Protect("MSH|^~\\&|..."u8);
        stored[^1] ^= 1;
        Assert.ThrowsAny<CryptographicException>(() => protector.Unprotect(stored));
    }

    [Fact]
    public void Without_a_key_payloads_are_stored_as_they_are()
    {
        var plaintext = "{}"u8.ToArray();
        Assert.Equal(plaintext, PayloadProtector.None.Protect(plaintext));
        Assert.Throws<CryptographicException>(() => PayloadProtector.None.Unprotect(new PayloadProtector(Key).Protect(plaintext)));
    }

    private static IEnumerable<byte[]> ChunksOf(byte[] bytes, int size) =>
        Enumerable.Range(0, Math.Max(0, bytes.Length - size + 1)).Select(i => bytes[i..(i + size)]);
}
