using System.Security.Cryptography;
using System.Text;

namespace HealthFlow.Hl7.Tests;

internal static class Fixtures
{
    private static readonly byte[] TokenKey = Encoding.UTF8.GetBytes("test-token-key-not-a-secret");

    public static string Directory => Path.Combine(AppContext.BaseDirectory, "fixtures", "hl7");

    public static byte[] Bytes(string name) => File.ReadAllBytes(Path.Combine(Directory, name));

    public static string Text(string name) => Encoding.UTF8.GetString(Bytes(name));

    /// <summary>Keyed HMAC-SHA256 token, the way the Pipeline tokenises identifiers.</summary>
    public static string Tokenize(string value) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(TokenKey, Encoding.UTF8.GetBytes(value)))[..32];

    public static Hl7ReadResult Read(string name, Hl7ReadOptions? options = null) => Hl7Reader.Read(Bytes(name), Tokenize, options);

    public static Hl7ReadResult ReadText(string text, Hl7ReadOptions? options = null) => Hl7Reader.Read(text, Tokenize, options);

    public static readonly DateTimeOffset Now = new(2026, 1, 15, 12, 0, 0, TimeSpan.Zero);
}
