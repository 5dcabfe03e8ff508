using System.Buffers;
using System.IO.Pipelines;

namespace HealthFlow.Hl7.Mllp;

/// <summary>
/// One item read from an MLLP connection: a frame (its bytes copied, so they outlive the pipe buffer) or a framing
/// event the listener logs and answers (NAK, close).
/// </summary>
public readonly record struct MllpFrameEvent(MllpDecodeStatus Status, byte[]? Payload, long ByteCount);

/// <summary>
/// Drives an <see cref="MllpFrameDecoder"/> over a <see cref="PipeReader"/> (the TCP connection's input) and hands out
/// one event at a time. <see cref="MllpDecodeStatus.NeedMoreData"/> never escapes: it means "await more bytes".
/// </summary>
/// <remarks>
/// The idle timeout is the caller's: pass a <see cref="CancellationToken"/> that fires when the connection has been
/// silent too long (the read then throws <see cref="OperationCanceledException"/>), or call
/// <see cref="PipeReader.CancelPendingRead"/>, which this reader treats like the end of the stream.
/// Not thread-safe: one reader per connection, one read at a time.
/// </remarks>
public sealed class MllpFrameReader
{
    private readonly PipeReader _input;
    private readonly MllpFrameDecoder _decoder;

    /// <summary>A reader over one connection's input.</summary>
    public MllpFrameReader(PipeReader input, MllpDecoderOptions? options = null)
    {
        _input = input;
        _decoder = new MllpFrameDecoder(options);
    }

    /// <summary>The next frame or framing event; <see cref="MllpDecodeStatus.EndOfStream"/> or <see cref="MllpDecodeStatus.IncompleteFrameAtEnd"/> when the peer is done.</summary>
    public async ValueTask<MllpFrameEvent> ReadAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            var read = await _input.ReadAsync(cancellationToken);
            var buffer = read.Buffer;
            var result = _decoder.Decode(ref buffer, read.IsCompleted || read.IsCanceled);
            if (result.Status == MllpDecodeStatus.NeedMoreData)
            {
                _input.AdvanceTo(buffer.Start, buffer.End);
                continue;
            }

            var payload = result.Status == MllpDecodeStatus.Frame ? result.Payload.ToArray() : null;
            _input.AdvanceTo(buffer.Start);
            return new MllpFrameEvent(result.Status, payload, result.ByteCount);
        }
    }
}
