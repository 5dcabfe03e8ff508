using System.Diagnostics;
using System.Net.Http.Headers;
using HealthFlow.Testing;

namespace HealthFlow.Cli.Tests;

/// <summary>
/// <c>healthflow serve</c> as a child process on a free loopback port and a given data folder, the way an operator runs
/// it: settings from environment variables, one vendor and an admin key. <see cref="KillAsync"/> is SIGKILL on Linux.
/// </summary>
public sealed class ServeProcess : IAsyncDisposable
{
    public const string VendorKey = "cli-test-vendor-key";
    public const string AdminKey = "cli-test-admin-key";

    private readonly Process _process;

    private ServeProcess(Process process, Uri address) => (_process, Address) = (process, address);

    public Uri Address { get; }

    /// <summary>Starts <c>healthflow serve --data <paramref name="folder"/></c> and waits until it listens.</summary>
    public static async Task<ServeProcess> StartAsync(string folder, IReadOnlyDictionary<string, string>? settings = null)
    {
        var all = new Dictionary<string, string> { ["Vendors:clinic:Key"] = VendorKey, ["Admin:Key"] = AdminKey, ["Logging:LogLevel:Default"] = "Warning" };
        foreach (var (name, value) in settings ?? new Dictionary<string, string>())
            all[name] = value;
        var (process, listening) = HealthFlowProcess.StartServe(folder, all);
        try
        {
            return new ServeProcess(process, await listening.WaitAsync(TimeSpan.FromSeconds(60)));
        }
        catch
        {
            process.Kill(entireProcessTree: true);
            process.Dispose();
            throw;
        }
    }

    /// <summary>An HTTP client on the runtime with <paramref name="key"/> in x-functions-key.</summary>
    public HttpClient Client(string key = VendorKey)
    {
        var http = new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(60) };
        http.DefaultRequestHeaders.Add("x-functions-key", key);
        return http;
    }

    public async Task<HttpResponseMessage> PostAsync(string path, string mediaType, byte[] body)
    {
        using var http = Client();
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
        return await http.PostAsync(new Uri(path, UriKind.Relative), content);
    }

    /// <summary>SIGKILL: no shutdown, no flush, no dispose.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
            _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
    }
}
