using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using HealthFlow.Hl7.Mllp;

namespace HealthFlow.Hl7.Tests;

public class MllpFrameDecoderTests
{
    private static readonly byte[] First = Encoding.ASCII.GetBytes("MSH|^~\\&|A|F|H|F|20260101||ADT^A01|C1|P|2.5\rPID|1||M1\r");
    private static readonly byte[] Second = Encoding.ASCII.GetBytes("MSH|^~\\&|A|F|H|F|20260101||ADT^A03|C2|P|2.5\rPID|1||M2\r");

    /// <summary>Feeds <paramref name="chunks"/> one by one as a socket would, collecting what the decoder reports.</summary>
    private static List<(MllpDecodeStatus Status, byte[]? Payload, long Count)> Drive(IEnumerable<byte[]> chunks, MllpDecoderOptions? options = null, bool complete = true)
    {
        var decoder = new MllpFrameDecoder(options);
        var pending = Array.Empty<byte>();
        var events = new List<(MllpDecodeStatus, byte[]?, long)>();
        var list = chunks.ToList();
        for (var i = 0; i < list.Count; i++)
        {
            pending = [.. pending, .. list[i]];
            var isLast = complete && i == list.Count - 1;
            while (true)
            {
                var buffer = new ReadOnlySequence<byte>(pending);
                var result = decoder.Decode(ref buffer, isLast);
                pending = buffer.ToArray();
                if (result.Status is MllpDecodeStatus.NeedMoreData or MllpDecodeStatus.EndOfStream)
                {
                    if (result.Status == MllpDecodeStatus.EndOfStream)
                    {
                        events.Add((result.Status, null, 0));
                    }

                    break;
                }

                events.Add((result.Status, result.Status == MllpDecodeStatus.Frame ? result.Payload.ToArray() : null, result.ByteCount));
            }
        }

        return events;
    }

    private static byte[] TwoFrames() => [.. MllpFrameEncoder.Encode(First), .. MllpFrameEncoder.Encode(Second)];

    [Fact]
    public void The_encoder_wraps_a_message_in_start_and_end_blocks()
    {
        var frame = MllpFrameEncoder.Encode("MSA|AA|1\r");
        Assert.Equal(0x0B, frame[0]);
        Assert.Equal([0x1C, 0x0D], frame[^2..]);
        Assert.Equal("MSA|AA|1\r", Encoding.ASCII.GetString(frame, 1, frame.Length - 3));
    }

    [Fact]
    public void The_buffer_writer_encoder_writes_the_same_bytes()
    {
        var writer = new ArrayBufferWriter<byte>();
        MllpFrameEncoder.Write(writer, "MSA|AA|1\r");
        MllpFrameEncoder.Write(writer, "MSA|AA|2\r"u8);
        Assert.Equal([.. MllpFrameEncoder.Encode("MSA|AA|1\r"), .. MllpFrameEncoder.Encode("MSA|AA|2\r"u8)], writer.WrittenSpan.ToArray());
    }

    [Fact]
    public void Two_frames_in_one_read_give_two_frames()
    {
        var events = Drive([TwoFrames()]);
        Assert.Equal([MllpDecodeStatus.Frame, MllpDecodeStatus.Frame, MllpDecodeStatus.EndOfStream], events.Select(e => e.Status));
        Assert.Equal(First, events[0].Payload);
        Assert.Equal(Second, events[1].Payload);
    }

    [Fact]
    public void Two_frames_split_into_two_reads_at_every_byte_position_give_the_same_frames()
    {
        var bytes = TwoFrames();
        for (var split = 0; split <= bytes.Length; split++)
        {
            var events = Drive([bytes[..split], bytes[split..]]);
            var frames = events.Where(e => e.Status == MllpDecodeStatus.Frame).Select(e => e.Payload).ToList();
            Assert.True(frames.Count == 2, $"split at {split}: {string.Join(",", events.Select(e => e.Status))}");
            Assert.Equal(First, frames[0]);
            Assert.Equal(Second, frames[1]);
            Assert.DoesNotContain(events, e => e.Status is MllpDecodeStatus.JunkSkipped or MllpDecodeStatus.FrameAbandoned);
        }
    }

    [Fact]
    public void A_frame_delivered_one_byte_per_read_is_reassembled()
    {
        var bytes = TwoFrames();
        var events = Drive(bytes.Select(b => new[] { b }));
        Assert.Equal([MllpDecodeStatus.Frame, MllpDecodeStatus.Frame, MllpDecodeStatus.EndOfStream], events.Select(e => e.Status));
        Assert.Equal(Second, events[1].Payload);
    }

    [Fact]
    public void A_frame_split_at_every_pair_of_positions_is_reassembled()
    {
        var bytes = MllpFrameEncoder.Encode(First);
        for (var a = 0; a < bytes.Length; a += 3)
        {
            for (var b = a; b <= bytes.Length; b += 5)
            {
                var events = Drive([bytes[..a], bytes[a..b], bytes[b..]]);
                Assert.Equal(First, Assert.Single(events, e => e.Status == MllpDecodeStatus.Frame).Payload);
            }
        }
    }

    [Fact]
    public void Junk_before_a_start_block_is_skipped_and_reported()
    {
        var events = Drive([[.. "GET / HTTP/1.1\r\n"u8, .. MllpFrameEncoder.Encode(First)]]);
        Assert.Equal(MllpDecodeStatus.JunkSkipped, events[0].Status);
        Assert.Equal(16, events[0].Count);
        Assert.Equal(First, events[1].Payload);
    }

    [Fact]
    public void Line_breaks_between_frames_are_skipped_silently()
    {
        var events = Drive([[.. MllpFrameEncoder.Encode(First), (byte)'\n', (byte)'\r', .. MllpFrameEncoder.Encode(Second)]]);
        Assert.Equal([MllpDecodeStatus.Frame, MllpDecodeStatus.Frame, MllpDecodeStatus.EndOfStream], events.Select(e => e.Status));
    }

    [Fact]
    public void A_frame_with_no_end_block_is_incomplete_at_end_of_stream()
    {
        var frame = MllpFrameEncoder.Encode(First);
        var events = Drive([frame[..^2]]);
        Assert.Equal(MllpDecodeStatus.IncompleteFrameAtEnd, events[0].Status);
        Assert.Equal(First.Length, events[0].Count);
    }

    [Fact]
    public void A_frame_with_no_end_block_waits_while_the_connection_is_open()
    {
        var events = Drive([MllpFrameEncoder.Encode(First)[..^2]], complete: false);
        Assert.Empty(events);
    }

    [Fact]
    public void A_new_start_block_before_the_end_block_abandons_the_unfinished_frame()
    {
        var events = Drive([[.. MllpFrameEncoder.Encode(First)[..20], .. MllpFrameEncoder.Encode(Second)]]);
        Assert.Equal(MllpDecodeStatus.FrameAbandoned, events[0].Status);
        Assert.Equal(20, events[0].Count);
        Assert.Equal(Second, events[1].Payload);
    }

    [Fact]
    public void An_end_block_without_its_CR_still_ends_the_frame()
    {
        var events = Drive([[0x0B, .. First, 0x1C, .. MllpFrameEncoder.Encode(Second)]]);
        Assert.Equal(First, events[0].Payload);
        Assert.Equal(Second, events[1].Payload);
    }

    [Fact]
    public void A_frame_over_the_maximum_is_rejected_and_the_next_frame_still_decodes()
    {
        var options = new MllpDecoderOptions { MaxFrameBytes = 40 };
        var bytes = TwoFrames();
        var small = MllpFrameEncoder.Encode("MSH|^~\\&|ok\r");
        for (var split = 1; split < bytes.Length; split += 7)
        {
            var stream = new[] { bytes[..split], bytes[split..], small };
            var events = Drive(stream, options);
            Assert.Equal(2, events.Count(e => e.Status == MllpDecodeStatus.FrameTooLarge));
            Assert.Equal("MSH|^~\\&|ok\r"u8.ToArray(), Assert.Single(events, e => e.Status == MllpDecodeStatus.Frame).Payload);
        }
    }

    [Fact]
    public void An_oversized_frame_is_never_buffered_beyond_the_maximum_plus_one_read()
    {
        var decoder = new MllpFrameDecoder(new MllpDecoderOptions { MaxFrameBytes = 1024 });
        var chunk = new byte[4096];
        chunk.AsSpan().Fill((byte)'X');
        var buffer = new ReadOnlySequence<byte>([0x0B, .. chunk]);
        var result = decoder.Decode(ref buffer, isCompleted: false);
        Assert.Equal(MllpDecodeStatus.FrameTooLarge, result.Status);
        Assert.True(buffer.IsEmpty);
        Assert.True(decoder.IsDiscarding);
        for (var i = 0; i < 10; i++)
        {
            buffer = new ReadOnlySequence<byte>(chunk);
            Assert.Equal(MllpDecodeStatus.NeedMoreData, decoder.Decode(ref buffer, isCompleted: false).Status);
            Assert.True(buffer.IsEmpty);
        }

        buffer = new ReadOnlySequence<byte>([.. chunk[..10], 0x1C, 0x0D, .. MllpFrameEncoder.Encode(First)]);
        var next = decoder.Decode(ref buffer, isCompleted: false);
        Assert.Equal(MllpDecodeStatus.Frame, next.Status);
        Assert.Equal(First, next.Payload.ToArray());
    }

    [Fact]
    public async Task A_50_MB_message_over_a_pipe_is_reported_too_large_and_the_connection_keeps_working()
    {
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 1024 * 1024, resumeWriterThreshold: 512 * 1024));
        var reader = new MllpFrameReader(pipe.Reader, new MllpDecoderOptions { MaxFrameBytes = 8 * 1024 * 1024 });
        var writer = Task.Run(async () =>
        {
            var block = new byte[64 * 1024];
            block.AsSpan().Fill((byte)'A');
            await pipe.Writer.WriteAsync(new byte[] { 0x0B });
            for (var written = 0; written < 50 * 1024 * 1024; written += block.Length)
            {
                await pipe.Writer.WriteAsync(block);
            }

            await pipe.Writer.WriteAsync(new byte[] { 0x1C, 0x0D });
            await pipe.Writer.WriteAsync(MllpFrameEncoder.Encode(First));
            await pipe.Writer.CompleteAsync();
        });

        var events = new List<MllpFrameEvent>();
        while (true)
        {
            var item = await reader.ReadAsync();
            events.Add(item);
            if (item.Status is MllpDecodeStatus.EndOfStream or MllpDecodeStatus.IncompleteFrameAtEnd)
            {
                break;
            }
        }

        await writer;
        Assert.Equal([MllpDecodeStatus.FrameTooLarge, MllpDecodeStatus.Frame, MllpDecodeStatus.EndOfStream], events.Select(e => e.Status));
        Assert.Equal(First, events[1].Payload);
    }

    [Fact]
    public async Task The_pipe_reader_returns_frames_written_in_fragments()
    {
        var pipe = new Pipe();
        var reader = new MllpFrameReader(pipe.Reader);
        var bytes = TwoFrames();
        var writer = Task.Run(async () =>
        {
            for (var i = 0; i < bytes.Length; i += 7)
            {
                await pipe.Writer.WriteAsync(bytes.AsMemory(i, Math.Min(7, bytes.Length - i)));
            }

            await pipe.Writer.CompleteAsync();
        });

        var first = await reader.ReadAsync();
        var second = await reader.ReadAsync();
        var end = await reader.ReadAsync();
        await writer;
        Assert.Equal(First, first.Payload);
        Assert.Equal(Second, second.Payload);
        Assert.Equal(MllpDecodeStatus.EndOfStream, end.Status);
    }

    [Fact]
    public void A_decoded_frame_reads_straight_into_the_reader()
    {
        var bytes = MllpFrameEncoder.Encode(Fixtures.Bytes("adt_a01_epic_v251.hl7"));
        var decoder = new MllpFrameDecoder();
        var buffer = new ReadOnlySequence<byte>(bytes);
        var frame = decoder.Decode(ref buffer, isCompleted: true);
        var result = Hl7Reader.Read(frame.Payload, Fixtures.Tokenize);
        Assert.True(result.IsAccepted);
    }
}
