using System.Net.Sockets;
using System.Text;

namespace HealthFlow.Pipeline.Tests.Security;

/// <summary>
/// HTTP/1.1 by hand over a socket, for what HttpClient will not send: bare CR/LF in header values, headers that never
/// finish, bodies that trickle in.
/// </summary>
internal static class RawHttp
{
    /// <summary>Sends <paramref name="head"/> (request line and headers, CRLF-separated, without the blank line when
    /// <paramref name="finishHeaders"/> is false), then the body chunks with <paramref name="pause"/> between them, and
    /// returns the response's status code, or null when the server closed the connection without one.</summary>
    public static async Task<int?> SendAsync(Uri server, string head, bool finishHeaders = true, IEnumerable<byte[]>? body = null, TimeSpan pause = default)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(server.Host, server.Port);
        var stream = client.GetStream();
        try
        {
            await stream.WriteAsync(Encoding.Latin1.GetBytes(head + (finishHeaders ? "\r\n\r\n" : "\r\n")));
            foreach (var chunk in body ?? [])
            {
                await Task.Delay(pause);
                await stream.WriteAsync(chunk);
            }
        }
        catch (IOException)
        {
            // The server may answer and close before the body is all sent; its answer is still there to read.
        }

        return await ReadStatusAsync(stream);
    }

    private static async Task<int?> ReadStatusAsync(NetworkStream stream)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var buffer = new byte[4096];
        var received = new StringBuilder();
        try
        {
            while (!received.ToString().Contains("\r\n", StringComparison.Ordinal))
            {
                var read = await stream.ReadAsync(buffer, timeout.Token);
                if (read == 0)
                    break;
                received.Append(Encoding.Latin1.GetString(buffer, 0, read));
            }
        }
        catch (IOException)
        {
            return null; // reset by the server
        }

        var line = received.ToString();
        return line.StartsWith("HTTP/1.1 ", StringComparison.Ordinal) ? int.Parse(line.AsSpan(9, 3), System.Globalization.CultureInfo.InvariantCulture) : null;
    }
}
