using System.Net;
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
/// frame over the size limit is discarded as it streams in and answered with AR; a silent peer is disconnected
/// after the idle timeout; a peer that ends inside a frame is closed. Every outcome is logged without content.
/// </summary>
public sealed partial class MllpConnectionHandler(
    IngestionService ingestion, MllpSources sources, MllpOptions options, TimeProvider clock, ILogger<MllpConnectionHandler> logger) : ConnectionHandler
{
    public override async Task OnConnectedAsync(ConnectionContext connection)
    {
        var remote = (connection.RemoteEndPoint as IPEndPoint)?.Address ?? IPAddress.None;
        var reader = new MllpFrameReader(connection.Transport.Input, new MllpDecoderOptions { MaxFrameBytes = options.MaxFrameBytes });
        var output = connection.Transport.Output;
        var frames = 0;
        LogConnected(connection.ConnectionId, remote);
        try
        {
            while (true)
            {
                using var idle = CancellationTokenSource.CreateLinkedTokenSource(connection.ConnectionClosed);
                idle.CancelAfter(options.IdleTimeout);
                MllpFrameEvent frame;
                try
                {
                    frame = await reader.ReadAsync(idle.Token);
                }
                catch (OperationCanceledException) when (!connection.ConnectionClosed.IsCancellationRequested)
                {
                    LogClosed(connection.ConnectionId, "idle timeout", frames);
                    return;
                }

                switch (frame.Status)
                {
                    case MllpDecodeStatus.Frame:
                        frames++;
                        await output.WriteAsync(MllpFrameEncoder.Encode(await AnswerAsync(frame.Payload!, remote, connection.ConnectionId)), connection.ConnectionClosed);
                        break;
                    case MllpDecodeStatus.FrameTooLarge:
                        LogRefused(connection.ConnectionId, "frame over the size limit", frame.ByteCount);
                        await output.WriteAsync(MllpFrameEncoder.Encode(Hl7AckBuilder.Build(null, Hl7AckCode.ApplicationReject,
                            [Hl7Error.Internal($"message larger than {options.MaxFrameBytes} bytes")], clock.GetUtcNow())), connection.ConnectionClosed);
                        break;
                    case MllpDecodeStatus.JunkSkipped or MllpDecodeStatus.FrameAbandoned:
                        LogRefused(connection.ConnectionId, frame.Status == MllpDecodeStatus.JunkSkipped ? "bytes outside a frame skipped" : "unfinished frame abandoned", frame.ByteCount);
                        break;
                    case MllpDecodeStatus.IncompleteFrameAtEnd:
                        LogClosed(connection.ConnectionId, "peer closed inside a frame", frames);
                        return;
                    case MllpDecodeStatus.EndOfStream:
                        LogClosed(connection.ConnectionId, "peer closed", frames);
                        return;
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ConnectionResetException or IOException)
        {
            LogClosed(connection.ConnectionId, ex.GetType().Name, frames);
        }
    }

    private async Task<string> AnswerAsync(byte[] payload, IPAddress remote, string connectionId)
    {
        var now = clock.GetUtcNow();
        if (!Hl7Parser.TryParseHeaderOnly(Hl7Parser.DecodeText(payload), out var header))
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
        var result = await ingestion.IngestAsync(vendor, PayloadFormat.Hl7v2, payload);
        return result.Receipt.Acknowledgement?.Body
            ?? Hl7AckBuilder.BuildInternalError(null, "no acknowledgement recorded", now);
    }

    [LoggerMessage(3001, LogLevel.Information, "MLLP connection {ConnectionId} from {Remote}")]
    private partial void LogConnected(string connectionId, IPAddress remote);

    [LoggerMessage(3002, LogLevel.Information, "MLLP connection {ConnectionId} closed ({Reason}) after {Frames} frames")]
    private partial void LogClosed(string connectionId, string reason, int frames);

    [LoggerMessage(3003, LogLevel.Warning, "MLLP connection {ConnectionId}: {Reason} ({Bytes} bytes)")]
    private partial void LogRefused(string connectionId, string reason, long bytes);
}
