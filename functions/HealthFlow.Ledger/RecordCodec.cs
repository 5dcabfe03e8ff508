using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using HealthFlow.Common;

namespace HealthFlow.Ledger;

/// <summary>
/// The on-disk record format (little-endian), version 1:
/// <code>
/// int32  bodyLength            bytes that follow this field, hash included
/// byte   version (1)
/// int64  seq
/// int64  time                  UTC ticks
/// 5 × (uint16 length, UTF-8)   stream, type, key, correlationId, causationId
/// int32  payloadLength, bytes  payload
/// byte[32] prevHash
/// byte[32] hash                SHA-256 of every byte above, from bodyLength on
/// </code>
/// The hash covers the length prefix, so a flipped byte anywhere, framing included, is detected.
/// </summary>
internal static class RecordCodec
{
    public const byte Version = 1;
    public const int HashSize = 32;
    public const int MaxTextBytes = ushort.MaxValue;
    /// <summary>Largest accepted record: a 64 MiB raw payload plus headroom for headers.</summary>
    public const int MaxRecordBytes = 80 * 1024 * 1024;
    private const int FixedSize = 4 + 1 + 8 + 8 + (5 * 2) + 4 + HashSize + HashSize;

    public static byte[] Genesis { get; } = new byte[HashSize];

    private static int EncodedLength(LedgerEntry entry) =>
        checked(FixedSize + TextLength(entry.Stream) + TextLength(entry.Type) + TextLength(entry.Key)
            + TextLength(entry.CorrelationId) + TextLength(entry.CausationId) + entry.Payload.Length);

    /// <summary>Throws when <paramref name="entry"/> cannot be a record (a text field or the whole too long).</summary>
    public static void CheckEncodable(LedgerEntry entry)
    {
        // Nearly every record fits even at UTF-8's longest, three bytes a character: then there is nothing to count.
        if (entry.Stream.Length <= MaxSafeTextChars && entry.Type.Length <= MaxSafeTextChars && entry.Key.Length <= MaxSafeTextChars
            && entry.CorrelationId.Length <= MaxSafeTextChars && entry.CausationId.Length <= MaxSafeTextChars
            && MaxEncodedLength(entry) <= MaxRecordBytes)
            return;
        var length = EncodedLength(entry);
        if (length > MaxRecordBytes)
            throw new ArgumentException(RecordTooLong(length), nameof(entry));
    }

    /// <summary>A text of at most this many characters is within the limit whatever they are (three UTF-8 bytes a character, and one more).</summary>
    private const int MaxSafeTextChars = (MaxTextBytes / 3) - 1;

    private static readonly string TextTooLong = $"A ledger text field is limited to {MaxTextBytes} UTF-8 bytes.";

    private static string RecordTooLong(int length) => $"A ledger record is limited to {MaxRecordBytes} bytes; this one needs {length}.";

    /// <summary>The room <paramref name="entry"/> can need at most: its texts at their longest UTF-8 form (the fixed size counts their length prefixes).</summary>
    private static int MaxEncodedLength(LedgerEntry entry) =>
        checked(FixedSize + MaxTextLength(entry.Stream) + MaxTextLength(entry.Type) + MaxTextLength(entry.Key)
            + MaxTextLength(entry.CorrelationId) + MaxTextLength(entry.CausationId) + entry.Payload.Length);

    /// <summary>Encodes <paramref name="entry"/> as record <paramref name="seq"/> into <paramref name="output"/>; writes its hash to <paramref name="hash"/>.</summary>
    /// <remarks>
    /// The texts are transcoded straight into room for their longest UTF-8 form and the length prefix written after
    /// them, rather than counted first: the writer loop encodes a commit's records one after another, on the critical
    /// path between two fsyncs, and one pass over each text is half the work of two.
    /// </remarks>
    public static int Encode(LedgerEntry entry, long seq, DateTimeOffset time, ReadOnlySpan<byte> prevHash, IBufferWriter<byte> output, Span<byte> hash)
    {
        var span = output.GetSpan(MaxEncodedLength(entry));
        span[4] = Version;
        BinaryPrimitives.WriteInt64LittleEndian(span[5..], seq);
        BinaryPrimitives.WriteInt64LittleEndian(span[13..], time.UtcTicks);
        var at = 21;
        at += WriteText(span[at..], entry.Stream);
        at += WriteText(span[at..], entry.Type);
        at += WriteText(span[at..], entry.Key);
        at += WriteText(span[at..], entry.CorrelationId);
        at += WriteText(span[at..], entry.CausationId);
        var length = at + 4 + entry.Payload.Length + HashSize + HashSize;
        if (length > MaxRecordBytes)
            throw new ArgumentException(RecordTooLong(length), nameof(entry));
        BinaryPrimitives.WriteInt32LittleEndian(span, length - 4);
        BinaryPrimitives.WriteInt32LittleEndian(span[at..], entry.Payload.Length);
        at += 4;
        entry.Payload.Span.CopyTo(span[at..]);
        at += entry.Payload.Length;
        prevHash.CopyTo(span[at..]);
        at += HashSize;
        Sha256.Hash(span[..at], hash);
        hash.CopyTo(span[at..]);
        output.Advance(length);
        return length;
    }

    /// <summary>How decoding the bytes at an offset ended.</summary>
    public enum DecodeStatus
    {
        /// <summary>A whole record whose hash matches its bytes.</summary>
        Ok,
        /// <summary>Fewer bytes than the record claims: a torn write, or more data to read.</summary>
        Incomplete,
        /// <summary>The bytes cannot be a record, or the hash does not match.</summary>
        Invalid,
    }

    /// <summary>Decodes one record at the start of <paramref name="data"/>, checking its hash.</summary>
    public static DecodeStatus TryDecode(ReadOnlySpan<byte> data, out LedgerRecord? record, out int consumed, out string? problem)
    {
        record = null;
        consumed = 0;
        var status = TryFrame(data, out var length, out problem);
        if (status != DecodeStatus.Ok)
            return status;
        status = TryReadFrame(data[..length], null, out var view, out problem);
        if (status == DecodeStatus.Ok)
            (record, consumed) = (view.ToRecord(), length);
        return status;
    }

    /// <summary>
    /// Whether a whole record frame starts <paramref name="data"/> (<see cref="DecodeStatus.Ok"/>, <paramref name="length"/> bytes),
    /// more bytes are needed, or its length prefix is impossible. Neither its hash nor its fields are looked at.
    /// </summary>
    public static DecodeStatus TryFrame(ReadOnlySpan<byte> data, out int length, out string? problem)
    {
        length = 0;
        problem = null;
        if (data.Length < 4)
            return DecodeStatus.Incomplete;
        var bodyLength = BinaryPrimitives.ReadInt32LittleEndian(data);
        if (bodyLength < FixedSize - 4 || bodyLength > MaxRecordBytes)
        {
            problem = $"record length {bodyLength} is impossible";
            return DecodeStatus.Invalid;
        }
        if (data.Length < bodyLength + 4)
            return DecodeStatus.Incomplete;
        length = bodyLength + 4;
        return DecodeStatus.Ok;
    }

    /// <summary>
    /// Checks the hash of the whole record frame <paramref name="frame"/> (from <see cref="TryFrame"/>) and reads its fields,
    /// copying nothing: <paramref name="record"/> is a view over <paramref name="frame"/>. With <paramref name="texts"/>, a text
    /// field equal to the same field of the record read before reuses its string. Without <paramref name="checkHash"/> (a
    /// record this process has verified before) only its version and field lengths are checked.
    /// </summary>
    public static DecodeStatus TryReadFrame(ReadOnlySpan<byte> frame, RecentTexts? texts, out LedgerRecordView record, out string? problem, bool checkHash = true)
    {
        record = default;
        problem = null;
        if (checkHash && !HashMatches(frame))
        {
            problem = "hash does not match the record's bytes";
            return DecodeStatus.Invalid;
        }
        if (frame[4] != Version)
        {
            problem = $"unknown record version {frame[4]}";
            return DecodeStatus.Invalid;
        }
        try
        {
            var seq = BinaryPrimitives.ReadInt64LittleEndian(frame[5..]);
            var time = new DateTimeOffset(BinaryPrimitives.ReadInt64LittleEndian(frame[13..]), TimeSpan.Zero);
            var at = 21;
            var stream = ReadText(frame, ref at, texts, RecentTexts.Stream);
            var type = ReadText(frame, ref at, texts, RecentTexts.Type);
            var key = TextAt(frame, ref at); // an idempotency key: decoded if asked for
            var correlation = ReadText(frame, ref at, texts, RecentTexts.Correlation);
            var causation = ReadText(frame, ref at, texts, RecentTexts.Causation);
            var payloadLength = BinaryPrimitives.ReadInt32LittleEndian(frame[at..]);
            at += 4;
            if (payloadLength < 0 || at + payloadLength + (2 * HashSize) != frame.Length)
            {
                problem = "field lengths do not add up to the record length";
                return DecodeStatus.Invalid;
            }
            record = new LedgerRecordView(seq, time, stream, type, key, correlation, causation, frame.Slice(at, payloadLength), frame[^(2 * HashSize)..]);
            return DecodeStatus.Ok;
        }
        catch (Exception ex) when (ex is ArgumentOutOfRangeException or ArgumentException)
        {
            problem = "field lengths run past the record";
            return DecodeStatus.Invalid;
        }
    }

    private static bool HashMatches(ReadOnlySpan<byte> frame)
    {
        Span<byte> computed = stackalloc byte[HashSize];
        Sha256.Hash(frame[..^HashSize], computed);
        return computed.SequenceEqual(frame[^HashSize..]);
    }

    /// <summary>
    /// Whether the record frame at the start of <paramref name="data"/> is whole and its stream and type are not asked for
    /// by <paramref name="filter"/>: such a record can be stepped over (<paramref name="length"/> bytes) without verifying
    /// or decoding it. False for anything else, a frame that does not parse included, which <see cref="TryDecode"/> then reports.
    /// </summary>
    public static bool CanSkip(ReadOnlySpan<byte> data, LedgerScanFilter filter, out int length)
    {
        length = 0;
        if (data.Length < FixedSize)
            return false;
        var frame = BinaryPrimitives.ReadInt32LittleEndian(data) + 4;
        if (frame < FixedSize || frame > data.Length)
            return false;
        var at = 21;
        if (!TryTextAt(data[..frame], ref at, out var stream) || !TryTextAt(data[..frame], ref at, out var type))
            return false;
        length = frame;
        return !filter.Matches(stream, type);
    }

    private static bool TryTextAt(ReadOnlySpan<byte> frame, ref int at, out ReadOnlySpan<byte> text)
    {
        text = default;
        if (at + 2 > frame.Length)
            return false;
        var length = BinaryPrimitives.ReadUInt16LittleEndian(frame[at..]);
        if (at + 2 + length > frame.Length)
            return false;
        text = frame.Slice(at + 2, length);
        at += 2 + length;
        return true;
    }

    private static int TextLength(string text)
    {
        var bytes = Encoding.UTF8.GetByteCount(text);
        return bytes <= MaxTextBytes ? bytes : throw new ArgumentException(TextTooLong);
    }

    private static int MaxTextLength(string text) => Encoding.UTF8.GetMaxByteCount(text.Length);

    private static int WriteText(Span<byte> span, string text)
    {
        var written = Encoding.UTF8.GetBytes(text, span[2..]);
        if (written > MaxTextBytes)
            throw new ArgumentException(TextTooLong);
        BinaryPrimitives.WriteUInt16LittleEndian(span, (ushort)written);
        return written + 2;
    }

    private static string ReadText(ReadOnlySpan<byte> span, ref int at, RecentTexts? texts, int field)
    {
        var utf8 = TextAt(span, ref at);
        return texts is null ? Encoding.UTF8.GetString(utf8) : texts.Get(field, utf8);
    }

    private static ReadOnlySpan<byte> TextAt(ReadOnlySpan<byte> span, scoped ref int at)
    {
        var length = BinaryPrimitives.ReadUInt16LittleEndian(span[at..]);
        var utf8 = span.Slice(at + 2, length);
        at += 2 + length;
        return utf8;
    }

    /// <summary>
    /// The last string decoded for each of a few text fields, with its UTF-8 bytes. The records a scan reads one after
    /// another mostly share their stream, type, correlation and causation ids (a workflow's journals, a topic's messages):
    /// those are then decoded, and allocated, once rather than once a record.
    /// </summary>
    public sealed class RecentTexts
    {
        public const int Stream = 0;
        public const int Type = 1;
        public const int Correlation = 2;
        public const int Causation = 3;
        private readonly byte[][] _utf8 = [[], [], [], []];
        private readonly int[] _lengths = new int[4];
        private readonly string[] _strings = ["", "", "", ""];

        public string Get(int field, ReadOnlySpan<byte> utf8)
        {
            if (utf8.SequenceEqual(_utf8[field].AsSpan(0, _lengths[field])))
                return _strings[field];
            if (_utf8[field].Length < utf8.Length)
                _utf8[field] = new byte[Math.Max(utf8.Length, 64)];
            utf8.CopyTo(_utf8[field]);
            _lengths[field] = utf8.Length;
            return _strings[field] = Encoding.UTF8.GetString(utf8);
        }
    }
}
