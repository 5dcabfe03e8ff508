using System.Buffers;

namespace HealthFlow.Hl7.Mllp;

/// <summary>MLLP decoder settings.</summary>
public sealed record MllpDecoderOptions
{
    /// <summary>Default settings.</summary>
    public static MllpDecoderOptions Default { get; } = new();

    /// <summary>
    /// Largest payload (bytes between the start and end blocks) accepted. A frame that grows past it is reported
    /// once as <see cref="MllpDecodeStatus.FrameTooLarge"/> and its remaining bytes are discarded as they arrive,
    /// so the decoder never buffers more than this plus one read.
    /// </summary>
    public int MaxFrameBytes { get; init; } = Hl7Parser.DefaultMaxMessageLength;
}

/// <summary>What one <see cref="MllpFrameDecoder.Decode"/> call found.</summary>
public enum MllpDecodeStatus
{
    /// <summary>No complete frame yet: read more and call again with the same, grown buffer.</summary>
    NeedMoreData,

    /// <summary>A complete frame: <see cref="MllpDecodeResult.Payload"/> is the message without the block characters.</summary>
    Frame,

    /// <summary>Bytes before a start block were skipped (junk, a half frame from a broken sender); count in <see cref="MllpDecodeResult.ByteCount"/>.</summary>
    JunkSkipped,

    /// <summary>A frame started but a new start block came before its end block: the unfinished frame was dropped.</summary>
    FrameAbandoned,

    /// <summary>A frame exceeded <see cref="MllpDecoderOptions.MaxFrameBytes"/>; it is being (or was) discarded up to its end block.</summary>
    FrameTooLarge,

    /// <summary>The stream ended inside a frame (no end block).</summary>
    IncompleteFrameAtEnd,

    /// <summary>The stream ended cleanly between frames.</summary>
    EndOfStream,
}

/// <summary>The outcome of one decode step. <see cref="Payload"/> is a slice of the caller's buffer: valid until the reader is advanced.</summary>
public readonly record struct MllpDecodeResult(MllpDecodeStatus Status, ReadOnlySequence<byte> Payload, long ByteCount);

/// <summary>
/// Incremental MLLP decoder for one connection: frame = <c>0x0B</c> message <c>0x1C 0x0D</c>.
/// Pure over <see cref="ReadOnlySequence{T}"/> (no sockets), so the listener's <c>PipeReader</c> loop drives it.
/// </summary>
/// <remarks>
/// Usage: call <see cref="Decode"/> with the buffer from <c>ReadAsync</c>; it slices off what it consumed. On
/// <see cref="MllpDecodeStatus.NeedMoreData"/> call <c>AdvanceTo(buffer.Start, buffer.End)</c> and read again; on anything else
/// use the result, then call <see cref="Decode"/> again on the rest (or <c>AdvanceTo(buffer.Start)</c> and read).
/// Handles a frame split over many reads (it remembers how far it scanned, so each byte is examined once), many frames
/// in one read, junk between frames (CR/LF between frames is skipped silently: some senders add a line break), a frame
/// with no end block (until the size limit or end of stream), and a start block inside an unfinished frame.
/// An end block not followed by CR is accepted (lenient) when the next byte is known not to be CR.
/// Not thread-safe: one instance per connection.
/// </remarks>
public sealed class MllpFrameDecoder
{
    /// <summary>Start block (VT).</summary>
    public const byte StartBlock = 0x0B;

    /// <summary>First end block character (FS).</summary>
    public const byte EndBlock = 0x1C;

    /// <summary>Second end block character (CR).</summary>
    public const byte CarriageReturn = 0x0D;

    private readonly int _maxFrameBytes;
    private long _scannedInFrame;
    private bool _discarding;

    /// <summary>A decoder for one connection.</summary>
    public MllpFrameDecoder(MllpDecoderOptions? options = null)
    {
        _maxFrameBytes = (options ?? MllpDecoderOptions.Default).MaxFrameBytes;
        ArgumentOutOfRangeException.ThrowIfLessThan(_maxFrameBytes, 1);
    }

    /// <summary>True while the rest of an oversized frame is being thrown away.</summary>
    public bool IsDiscarding => _discarding;

    /// <summary>Decodes the next item from <paramref name="buffer"/>, slicing off what was consumed.</summary>
    /// <param name="buffer">Unconsumed bytes; on return, what is left.</param>
    /// <param name="isCompleted">The connection will send no more bytes.</param>
    public MllpDecodeResult Decode(ref ReadOnlySequence<byte> buffer, bool isCompleted)
    {
        while (true)
        {
            if (_discarding)
            {
                var end = buffer.PositionOf(EndBlock);
                if (end is null)
                {
                    buffer = buffer.Slice(buffer.End);
                    return isCompleted ? Result(MllpDecodeStatus.EndOfStream) : Result(MllpDecodeStatus.NeedMoreData);
                }

                // Drop through the end block (and its CR if it already arrived), then carry on with normal framing.
                var afterEnd = buffer.Slice(buffer.GetPosition(1, end.Value));
                if (!afterEnd.IsEmpty && afterEnd.FirstSpan[0] == CarriageReturn)
                {
                    afterEnd = afterEnd.Slice(1);
                }

                buffer = afterEnd;
                _discarding = false;
                continue;
            }

            if (buffer.IsEmpty)
            {
                return isCompleted ? Result(MllpDecodeStatus.EndOfStream) : Result(MllpDecodeStatus.NeedMoreData);
            }

            var first = buffer.FirstSpan[0];
            if (first != StartBlock)
            {
                var skipped = SkipToStartBlock(ref buffer, out var onlyLineBreaks);
                if (onlyLineBreaks)
                {
                    continue;
                }

                return Result(MllpDecodeStatus.JunkSkipped, skipped);
            }

            var reader = new SequenceReader<byte>(buffer);
            var offset = Math.Max(_scannedInFrame, 1);
            reader.Advance(offset);
            if (reader.TryAdvanceToAny([EndBlock, StartBlock], advancePastDelimiter: false))
            {
                var at = reader.Consumed;
                reader.TryPeek(out var found);
                if (found == StartBlock)
                {
                    buffer = buffer.Slice(at);
                    _scannedInFrame = 0;
                    return Result(MllpDecodeStatus.FrameAbandoned, at);
                }

                var payloadLength = at - 1;
                long consumed;
                if (at + 1 < buffer.Length)
                {
                    // Lenient: a missing trailing CR does not lose the frame.
                    reader.Advance(1);
                    reader.TryPeek(out var next);
                    consumed = next == CarriageReturn ? at + 2 : at + 1;
                }
                else if (isCompleted)
                {
                    consumed = at + 1;
                }
                else
                {
                    // The CR after FS has not arrived yet; remember how far we looked.
                    _scannedInFrame = at;
                    return Result(MllpDecodeStatus.NeedMoreData);
                }

                if (payloadLength > _maxFrameBytes)
                {
                    buffer = buffer.Slice(consumed);
                    _scannedInFrame = 0;
                    return Result(MllpDecodeStatus.FrameTooLarge, payloadLength);
                }

                var payload = buffer.Slice(1, payloadLength);
                buffer = buffer.Slice(consumed);
                _scannedInFrame = 0;
                return new MllpDecodeResult(MllpDecodeStatus.Frame, payload, payloadLength);
            }

            var buffered = buffer.Length - 1;
            if (buffered > _maxFrameBytes)
            {
                buffer = buffer.Slice(buffer.End);
                _scannedInFrame = 0;
                _discarding = true;
                return Result(MllpDecodeStatus.FrameTooLarge, buffered);
            }

            if (isCompleted)
            {
                buffer = buffer.Slice(buffer.End);
                _scannedInFrame = 0;
                return Result(MllpDecodeStatus.IncompleteFrameAtEnd, buffered);
            }

            _scannedInFrame = buffer.Length;
            return Result(MllpDecodeStatus.NeedMoreData);
        }
    }

    private static long SkipToStartBlock(ref ReadOnlySequence<byte> buffer, out bool onlyLineBreaks)
    {
        var start = buffer.PositionOf(StartBlock);
        var junk = start is null ? buffer : buffer.Slice(0, start.Value);
        onlyLineBreaks = true;
        foreach (var memory in junk)
        {
            if (memory.Span.ContainsAnyExcept((byte)'\r', (byte)'\n'))
            {
                onlyLineBreaks = false;
                break;
            }
        }

        buffer = start is null ? buffer.Slice(buffer.End) : buffer.Slice(start.Value);
        return junk.Length;
    }

    private static MllpDecodeResult Result(MllpDecodeStatus status, long byteCount = 0) => new(status, default, byteCount);
}
