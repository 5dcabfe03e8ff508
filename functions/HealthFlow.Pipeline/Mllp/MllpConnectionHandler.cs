using System.Buffers;
using System.Net;
using System.Threading.Channels;
using HealthFlow.Hl7;
using HealthFlow.Hl7.Mllp;
using HealthFlow.Pipeline.Ingestion;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;

namespace HealthFlow.Pipeline.Mllp;

/// <summary>
/// One MLLP connection (Kestrel hands us the socket as pipes): frames in, one ACK per frame out, in order.
/// An ACK is written only after <see cref="IngestionService"/> returned, i.e. after the raw message is durable in
/// the ledger (AA, or AE/AR with ERR segments naming the field). Frames that cannot be read get a NAK (AR); a
/// frame over the size limit is discarded as it streams in and answered with AR; a peer silent for the idle
/// timeout is disconnected; a peer that ends inside a frame is closed. Every outcome is logged without content.
/// </summary>
/// <remarks>
/// Pipelining: a sender may send several frames before reading ACKs. The read loop hands each frame to
/// <see cref="IngestionService.IngestAsync"/> as soon as it is framed (up to <see cref="MaxInFlight"/> per connection),
/// and a write loop sends the ACKs strictly in frame order as each ingest completes, so the fsyncs of one
/// connection's frames share group commits instead of running one after another. Order is kept: the ingest call
/// reads the message and queues its ledger batch before it first awaits, so frames reach the ledger in the order sent.
/// </remarks>
public sealed partial class MllpConnectionHandler(
    IngestionService ingestion, MllpSources sources, MllpOptions options, TimeProvider clock, ILogger<MllpConnectionHandler> logger) : ConnectionHandler
{
    /// <summary>Frames of one connection being ingested at once; the read loop waits when this many ACKs are outstanding.</summary>
    public const int MaxInFlight = 64;

    public override async Task OnConnectedAsync(ConnectionContext connection)
    {
        var remote = (connection.RemoteEndPoint as IPEndPoint)?.Address ?? IPAddress.None;
        var answers = Channel.CreateBounded<Task<string>>(new BoundedChannelOptions(MaxInFlight) { SingleReader = true, SingleWriter = true });
        var pending = 0;
        using var input = new IdleTimeoutPipeReader(connection.Transport.Input, options.IdleTimeout, () => Volatile.Read(ref pending) > 0, connection.ConnectionClosed);
        var reader = new MllpFrameReader(input, new MllpDecoderOptions { MaxFrameBytes = options.MaxFrameBytes });
        LogConnected(connection.ConnectionId, remote);

        var writer = WriteAnswersAsync(connection, answers.Reader, () => Interlocked.Decrement(ref pending));
        var frames = 0;
        var reason = "peer closed";
        try
        {
            while (true)
            {
                MllpFrameEvent frame;
                try
                {
                    frame = await reader.ReadAsync();
                }
                catch (TimeoutException)
                {
                    reason = "idle timeout";
                    break;
                }

                Task<string>? answer = null;
                switch (frame.Status)
                {
                    case MllpDecodeStatus.Frame:
                        frames++;
                        answer = AnswerAsync(frame.Payload!, remote, connection.ConnectionId);
                        break;
                    case MllpDecodeStatus.FrameTooLarge:
                        LogRefused(connection.ConnectionId, "frame over the size limit", frame.ByteCount);
                        answer = Task.FromResult(Hl7AckBuilder.Build(null, Hl7AckCode.ApplicationReject,
                            [Hl7Error.Internal($"message larger than {options.MaxFrameBytes} bytes")], clock.GetUtcNow()));
                        break;
                    case MllpDecodeStatus.JunkSkipped or MllpDecodeStatus.FrameAbandoned:
                        LogRefused(connection.ConnectionId, frame.Status == MllpDecodeStatus.JunkSkipped ? "bytes outside a frame skipped" : "unfinished frame abandoned", frame.ByteCount);
                        break;
                    case MllpDecodeStatus.IncompleteFrameAtEnd:
                        reason = "peer closed inside a frame";
                        break;
                }
                if (frame.Status is MllpDecodeStatus.IncompleteFrameAtEnd or MllpDecodeStatus.EndOfStream)
                    break;
                if (answer is not null)
                {
                    Interlocked.Increment(ref pending);
                    await answers.Writer.WriteAsync(answer, connection.ConnectionClosed);
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ConnectionResetException or IOException)
        {
            reason = ex.GetType().Name;
        }
        finally
        {
            // ACKs for frames already taken in are still written (their messages are stored or being stored).
            answers.Writer.TryComplete();
            await writer;
        }
        LogClosed(connection.ConnectionId, reason, frames);
    }

    /// <summary>Writes the ACKs in frame order, flushing when no further ACK is ready yet (several ACKs share a send).</summary>
    private static async Task WriteAnswersAsync(ConnectionContext connection, ChannelReader<Task<string>> answers, Action written)
    {
        var output = connection.Transport.Output;
        var broken = false;
        while (await answers.WaitToReadAsync())
        {
            while (answers.TryRead(out var answer))
            {
                var ack = await answer;
                written();
                if (broken)
                    continue;
                try
                {
                    output.Write(MllpFrameEncoder.Encode(ack));
                    if (!answers.TryPeek(out var next) || !next.IsCompleted)
                        await output.FlushAsync(connection.ConnectionClosed);
                }
                catch (Exception ex) when (ex is OperationCanceledException or ConnectionResetException or IOException or InvalidOperationException)
                {
                    // The peer is gone; keep draining so every ingest is awaited, but write nothing more.
                    broken = true;
                }
            }
        }
    }

    /// <summary>
    /// The ACK for one frame. Runs synchronously up to the ledger append (header check, allow-list, reading, queueing
    /// the batch), which is what keeps one connection's messages in order in the ledger when frames are pipelined.
    /// </summary>
    private async Task<string> AnswerAsync(byte[] payload, IPAddress remote, string connectionId)
    {
        var now = clock.GetUtcNow();
        if (!Hl7Parser.TryParseHeaderOnly(FirstSegmentText(payload), out var header))
        {
            LogRefused(connectionId, "no readable MSH segment", payload.Length);
            return Hl7AckBuilder.Build(null, Hl7AckCode.ApplicationReject, [Hl7Error.Internal("no readable MSH segment")], now);
        }
        var facility = header.GetValue("MSH-4.1");
        if (sources.Authorize(facility, remote) is not { } vendor)
        {
            LogRefused(connectionId, "sending facility and address not on the allow-list", payload.Length);
            return Hl7AckBuilder.Build(Hl7Reader.Read(payload, _ => "").Header, Hl7AckCode.ApplicationReject,
                [Hl7Error.Internal("sending facility not authorised from this address")], now);
        }
        try
        {
            var result = await ingestion.IngestAsync(vendor, PayloadFormat.Hl7v2, payload);
            return result.Receipt.Acknowledgement?.Body
                ?? Hl7AckBuilder.BuildInternalError(null, "no acknowledgement recorded", now);
        }
        catch (Exception ex)
        {
            // Not stored (or not known to be): AR tells the sender to send again; the connection keeps serving.
            LogIngestFailed(ex, connectionId, payload.Length);
            return Hl7AckBuilder.BuildInternalError(Hl7Reader.Read(payload, _ => "").Header, "the message could not be stored; send it again", clock.GetUtcNow());
        }
    }

    /// <summary>The text of the first segment only (MSH), without decoding the whole message for the header check.</summary>
    private static string FirstSegmentText(byte[] payload)
    {
        var span = payload.AsSpan();
        var start = span.IndexOfAnyExcept(" \t\r\n"u8);
        if (start < 0)
            return string.Empty;
        var end = span[start..].IndexOfAny((byte)'\r', (byte)'\n');
        return Hl7Parser.DecodeText(end < 0 ? span[start..] : span.Slice(start, end));
    }

    [LoggerMessage(3001, LogLevel.Information, "MLLP connection {ConnectionId} from {Remote}")]
    private partial void LogConnected(string connectionId, IPAddress remote);

    [LoggerMessage(3002, LogLevel.Information, "MLLP connection {ConnectionId} closed ({Reason}) after {Frames} frames")]
    private partial void LogClosed(string connectionId, string reason, int frames);

    [LoggerMessage(3003, LogLevel.Warning, "MLLP connection {ConnectionId}: {Reason} ({Bytes} bytes)")]
    private partial void LogRefused(string connectionId, string reason, long bytes);

    [LoggerMessage(3004, LogLevel.Error, "MLLP connection {ConnectionId}: a message of {Bytes} bytes could not be ingested; answered AR")]
    private partial void LogIngestFailed(Exception exception, string connectionId, long bytes);
}
