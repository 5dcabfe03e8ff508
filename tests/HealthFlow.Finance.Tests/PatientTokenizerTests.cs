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
}
