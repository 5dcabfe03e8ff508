using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Text;
using HealthFlow.Hl7.Mllp;

namespace HealthFlow.Pipeline.Tests.Mllp;

/// <summary>A raw MLLP peer over a real socket: send frames or arbitrary bytes, read ACK frames with the library's decoder.</summary>
internal sealed class MllpTestClient : IAsyncDisposable
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly MllpFrameReader _reader;

    private MllpTestClient(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        _reader = new MllpFrameReader(PipeReader.Create(_stream, new StreamPipeReaderOptions(leaveOpen: true)));
    }

    /// <summary>Connects to <paramref name="endpoint"/>, optionally from a given local address (e.g. 127.0.0.2 to be another client).</summary>
    public static async Task<MllpTestClient> ConnectAsync(IPEndPoint endpoint, IPAddress? from = null)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            if (from is not null)
                socket.Bind(new IPEndPoint(from, 0));
            await socket.ConnectAsync(endpoint);
            return new MllpTestClient(socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public static byte[] Frame(string message) => MllpFrameEncoder.Encode(message);

    public async Task SendAsync(byte[] bytes) => await _stream.WriteAsync(bytes);

    public Task SendFrameAsync(string message) => SendAsync(Frame(message));

    /// <summary>Sends <paramref name="bytes"/> one write per byte, with a pause after each.</summary>
    public async Task TrickleAsync(byte[] bytes, TimeSpan pause)
    {
        foreach (var b in bytes)
        {
            await _stream.WriteAsync(new[] { b });
            await _stream.FlushAsync();
            await Task.Delay(pause);
        }
    }

    /// <summary>The next ACK frame's text; fails when the connection ends or nothing arrives in time.</summary>
    public async Task<string> ReadAckAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? DefaultTimeout);
        var frame = await _reader.ReadAsync(cts.Token);
        Assert.True(frame.Status == MllpDecodeStatus.Frame, $"expected an ACK frame, got {frame.Status}");
        return Encoding.UTF8.GetString(frame.Payload!);
    }

    public async Task<string> ExchangeAsync(string message)
    {
        await SendFrameAsync(message);
        return await ReadAckAsync();
    }

    /// <summary>True when the listener closed the connection (end of stream or reset) within <paramref name="timeout"/>.</summary>
    public async Task<bool> WasClosedByPeerAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            var frame = await _reader.ReadAsync(cts.Token);
            return frame.Status is MllpDecodeStatus.EndOfStream or MllpDecodeStatus.IncompleteFrameAtEnd;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        catch (IOException)
        {
            return true;
        }
    }

    /// <summary>Stops sending (TCP FIN) but keeps reading.</summary>
    public void ShutdownSend() => _socket.Shutdown(SocketShutdown.Send);

    public async ValueTask DisposeAsync() => await _stream.DisposeAsync();
}

/// <summary>The parts of an ACK the tests look at.</summary>
internal sealed record Ack(string Code, string ControlId, string Text)
{
    public static Ack Parse(string text)
    {
        var msa = text.Split('\r', StringSplitOptions.RemoveEmptyEntries).Single(s => s.StartsWith("MSA|", StringComparison.Ordinal)).Split('|');
        return new Ack(msa[1], msa.Length > 2 ? msa[2] : string.Empty, text);
    }

    public IEnumerable<string> ErrSegments => Text.Split('\r', StringSplitOptions.RemoveEmptyEntries).Where(s => s.StartsWith("ERR|", StringComparison.Ordinal));
}
