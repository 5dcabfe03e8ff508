using System.Diagnostics;
using System.Net.Http.Headers;

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
    private readonly TaskCompletionSource<Uri> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ServeProcess(Process process)
    {
        _process = process;
        // Both pipes are drained for the whole life of the process: a full pipe would block its logging.
        _process.OutputDataReceived += (_, line) =>
        {
            const string Prefix = "HealthFlow listening on ";
            if (line.Data is { } text && text.StartsWith(Prefix, StringComparison.Ordinal))
                _listening.TrySetResult(new Uri(text[Prefix.Length..]));
        };
        _process.ErrorDataReceived += (_, _) => { };
        _process.Exited += (_, _) => _listening.TrySetException(new InvalidOperationException($"healthflow serve exited with {_process.ExitCode} before listening."));
        _process.EnableRaisingEvents = true;
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public Uri Address { get; private set; } = null!;

    /// <summary>Starts <c>healthflow serve --data <paramref name="folder"/></c> and waits until it listens.</summary>
    public static async Task<ServeProcess> StartAsync(string folder, IReadOnlyDictionary<string, string>? settings = null)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "healthflow.dll"));
        foreach (var arg in new[] { "serve", "--data", folder, "--urls", "http://127.0.0.1:0" })
            start.ArgumentList.Add(arg);
        start.Environment["Vendors__clinic__Key"] = VendorKey;
        start.Environment["Admin__Key"] = AdminKey;
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        foreach (var (name, value) in settings ?? new Dictionary<string, string>())
            start.Environment[name.Replace(":", "__", StringComparison.Ordinal)] = value;
        var serve = new ServeProcess(Process.Start(start)!);
        serve.Address = await serve._listening.Task.WaitAsync(TimeSpan.FromSeconds(60));
        return serve;
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
