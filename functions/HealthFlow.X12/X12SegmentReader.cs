using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace HealthFlow.X12;

/// <summary>What <see cref="X12SegmentReader.Read"/> found.</summary>
public enum X12ReadResult
{
    /// <summary><see cref="X12SegmentReader.Current"/> holds the next segment (an ISA too).</summary>
    Segment,

    /// <summary>No more input.</summary>
    EndOfInput,

    /// <summary>
    /// A segment longer than the limit; <see cref="X12SegmentReader.Current"/> holds its first bytes and
    /// the reader has skipped past its terminator, so reading can go on.
    /// </summary>
    SegmentTooLong,

    /// <summary>
    /// The input cannot be tokenised from here: it does not start with an ISA segment, or an ISA is too short
    /// or carries unusable delimiters. <see cref="X12SegmentReader.Problem"/> says which; reading stops.
    /// </summary>
    NotTokenizable,
}

/// <summary>
/// Streaming X12 tokenizer: reads segments from a <see cref="Stream"/> with a bounded buffer, taking the
/// delimiters from each ISA it meets (several interchanges with different delimiters may follow each other).
/// </summary>
/// <remarks>
/// Memory stays bounded by <c>maxSegmentLength</c> plus one read block: a segment is never longer than the
/// buffer, and longer ones are reported (<see cref="X12ReadResult.SegmentTooLong"/>) and skipped.
/// No string is allocated per element; callers see spans into the buffer through <see cref="Current"/>.
/// CR, LF, tab and space between segments are ignored; a line break may itself be the segment terminator.
/// </remarks>
public sealed class X12SegmentReader : IDisposable
{
    /// <summary>Default limit: no 5010 segment comes near 1 MiB; a longer one is junk or an attack.</summary>
    public const int DefaultMaxSegmentLength = 1 << 20;

    private const int IsaLength = 106;
    private const int ReadBlock = 64 * 1024;

    // Offsets of the 16 element separators in a fixed-width (106 byte) ISA.
    private static readonly int[] IsaSeparatorOffsets = [3, 6, 17, 20, 31, 34, 50, 53, 69, 76, 81, 83, 89, 99, 101, 103];

    // Fixed widths of ISA01..ISA16.
    private static readonly int[] IsaFieldWidths = [2, 10, 2, 10, 2, 15, 2, 15, 6, 4, 1, 5, 9, 1, 1, 1];

    private readonly Stream _stream;
    private readonly int _maxSegmentLength;
    private byte[] _buffer;
    private int[] _separators = new int[64];
    private int _separatorCount;

    // Bit n set: element n of the current segment is empty or absent, or may be (all bits when not worked out).
    private uint _emptyElements = uint.MaxValue;

    private int _start;
    private int _end;
    private bool _endOfStream;
    private bool _haveDelimiters;
    private X12Delimiters _delimiters;
    private int _segmentStart;
    private int _segmentLength;
    private int _position;
    private long _consumedBefore;
    private bool _started;
    private readonly byte[] _longHead = new byte[64];
    private int _longHeadLength;
    private bool _currentIsLongHead;
    private bool _bufferIsPooled = true;
    private bool _inputIsBorrowed;

    /// <summary>Creates a reader over <paramref name="stream"/>; the caller keeps ownership of the stream.</summary>
    public X12SegmentReader(Stream stream, int maxSegmentLength = DefaultMaxSegmentLength)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSegmentLength, 256);
        _stream = stream;
        _maxSegmentLength = maxSegmentLength;
        _buffer = ArrayPool<byte>.Shared.Rent(Math.Min(ReadBlock * 2, maxSegmentLength + ReadBlock));
    }

    /// <summary>
    /// Reads segments straight out of <paramref name="input"/>, which is already in memory: no copy into a read
    /// buffer. The array is never written to; the rare in-place edits (line breaks inside segments, a wrapped ISA)
    /// first copy the input into a buffer of the reader's own.
    /// </summary>
    internal X12SegmentReader(byte[] input, int maxSegmentLength)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSegmentLength, 256);
        _stream = Stream.Null;
        _maxSegmentLength = maxSegmentLength;
        _buffer = input;
        _bufferIsPooled = false;
        _inputIsBorrowed = true;
        _end = input.Length;
        _endOfStream = true;
    }

    /// <summary>The segment found by the last <see cref="Read"/>; valid until the next call.</summary>
    public X12Segment Current => _currentIsLongHead
        ? new(_longHead.AsSpan(0, _longHeadLength), default, _delimiters, _position, uint.MaxValue)
        : new(_buffer.AsSpan(_segmentStart, _segmentLength), _separators.AsSpan(0, _separatorCount), _delimiters, _position, _emptyElements);

    /// <summary>Delimiters of the current interchange.</summary>
    public X12Delimiters Delimiters => _delimiters;

    /// <summary>For an ISA: 0 when it is fixed-width, else the number (1–16) of the first field whose width is wrong.</summary>
    public int IsaFieldWidthError { get; private set; }

    /// <summary>Why the input stopped being tokenizable (set with <see cref="X12ReadResult.NotTokenizable"/>).</summary>
    public string? Problem { get; private set; }

    /// <summary>Bytes of input consumed so far.</summary>
    public long BytesConsumed => _consumedBefore + _start;

    /// <summary>Reads the next segment.</summary>
    public X12ReadResult Read()
    {
        _emptyElements = uint.MaxValue;
        if (!SkipWhitespace())
        {
            return X12ReadResult.EndOfInput;
        }

        if (!_started)
        {
            _started = true;
            if (SkipByteOrderMark() && !SkipWhitespace())
            {
                return X12ReadResult.EndOfInput;
            }
        }

        if (StartsWithIsa())
        {
            return ReadIsa();
        }

        if (!_haveDelimiters)
        {
            Problem = DescribeNonX12Start();
            return X12ReadResult.NotTokenizable;
        }

        return ReadSegment();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        var buffer = _buffer;
        _buffer = [];
        if (buffer.Length > 0 && _bufferIsPooled)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private X12ReadResult ReadSegment()
    {
        if (Vector256.IsHardwareAccelerated && _delimiters.Segment is not ((byte)'\n' or (byte)'\r') && TryReadSegmentInOnePass())
        {
            return X12ReadResult.Segment;
        }

        var terminator = _delimiters.Segment;
        var scanned = 0;
        while (true)
        {
            // The terminator search runs over long stretches (vectorised IndexOf); element separators are
            // then found inside the one segment with a SIMD bit mask, instead of one search call per element.
            var at = _buffer.AsSpan(_start + scanned, _end - _start - scanned).IndexOf(terminator);
            if (at >= 0 && _inputIsBorrowed && scanned + at > _maxSegmentLength)
            {
                // The whole input is buffered, so the terminator of an over-long segment is always found: report it
                // as a streaming read would, and skip it.
                return SkipLongBufferedSegment(scanned + at + 1);
            }

            if (at >= 0)
            {
                var length = scanned + at;
                CompleteSegment(FindElementSeparators(_start, length), length + 1);
                return X12ReadResult.Segment;
            }

            scanned = _end - _start;
            if (scanned > _maxSegmentLength)
            {
                return SkipLongSegment();
            }

            if (!Fill())
            {
                // Last segment without terminator: hand it over; the envelope check notices what is missing.
                if (scanned == 0)
                {
                    return X12ReadResult.EndOfInput;
                }

                CompleteSegment(FindElementSeparators(_start, scanned), scanned);
                return X12ReadResult.Segment;
            }
        }
    }

    /// <summary>
    /// The common case in one pass: each 32-byte block of buffered input is compared with the terminator, the
    /// element separator and CR/LF at once, so a segment costs one or two blocks instead of a terminator search
    /// followed by a second scan for its separators. Gives up (false, nothing consumed, the general path
    /// rescans) when the terminator is not within the buffered blocks or the segment is long; never used when
    /// the terminator is itself a line break.
    /// </summary>
    private bool TryReadSegmentInOnePass()
    {
        const int MaxFastLength = 2048;
        var start = _start;
        var limit = Math.Min(_end, start + Math.Min(MaxFastLength, _maxSegmentLength));
        if (start + Vector256<byte>.Count > limit)
        {
            return false;
        }

        if (Avx512Vbmi2.IsSupported && start + Vector512<byte>.Count < limit && TryReadShortSegment(start))
        {
            return true;
        }

        _separatorCount = 0;
        var terminator = Vector256.Create(_delimiters.Segment);
        var element = Vector256.Create(_delimiters.Element);
        var lineFeed = Vector256.Create((byte)'\n');
        var carriageReturn = Vector256.Create((byte)'\r');
        ref var origin = ref MemoryMarshal.GetArrayDataReference(_buffer);
        var sawLineBreak = false;
        for (var i = 0; start + i + Vector256<byte>.Count <= limit; i += Vector256<byte>.Count)
        {
            var block = Vector256.LoadUnsafe(ref origin, (nuint)(start + i));
            var ends = Vector256.Equals(block, terminator).ExtractMostSignificantBits();
            var separators = Vector256.Equals(block, element).ExtractMostSignificantBits();
            var breaks = (Vector256.Equals(block, lineFeed) | Vector256.Equals(block, carriageReturn)).ExtractMostSignificantBits();
            if (ends != 0)
            {
                var at = BitOperations.TrailingZeroCount(ends);
                var before = (1u << at) - 1;
                separators &= before;
                sawLineBreak |= (breaks & before) != 0;
                AddSeparators(i, separators);
                var length = i + at;
                if (sawLineBreak)
                {
                    CompleteSegment(RemoveLineBreaks(start, length), length + 1);
                    return true;
                }

                // No CR/LF before the terminator, so there is none to trim at the end (CompleteSegment's loop).
                CompleteUntrimmedSegment(start, length);
                return true;
            }

            sawLineBreak |= breaks != 0;
            AddSeparators(i, separators);
        }

        return false;
    }

    /// <summary>
    /// Most segments in one 64-byte block. Where a segment's terminator falls and how many separators it has vary
    /// from segment to segment, so the 32-byte block loop and <see cref="AddSeparators"/> exit where the branch
    /// predictor keeps guessing wrong; here no branch depends on them. The separators' offsets
    /// are packed by one compress instruction and all 16 slots stored at once; which elements are empty comes out
    /// of the same block, so the parser's mandatory-element check is one test. False (nothing consumed) for a
    /// segment of 64 bytes or more, with more than 16 separators, or with a line break inside.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private bool TryReadShortSegment(int start)
    {
        var block = Vector512.LoadUnsafe(ref MemoryMarshal.GetArrayDataReference(_buffer), (nuint)start);
        var ends = Vector512.Equals(block, Vector512.Create(_delimiters.Segment)).ExtractMostSignificantBits();
        if (ends == 0)
        {
            return false;
        }

        var length = BitOperations.TrailingZeroCount(ends);
        var inSegment = Vector512.LessThan(Vector512<byte>.Indices, Vector512.Create((byte)length));
        var separators = Vector512.Equals(block, Vector512.Create(_delimiters.Element)) & inSegment;
        var breaks = (Vector512.Equals(block, Vector512.Create((byte)'\n')) | Vector512.Equals(block, Vector512.Create((byte)'\r'))) & inSegment;
        var count = BitOperations.PopCount(separators.ExtractMostSignificantBits());
        if (count > 16 || breaks != Vector512<byte>.Zero)
        {
            return false;
        }

        // The offsets of the separators, packed into the low bytes, widened to the 16 int slots (_separators never has fewer than 64).
        var offsets = Avx512Vbmi2.Compress(Vector512<byte>.Zero, separators, Vector512<byte>.Indices);
        Avx512F.ConvertToVector512Int32(offsets.GetLower().GetLower()).StoreUnsafe(ref MemoryMarshal.GetArrayDataReference(_separators));

        // Element n is empty when separator n - 1 is followed at once by a separator or the terminator (the block
        // one byte on: start + 64 < limit), absent when n > count. Packed in separator order, bit n = element n.
        var next = Vector512.LoadUnsafe(ref MemoryMarshal.GetArrayDataReference(_buffer), (nuint)start + 1);
        var emptyAfter = separators & (Vector512.Equals(next, Vector512.Create(_delimiters.Element)) | Vector512.Equals(next, Vector512.Create(_delimiters.Segment)));
        var empty = Avx512Vbmi2.Compress(Vector512<byte>.Zero, separators, emptyAfter).ExtractMostSignificantBits();
        _emptyElements = unchecked((uint)(empty << 1)) | (uint.MaxValue << (count + 1));
        _separatorCount = count;
        CompleteUntrimmedSegment(start, length);
        return true;
    }

    /// <summary>The segment of <paramref name="length"/> bytes at <paramref name="start"/>, with no line break in it, is read; its terminator too.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private void CompleteUntrimmedSegment(int start, int length)
    {
        _currentIsLongHead = false;
        _segmentStart = start;
        _segmentLength = length;
        _start = start + length + 1;
        _position++;
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private void AddSeparators(int blockOffset, uint mask)
    {
        if (_separatorCount + Vector256<byte>.Count > _separators.Length)
        {
            Array.Resize(ref _separators, _separators.Length * 2);
        }

        // Capacity for a whole block was ensured above, so the stores need no per-separator check. Four slots are
        // written per round whatever the count (slots past the count hold junk that later stores overwrite): a
        // loop stopping at the last separator exits at a different count in each segment, which the branch
        // predictor keeps missing.
        ref var slot = ref _separators[_separatorCount];
        _separatorCount += BitOperations.PopCount(mask);
        do
        {
            Unsafe.Add(ref slot, 0) = blockOffset + BitOperations.TrailingZeroCount(mask);
            mask &= unchecked(mask - 1);
            Unsafe.Add(ref slot, 1) = blockOffset + BitOperations.TrailingZeroCount(mask);
            mask &= unchecked(mask - 1);
            Unsafe.Add(ref slot, 2) = blockOffset + BitOperations.TrailingZeroCount(mask);
            mask &= unchecked(mask - 1);
            Unsafe.Add(ref slot, 3) = blockOffset + BitOperations.TrailingZeroCount(mask);
            mask &= unchecked(mask - 1);
            slot = ref Unsafe.Add(ref slot, 4);
        }
        while (mask != 0);
    }

    /// <summary>
    /// Records the element separators of the segment at <paramref name="offset"/> in the buffer and returns its
    /// length. Line breaks inside a segment (files wrapped at a fixed width) are not data when the terminator is
    /// not itself a line break: they are removed in place, which shortens the segment.
    /// </summary>
    private int FindElementSeparators(int offset, int length)
    {
        _separatorCount = 0;
        var element = _delimiters.Element;
        var lineBreaksAreData = _delimiters.Segment is (byte)'\n' or (byte)'\r';
        var sawLineBreak = false;
        if (_separators.Length < length + 1 && length > 64)
        {
            // At most one separator per byte; growing once here keeps growth out of the loop.
            Array.Resize(ref _separators, Math.Max(_separators.Length * 2, length + 1));
        }

        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            // Whole 32-byte blocks, reading past the segment end while still inside the buffer and masking
            // those bits off: a typical 20–60 byte segment takes one or two compares and no scalar tail.
            var needle = Vector256.Create(element);
            var lineFeed = Vector256.Create((byte)'\n');
            var carriageReturn = Vector256.Create((byte)'\r');
            ref var origin = ref MemoryMarshal.GetArrayDataReference(_buffer);
            for (; i < length && offset + i + Vector256<byte>.Count <= _buffer.Length; i += Vector256<byte>.Count)
            {
                var block = Vector256.LoadUnsafe(ref origin, (nuint)(offset + i));
                var mask = Vector256.Equals(block, needle).ExtractMostSignificantBits();
                var breaks = (Vector256.Equals(block, lineFeed) | Vector256.Equals(block, carriageReturn)).ExtractMostSignificantBits();
                var remaining = length - i;
                if (remaining < 32)
                {
                    var valid = (1u << remaining) - 1;
                    mask &= valid;
                    breaks &= valid;
                }

                sawLineBreak |= breaks != 0;
                while (mask != 0)
                {
                    AddSeparator(i + BitOperations.TrailingZeroCount(mask));
                    mask &= mask - 1;
                }
            }
        }

        var segment = _buffer.AsSpan(offset, length);
        for (; i < length; i++)
        {
            var b = segment[i];
            if (b == element)
            {
                AddSeparator(i);
            }
            else if (b is (byte)'\n' or (byte)'\r')
            {
                sawLineBreak = true;
            }
        }

        return sawLineBreak && !lineBreaksAreData ? RemoveLineBreaks(offset, length) : length;
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private int RemoveLineBreaks(int offset, int length)
    {
        EnsureBufferIsOwn();
        var segment = _buffer.AsSpan(offset, length);
        var kept = 0;
        _separatorCount = 0;
        for (var i = 0; i < length; i++)
        {
            var b = segment[i];
            if (b is (byte)'\n' or (byte)'\r')
            {
                continue;
            }

            if (b == _delimiters.Element)
            {
                AddSeparator(kept);
            }

            segment[kept++] = b;
        }

        return kept;
    }

    private void CompleteSegment(int length, int consumed)
    {
        _currentIsLongHead = false;
        _segmentStart = _start;
        _segmentLength = length;

        // With a line break as terminator, a CR before it belongs to the line ending, not the data.
        while (_segmentLength > 0 && _segmentLength - 1 > LastSeparator()
               && _buffer[_segmentStart + _segmentLength - 1] is (byte)'\r' or (byte)'\n')
        {
            _segmentLength--;
        }

        _start += consumed;
        _position++;
    }

    private int LastSeparator() => _separatorCount == 0 ? -1 : _separators[_separatorCount - 1];

    private X12ReadResult SkipLongSegment()
    {
        // Keep the segment id so the error can name it; the rest is discarded up to the terminator,
        // one read block at a time, so a 10 MB segment costs no more memory than a short one.
        _separatorCount = 0;
        var head = _buffer.AsSpan(_start, Math.Min(_longHead.Length, _end - _start));
        var idEnd = head.IndexOf(_delimiters.Element);
        _longHeadLength = idEnd >= 0 ? idEnd : Math.Min(head.Length, 3);
        head[.._longHeadLength].CopyTo(_longHead);
        _start = _end;
        while (Fill())
        {
            var at = _buffer.AsSpan(_start, _end - _start).IndexOf(_delimiters.Segment);
            if (at >= 0)
            {
                _start += at + 1;
                break;
            }

            _start = _end;
        }

        _currentIsLongHead = true;
        _position++;
        return X12ReadResult.SegmentTooLong;
    }

    private X12ReadResult SkipLongBufferedSegment(int consumed)
    {
        _separatorCount = 0;
        var head = _buffer.AsSpan(_start, Math.Min(_longHead.Length, consumed));
        var idEnd = head.IndexOf(_delimiters.Element);
        _longHeadLength = idEnd >= 0 ? idEnd : Math.Min(head.Length, 3);
        head[.._longHeadLength].CopyTo(_longHead);
        _start += consumed;
        _currentIsLongHead = true;
        _position++;
        return X12ReadResult.SegmentTooLong;
    }

    /// <summary>Before an in-place edit: when the buffer is the caller's input, continue on a copy of it.</summary>
    private void EnsureBufferIsOwn()
    {
        if (!_inputIsBorrowed)
        {
            return;
        }

        var own = ArrayPool<byte>.Shared.Rent(Math.Max(_end, 1));
        Buffer.BlockCopy(_buffer, 0, own, 0, _end);
        _buffer = own;
        _bufferIsPooled = true;
        _inputIsBorrowed = false;
    }

    private void AddSeparator(int offset)
    {
        if (_separatorCount == _separators.Length)
        {
            Array.Resize(ref _separators, _separators.Length * 2);
        }

        _separators[_separatorCount++] = offset;
    }

    private bool StartsWithIsa()
    {
        if (_start < _end && _buffer[_start] != (byte)'I')
        {
            return false;
        }

        if (_end - _start < 4)
        {
            Fill();
        }

        var head = _buffer.AsSpan(_start, Math.Min(4, _end - _start));
        return head.Length == 4 && head[0] == (byte)'I' && head[1] == (byte)'S' && head[2] == (byte)'A'
               && !X12Delimiters.IsAlphanumeric(head[3]) && head[3] is not ((byte)' ' or (byte)'\r' or (byte)'\n');
    }

    private X12ReadResult ReadIsa()
    {
        while (_end - _start < IsaLength + 2 && Fill())
        {
        }

        var available = _buffer.AsSpan(_start, Math.Min(_end - _start, 512));
        var element = available[3];
        _separatorCount = 0;
        IsaFieldWidthError = 0;

        var fixedWidth = IsFixedWidth(available, element);
        var consumed = -1;
        if (!fixedWidth && available[..Math.Min(available.Length, IsaLength)].IndexOfAny((byte)'\r', (byte)'\n') >= 0)
        {
            // A file wrapped at a fixed line width breaks the ISA itself: drop the line breaks and look again.
            Span<byte> compacted = stackalloc byte[IsaLength];
            var raw = CompactLineBreaks(available, compacted);
            if (raw > 0 && IsFixedWidth(compacted, element))
            {
                // Only now is the buffer rewritten: the compacted ISA over the bytes it came from.
                EnsureBufferIsOwn();
                available = _buffer.AsSpan(_start, Math.Min(_end - _start, 512));
                compacted.CopyTo(available);
                fixedWidth = true;
                consumed = raw;
            }
        }

        int componentOffset;
        if (fixedWidth)
        {
            foreach (var offset in IsaSeparatorOffsets)
            {
                AddSeparator(offset);
            }

            componentOffset = 104;
        }
        else
        {
            // Lenient read of a variable-width ISA, so the error can say which field is wrong and the
            // rest of the interchange can still be skipped or inspected with the right delimiters.
            for (var i = 3; i < available.Length && _separatorCount < 16; i++)
            {
                if (available[i] == element)
                {
                    AddSeparator(i);
                }
            }

            if (_separatorCount < 16 || _separators[15] + 2 >= available.Length)
            {
                Problem = "ISA segment is truncated: fewer than 16 elements before the end of input";
                return X12ReadResult.NotTokenizable;
            }

            componentOffset = _separators[15] + 1;
            for (var field = 0; field < 16; field++)
            {
                var fieldStart = _separators[field] + 1;
                var fieldEnd = field < 15 ? _separators[field + 1] : componentOffset + 1;
                if (fieldEnd - fieldStart != IsaFieldWidths[field])
                {
                    IsaFieldWidthError = field + 1;
                    break;
                }
            }
        }

        var component = available[componentOffset];
        var terminator = available[componentOffset + 1];
        var repetition = available[_separators[10] + 1];
        var delimiters = new X12Delimiters(element, repetition, component, terminator);
        if (!delimiters.AreUsable)
        {
            Problem = $"ISA delimiters are unusable: element '{(char)element}', component '{(char)component}', segment terminator '{(char)terminator}' must be distinct and not letters or digits";
            return X12ReadResult.NotTokenizable;
        }

        _delimiters = delimiters;
        _haveDelimiters = true;
        _position = 0;
        CompleteSegment(componentOffset + 1, consumed > 0 ? consumed : componentOffset + 2);
        return X12ReadResult.Segment;
    }

    private static bool IsFixedWidth(ReadOnlySpan<byte> isa, byte element)
    {
        if (isa.Length < IsaLength)
        {
            return false;
        }

        foreach (var offset in IsaSeparatorOffsets)
        {
            if (isa[offset] != element)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Copies the first 106 bytes of <paramref name="window"/> that are not CR/LF into <paramref name="into"/> and
    /// returns how many raw bytes they spanned, or -1 when the window holds fewer.
    /// </summary>
    private static int CompactLineBreaks(ReadOnlySpan<byte> window, Span<byte> into)
    {
        var kept = 0;
        var raw = 0;
        for (; raw < window.Length && kept < IsaLength; raw++)
        {
            var b = window[raw];
            if (b is not ((byte)'\r' or (byte)'\n'))
            {
                into[kept++] = b;
            }
        }

        return kept == IsaLength ? raw : -1;
    }

    private string DescribeNonX12Start()
    {
        var head = _buffer.AsSpan(_start, Math.Min(_end - _start, 3));
        if (head.Length >= 2 && (head.StartsWith("GS"u8) || head.StartsWith("ST"u8)))
        {
            return $"input starts with a {X12Text.ToText(head[..2])} segment: the ISA interchange header is missing";
        }

        return "input is not X12: it does not start with an ISA interchange header";
    }

    private bool SkipWhitespace()
    {
        while (true)
        {
            while (_start < _end)
            {
                var b = _buffer[_start];
                if (b is not ((byte)' ' or (byte)'\r' or (byte)'\n' or (byte)'\t'))
                {
                    return true;
                }

                _start++;
            }

            if (!Fill())
            {
                return false;
            }
        }
    }

    private bool SkipByteOrderMark()
    {
        while (_end - _start < 3 && Fill())
        {
        }

        if (_buffer.AsSpan(_start, _end - _start).StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
        {
            _start += 3;
            return true;
        }

        return false;
    }

    /// <summary>Reads more input behind what is buffered; false at end of stream.</summary>
    private bool Fill()
    {
        if (_endOfStream)
        {
            return false;
        }

        if (_start > 0)
        {
            var remaining = _end - _start;
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, remaining);
            _consumedBefore += _start;
            _start = 0;
            _end = remaining;
        }

        if (_buffer.Length - _end < ReadBlock / 4)
        {
            var grown = ArrayPool<byte>.Shared.Rent(_buffer.Length * 2);
            Buffer.BlockCopy(_buffer, 0, grown, 0, _end);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = grown;
        }

        var read = _stream.Read(_buffer, _end, _buffer.Length - _end);
        if (read == 0)
        {
            _endOfStream = true;
            return false;
        }

        _end += read;
        return true;
    }
}
