using System.Security.Cryptography;
using System.Text;

namespace HealthFlow.Finance.Tests;

public sealed class PatientTokenizerTests
{
    private static byte[] Key(byte first) => [.. Enumerable.Range(first, 32).Select(i => (byte)i)];

    /// <summary>The token is HMAC-SHA256 of the trimmed, upper-cased identifier, whatever tokenizer ran before on the thread.</summary>
    [Fact]
    public void Tokens_are_the_keyed_HMAC_of_the_normalized_identifier_under_each_tokenizers_own_key()
    {
        var keys = new[] { Key(1), Key(7) };
        var tokenizers = keys.Select(k => new PatientTokenizer(k)).ToArray();
        foreach (var identifier in new[] { "PCN0000000001", " mbr1001 ", "DOE|JANE|Q", "é", "", " " + new string('x', 300) })
        {
            for (var i = 0; i < 2; i++) // alternating keys on one thread, twice
            {
                foreach (var (tokenizer, key) in tokenizers.Zip(keys))
                {
                    var expected = "pt_" + Convert.ToHexStringLower(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(identifier.Trim().ToUpperInvariant()))[..16]);
                    Assert.Equal(expected, tokenizer.Tokenize(identifier));
                }
            }
        }
    }

    [Fact]
    public void Tokens_made_on_many_threads_at_once_are_the_same()
    {
        var tokenizer = new PatientTokenizer(Key(3));
        var identifiers = Enumerable.Range(0, 2000).Select(i => $"PCN{i:D6}").ToArray();
        var expected = identifiers.Select(tokenizer.Tokenize).ToArray();
        var parallel = new string[identifiers.Length];
        Parallel.For(0, identifiers.Length, i => parallel[i] = tokenizer.Tokenize(identifiers[i]));
        Assert.Equal(expected, parallel);
    }

    /// <summary>The HMAC from precomputed pad states matches .NET's for every message length around the block edges, long and non-ASCII ones included.</summary>
    [Fact]
    public void Tokens_equal_HMACSHA256_for_identifiers_of_every_length_and_alphabet()
    {
        var random = new Random(4);
        var tokenizer = new PatientTokenizer(Key(11));
        string[] alphabet = ["A", "B", "x", "y", "0", "9", " ", "-", "|", "^", "'", ".", "é", "É", "ß", "ø", "Æ", "漢", "字", "🙂"];
        for (var length = 0; length < 300; length++)
        {
            var identifier = string.Concat(Enumerable.Range(0, length).Select(_ => alphabet[random.Next(alphabet.Length)]));
            var expected = "pt_" + Convert.ToHexStringLower(HMACSHA256.HashData(Key(11), Encoding.UTF8.GetBytes(identifier.Trim().ToUpperInvariant()))[..16]);
            Assert.Equal(expected, tokenizer.Tokenize(identifier));
        }
    }

    [Fact]
    public void A_key_longer_than_a_block_is_hashed_first_as_HMAC_requires()
    {
        byte[] key = [.. Enumerable.Range(0, 100).Select(i => unchecked((byte)(i * 3)))];
        var expected = "pt_" + Convert.ToHexStringLower(HMACSHA256.HashData(key, "MBR1001"u8)[..16]);
        Assert.Equal(expected, new PatientTokenizer(key).Tokenize(" mbr1001"));
    }

    [Fact]
    public void Tokens_are_made_from_OpenSSLs_plain_SHA256_on_Linux()
    {
        // The precomputed pad states are the reason tokens are cheap; a runtime where they silently fall back should be noticed.
        Assert.Equal(OperatingSystem.IsLinux(), HealthFlow.Common.Sha256.UsesPlainOpenSsl);
    }
}
