namespace HealthFlow.Hl7.Tests;

public class Hl7EscapingTests
{
    private static readonly Hl7Delimiters Standard = Hl7Delimiters.Standard;

    [Theory]
    [InlineData("plain", "plain")]
    [InlineData("a\\F\\b", "a|b")]
    [InlineData("a\\S\\b", "a^b")]
    [InlineData("a\\T\\b", "a&b")]
    [InlineData("a\\R\\b", "a~b")]
    [InlineData("a\\E\\b", "a\\b")]
    [InlineData("\\X41424344\\", "ABCD")]
    [InlineData("caf\\XC3A9\\", "café")]
    [InlineData("caf\\XE9\\", "café")]
    [InlineData("line1\\.br\\line2", "line1\nline2")]
    [InlineData("\\H\\bold\\N\\", "bold")]
    [InlineData("\\.ce\\centered", "centered")]
    [InlineData("\\C2842\\x\\M284229\\", "x")]
    [InlineData("\\Zlocal\\x", "x")]
    [InlineData("\\Q\\", "\\Q\\")]
    [InlineData("\\F\\\\S\\\\T\\\\R\\\\E\\", "|^&~\\")]
    public void Escape_sequences_decode(string raw, string expected)
    {
        Assert.True(Hl7Escaping.TryDecode(raw, Standard, out var value));
        Assert.Equal(expected, value);
    }

    [Theory]
    [InlineData("abc\\F")]
    [InlineData("\\")]
    [InlineData("a\\\\b")]
    [InlineData("\\X4\\")]
    [InlineData("\\XZZ\\")]
    [InlineData("\\X\\")]
    public void Malformed_escapes_are_reported_and_kept_literally(string raw)
    {
        Assert.False(Hl7Escaping.TryDecode(raw, Standard, out var value));
        Assert.NotNull(value);
        Assert.Equal(raw, Hl7Escaping.Decode(raw, Standard));
    }

    [Fact]
    public void Escapes_use_the_message_own_escape_character()
    {
        var delimiters = new Hl7Delimiters('#', '*', '!', '@', '%', null);
        Assert.True(Hl7Escaping.TryDecode("a@F@b@S@c", delimiters, out var value));
        Assert.Equal("a#b*c", value);
    }

    [Theory]
    [InlineData("O'Brien & Sons | ^ ~ \\ end")]
    [InlineData("two\nlines")]
    [InlineData("cr\rhere")]
    [InlineData("")]
    public void Encoding_then_decoding_gives_the_value_back(string value)
    {
        var encoded = Hl7Escaping.Encode(value, Standard);
        Assert.DoesNotContain('|', encoded);
        Assert.DoesNotContain('\r', encoded);
        Assert.True(Hl7Escaping.TryDecode(encoded, Standard, out var decoded));
        Assert.Equal(value, decoded);
    }
}
