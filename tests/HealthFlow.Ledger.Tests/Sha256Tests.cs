using System.Security.Cryptography;
using HealthFlow.Common;

namespace HealthFlow.Ledger.Tests;

public sealed class Sha256Tests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(55)]
    [InlineData(56)]
    [InlineData(63)]
    [InlineData(64)]
    [InlineData(65)]
    [InlineData(661)]
    [InlineData(1 << 20)]
    public void Record_hash_equals_dotnet_SHA256(int length)
    {
        var input = new byte[length];
        Random.Shared.NextBytes(input);
        var hash = new byte[32];
        Sha256.Hash(input, hash);
        Assert.Equal(SHA256.HashData(input), hash);
    }

    [Fact]
    public void Records_are_hashed_with_OpenSSL_directly_on_Linux()
    {
        // The fast path is the reason the class exists; a runtime where it silently falls back should be noticed.
        Assert.Equal(OperatingSystem.IsLinux(), Sha256.UsesPlainOpenSsl);
    }
}
