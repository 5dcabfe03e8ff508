using System.Buffers;
using System.Text;
using System.Text.Unicode;

namespace HealthFlow.Hl7;

/// <summary>Why a payload is not a readable HL7 v2 message at all.</summary>
public enum Hl7ParseFailure
{
    /// <summary>No bytes, or only whitespace.</summary>
    Empty,

    /// <summary>Larger than the configured maximum; nothing beyond the size was looked at.</summary>
    TooLarge,

    /// <summary>The first segment is not MSH (batch envelopes FHS/BHS are not accepted either).</summary>
    MissingHeader,

    /// <summary>MSH-1/MSH-2 do not declare usable, distinct delimiters (wrong or missing field separator).</summary>
    InvalidDelimiters,

    /// <summary>A segment id is not three upper-case letters or digits followed by the field separator.</summary>
    InvalidSegmentId,

    /// <summary>A control character (binary junk, NUL, an MLLP block character) sits inside a segment.</summary>
    ControlCharacter,
}

/// <summary>The outcome of <see cref="Hl7Parser.Parse(string, int)"/>: a message, or why there is none.</summary>
public sealed class Hl7ParseResult
{
    private Hl7ParseResult(Hl7Message? message, Hl7ParseFailure? failure, Hl7Error? error)
    {
        Message = message;
        Failure = failure;
        Error = error;
    }

    /// <summary>The message; null exactly when <see cref="Failure"/> is set.</summary>
    public Hl7Message? Message { get; }

    /// <summary>The structural failure, if any.</summary>
    public Hl7ParseFailure? Failure { get; }

    /// <summary>The failure as an ERR value (code, location, diagnostic) for the NAK.</summary>
    public Hl7Error? Error { get; }

    /// <summary>True when a message was read.</summary>
    public bool IsSuccess => Message is not null;

    internal static Hl7ParseResult Success(Hl7Message message) => new(message, null, null);

    internal static Hl7ParseResult Fail(Hl7ParseFailure failure, Hl7ErrorCode code, Hl7ErrorLocation? location, string diagnostic) =>
        new(null, failure, Hl7Error.At(code, location, diagnostic));
}

/// <summary>
/// Splits ER7 text into segments and checks the structure every reader relies on (see <see cref="Hl7Message"/>).
/// Never throws on input: every problem is an <see cref="Hl7ParseResult"/> failure.
/// </summary>
/// <remarks>
/// Segments end at CR; LF and CRLF are tolerated because files and some interfaces convert line endings.
/// Leading whitespace and a UTF-8 byte order mark are skipped. Field content is not looked at here.
/// </remarks>
public static class Hl7Parser
{
    /// <summary>Default maximum message size (8 MiB): ADT and DFT messages are kilobytes; anything near this is not one.</summary>
    public const int DefaultMaxMessageLength = 8 * 1024 * 1024;

    // Everything below space except tab, CR and LF (CR/LF end segments) is binary junk inside a segment.
    private static readonly SearchValues<char> ControlCharacters = SearchValues.Create(
        "\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007\u0008\u000B\u000C\u000E\u000F\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001A\u001B\u001C\u001D\u001E\u001F");

    /// <summary>Decodes bytes (UTF-8 when valid, otherwise ISO-8859-1, the usual HL7 8-bit default) and parses them.</summary>
    public static Hl7ParseResult Parse(ReadOnlySpan<byte> payload, int maxMessageLength = DefaultMaxMessageLength)
    {
        if (payload.Length > maxMessageLength)
        {
            return TooLarge(payload.Length, maxMessageLength);
        }

        return Parse(DecodeText(payload), maxMessageLength);
    }

    /// <summary>Parses <paramref name="text"/>; never throws.</summary>
    public static Hl7ParseResult Parse(string text, int maxMessageLength = DefaultMaxMessageLength)
    {
        if (text.Length > maxMessageLength)
        {
            return TooLarge(text.Length, maxMessageLength);
        }

        var start = SkipLeadingWhitespace(text);
        if (start >= text.Length)
        {
            return Hl7ParseResult.Fail(Hl7ParseFailure.Empty, Hl7ErrorCode.SegmentSequenceError, new Hl7ErrorLocation("MSH", 1), "The message is empty.");
        }

        var headerResult = TryReadDelimiters(text, start, out var delimiters);
        if (headerResult is not null)
        {
            return headerResult;
        }

        var segments = new List<(int Start, int Length)>(16);
        var position = start;
        while (position < text.Length)
        {
            var rest = text.AsSpan(position);
            var end = rest.IndexOfAny('\r', '\n');
            var length = end < 0 ? rest.Length : end;
            // Blank lines (and lines of only spaces or tabs, which file exports leave behind) separate nothing.
            if (length > 0 && !rest[..length].ContainsAnyExcept(' ', '\t'))
            {
                length = 0;
            }

            if (length > 0)
            {
                var segment = rest[..length];
                var segmentIndex = segments.Count;
                if (!IsValidSegmentStart(segment, delimiters.Field))
                {
                    return Hl7ParseResult.Fail(
                        Hl7ParseFailure.InvalidSegmentId,
                        Hl7ErrorCode.SegmentSequenceError,
                        null,
                        $"Segment {segmentIndex + 1} does not start with a three-character segment id followed by the field separator.");
                }

                var control = segment.IndexOfAny(ControlCharacters);
                if (control >= 0)
                {
                    var id = new string(segment[..3]);
                    var fieldNumber = segment[..control].Count(delimiters.Field) + (id == "MSH" ? 1 : 0);
                    var occurrence = CountOccurrences(text, segments, segment[..3]) + 1;
                    return Hl7ParseResult.Fail(
                        Hl7ParseFailure.ControlCharacter,
                        Hl7ErrorCode.DataTypeError,
                        new Hl7ErrorLocation(id, occurrence, fieldNumber),
                        $"Control character 0x{(int)segment[control]:X2} inside segment {segmentIndex + 1} ({id}) at offset {position + control}.");
                }

                segments.Add((position, length));
            }

            position += length + 1;
        }

        return Hl7ParseResult.Success(new Hl7Message(text, delimiters, [.. segments]));
    }

    /// <summary>
    /// Reads only the MSH segment of text that did not parse as a whole, so that a NAK can still be addressed
    /// to the sender and quote its control id. False when MSH itself is unreadable.
    /// </summary>
    public static bool TryParseHeaderOnly(string text, out Hl7Message header)
    {
        header = null!;
        var start = SkipLeadingWhitespace(text);
        if (start >= text.Length || TryReadDelimiters(text, start, out var delimiters) is not null)
        {
            return false;
        }

        var rest = text.AsSpan(start);
        var end = rest.IndexOfAny('\r', '\n');
        var length = end < 0 ? rest.Length : end;
        if (rest[..length].ContainsAny(ControlCharacters))
        {
            return false;
        }

        header = new Hl7Message(text, delimiters, [(start, length)]);
        return true;
    }

    /// <summary>Bytes to text: UTF-8 (which covers ASCII) when valid, else ISO-8859-1 so that no byte is lost or rejected.</summary>
    public static string DecodeText(ReadOnlySpan<byte> payload) =>
        Utf8.IsValid(payload) ? Encoding.UTF8.GetString(payload) : Encoding.Latin1.GetString(payload);

    /// <summary>Bytes to text for a frame that may span several buffers.</summary>
    public static string DecodeText(in ReadOnlySequence<byte> payload)
    {
        if (payload.IsSingleSegment)
        {
            return DecodeText(payload.FirstSpan);
        }

        var length = checked((int)payload.Length);
        var rented = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            payload.CopyTo(rented);
            return DecodeText(rented.AsSpan(0, length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private static Hl7ParseResult TooLarge(long length, int max) =>
        Hl7ParseResult.Fail(
            Hl7ParseFailure.TooLarge,
            Hl7ErrorCode.ApplicationInternalError,
            null,
            $"The message is {length} characters; the maximum accepted is {max}.");

    private static int SkipLeadingWhitespace(string text)
    {
        var start = 0;
        while (start < text.Length && text[start] is '\uFEFF' or '\r' or '\n' or ' ' or '\t')
        {
            start++;
        }

        return start;
    }

    private static Hl7ParseResult? TryReadDelimiters(string text, int start, out Hl7Delimiters delimiters)
    {
        delimiters = default;
        var rest = text.AsSpan(start);
        if (!rest.StartsWith("MSH", StringComparison.Ordinal))
        {
            return Hl7ParseResult.Fail(
                Hl7ParseFailure.MissingHeader,
                Hl7ErrorCode.SegmentSequenceError,
                new Hl7ErrorLocation("MSH", 1),
                "The message does not start with an MSH segment.");
        }

        var mshLocation = new Hl7ErrorLocation("MSH", 1, 1);
        if (rest.Length < 8)
        {
            return Hl7ParseResult.Fail(Hl7ParseFailure.InvalidDelimiters, Hl7ErrorCode.RequiredFieldMissing, mshLocation, "MSH is too short to declare its delimiters.");
        }

        var field = rest[3];
        if (!Hl7Delimiters.IsAcceptableDelimiter(field))
        {
            return Hl7ParseResult.Fail(
                Hl7ParseFailure.InvalidDelimiters,
                Hl7ErrorCode.DataTypeError,
                mshLocation,
                $"MSH-1 field separator 0x{(int)field:X2} is not a printable separator character.");
        }

        var encoding = rest[4..];
        var encodingEnd = encoding.IndexOfAny(field, '\r', '\n');
        if (encodingEnd < 0 || encoding[encodingEnd] != field)
        {
            return Hl7ParseResult.Fail(
                Hl7ParseFailure.InvalidDelimiters,
                Hl7ErrorCode.DataTypeError,
                new Hl7ErrorLocation("MSH", 1, 2),
                "MSH-2 is not followed by the field separator declared in MSH-1.");
        }

        encoding = encoding[..encodingEnd];
        if (encoding.Length is not (4 or 5))
        {
            return Hl7ParseResult.Fail(
                Hl7ParseFailure.InvalidDelimiters,
                Hl7ErrorCode.DataTypeError,
                new Hl7ErrorLocation("MSH", 1, 2),
                $"MSH-2 declares {encoding.Length} encoding characters; 4 (or 5 with truncation, v2.7+) are required.");
        }

        Span<char> all = stackalloc char[6];
        all[0] = field;
        encoding.CopyTo(all[1..]);
        var used = all[..(encoding.Length + 1)];
        for (var i = 0; i < used.Length; i++)
        {
            if (!Hl7Delimiters.IsAcceptableDelimiter(used[i]) || used[(i + 1)..].Contains(used[i]))
            {
                return Hl7ParseResult.Fail(
                    Hl7ParseFailure.InvalidDelimiters,
                    Hl7ErrorCode.DataTypeError,
                    new Hl7ErrorLocation("MSH", 1, i == 0 ? 1 : 2),
                    "MSH-1 and MSH-2 must declare distinct, printable, non-alphanumeric delimiters.");
            }
        }

        delimiters = new Hl7Delimiters(field, encoding[0], encoding[1], encoding[2], encoding[3], encoding.Length == 5 ? encoding[4] : null);
        return null;
    }

    private static bool IsValidSegmentStart(ReadOnlySpan<char> segment, char fieldSeparator)
    {
        if (segment.Length < 3)
        {
            return false;
        }

        for (var i = 0; i < 3; i++)
        {
            if (!char.IsAsciiLetterUpper(segment[i]) && !char.IsAsciiDigit(segment[i]))
            {
                return false;
            }
        }

        return segment.Length == 3 || segment[3] == fieldSeparator;
    }

    private static int CountOccurrences(string text, List<(int Start, int Length)> segments, ReadOnlySpan<char> id)
    {
        var count = 0;
        foreach (var (start, _) in segments)
        {
            if (text.AsSpan(start, 3).SequenceEqual(id))
            {
                count++;
            }
        }

        return count;
    }
}
