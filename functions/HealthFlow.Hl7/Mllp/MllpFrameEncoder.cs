using System.Buffers;
using System.Text;

namespace HealthFlow.Hl7.Mllp;

/// <summary>Wraps a message (usually an ACK) in an MLLP frame: <c>0x0B</c> message <c>0x1C 0x0D</c>.</summary>
/// <remarks>Text is written as UTF-8; HealthFlow's ACKs are ASCII except where they echo the sender's own identifiers.</remarks>
public static class MllpFrameEncoder
{
    /// <summary>Framing bytes added around a payload.</summary>
    public const int Overhead = 3;

    /// <summary>The framed bytes of <paramref name="message"/>.</summary>
    public static byte[] Encode(string message)
    {
        var length = Encoding.UTF8.GetByteCount(message);
        var frame = new byte[length + Overhead];
        frame[0] = MllpFrameDecoder.StartBlock;
        Encoding.UTF8.GetBytes(message, frame.AsSpan(1));
        frame[^2] = MllpFrameDecoder.EndBlock;
        frame[^1] = MllpFrameDecoder.CarriageReturn;
        return frame;
    }

    /// <summary>The framed bytes of <paramref name="payload"/>.</summary>
    public static byte[] Encode(ReadOnlySpan<byte> payload)
    {
        var frame = new byte[payload.Length + Overhead];
        frame[0] = MllpFrameDecoder.StartBlock;
        payload.CopyTo(frame.AsSpan(1));
        frame[^2] = MllpFrameDecoder.EndBlock;
        frame[^1] = MllpFrameDecoder.CarriageReturn;
        return frame;
    }

    /// <summary>Writes the frame of <paramref name="message"/> to a writer (a <c>PipeWriter</c>) without an intermediate array.</summary>
    public static void Write(IBufferWriter<byte> writer, string message)
    {
        var length = Encoding.UTF8.GetByteCount(message);
        var span = writer.GetSpan(length + Overhead);
        span[0] = MllpFrameDecoder.StartBlock;
        Encoding.UTF8.GetBytes(message, span[1..]);
        span[length + 1] = MllpFrameDecoder.EndBlock;
        span[length + 2] = MllpFrameDecoder.CarriageReturn;
        writer.Advance(length + Overhead);
    }

    /// <summary>Writes the frame of <paramref name="payload"/> to a writer.</summary>
    public static void Write(IBufferWriter<byte> writer, ReadOnlySpan<byte> payload)
    {
        var span = writer.GetSpan(payload.Length + Overhead);
        span[0] = MllpFrameDecoder.StartBlock;
        payload.CopyTo(span[1..]);
        span[payload.Length + 1] = MllpFrameDecoder.EndBlock;
        span[payload.Length + 2] = MllpFrameDecoder.CarriageReturn;
        writer.Advance(payload.Length + Overhead);
    }
}
