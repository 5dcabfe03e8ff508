using HealthFlow.Tests.Shared;
using System.ComponentModel;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace HealthFlow.Ledger.Tests.Storage;

/// <summary>
/// Runs Azurite's blob service (npm package <c>azurite</c>, pinned in <c>tests/tools/package-lock.json</c>) on a
/// free loopback port with a temporary data folder for the tests of one collection, and kills its process tree
/// afterwards. When <c>tests/tools/node_modules</c> lacks Azurite, it runs <c>npm ci</c> there first, so
/// <c>dotnet test</c> works on a fresh machine that has Node.js; without Node.js it fails with a message saying so.
/// If the test process dies without disposing the fixture, <c>tests/tools/exit-with-parent.js</c> ends Azurite.
/// </summary>
public sealed class AzuriteFixture : IAsyncLifetime
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private readonly StringBuilder _output = new();
    private Process? _process;
    private string? _location;

    /// <summary>The blob endpoint, path-style with the development account: <c>http://127.0.0.1:port/devstoreaccount1</c>.</summary>
    public Uri BlobEndpoint { get; private set; } = null!;

    /// <summary>A Shared Key connection string for Azurite's development account on this instance's port.</summary>
    public string ConnectionString { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        try
        {
            await StartAsync();
        }
        catch
        {
            // xunit does not dispose a fixture whose initialization failed: clean up here.
            await DisposeAsync();
            throw;
        }
    }

    private async Task StartAsync()
    {
        var tools = await NodeTools.EnsureInstalledAsync("azurite/package.json");
        var entry = await AzuriteEntryAsync(tools);
        var exitWithParent = Path.Combine(tools, "exit-with-parent.js");
        _location = Path.Combine(Path.GetTempPath(), "healthflow-tests", "azurite-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_location);

        // Another process can take the port between probing and Azurite's bind; try a few ports before giving up.
        for (var attempt = 1; ; attempt++)
        {
            var port = FreeLoopbackPort();
            if (await TryStartAsync((entry, exitWithParent), port))
            {
                BlobEndpoint = new Uri($"http://127.0.0.1:{port}/devstoreaccount1");
                ConnectionString =
                    "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;" +
                    "AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;" +
                    $"BlobEndpoint={BlobEndpoint}";
                return;
            }
            if (attempt == 3)
                throw new InvalidOperationException($"Azurite did not start on a loopback port after {attempt} attempts. Its output:\n{Output()}");
        }
    }

    public Task DisposeAsync()
    {
        Stop();
        if (_location is not null)
        {
            try
            {
                Directory.Delete(_location, recursive: true);
            }
            catch (IOException)
            {
                // A just-killed Azurite may hold a file for a moment; the OS temp cleaner gets the rest.
            }
        }
        return Task.CompletedTask;
    }

    private async Task<bool> TryStartAsync((string Entry, string ExitWithParent) scripts, int port)
    {
        var start = new ProcessStartInfo("node")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = _location,
        };
        foreach (var argument in new[]
        {
            // Kill() below handles a normal end; this preload ends Azurite when the test process dies without one.
            "--require", scripts.ExitWithParent,
            scripts.Entry,
            "--blobHost", "127.0.0.1",
            "--blobPort", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--location", _location!,
            "--silent",
            // Tests must not phone home. No --skipApiVersionCheck and no --loose: the pinned Azurite must accept
            // AzureBlobStore.ServiceVersion and every header the store sends, or the tests should say so.
            "--disableTelemetry",
        })
        {
            start.ArgumentList.Add(argument);
        }
        _process = NodeTools.Start(start);
        _process.OutputDataReceived += (_, e) => Collect(e.Data);
        _process.ErrorDataReceived += (_, e) => Collect(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < StartTimeout)
        {
            if (_process.HasExited)
            {
                Stop();
                return false;
            }
            try
            {
                // Any HTTP answer (an unauthenticated list is refused with 403) means the service is listening.
                using var response = await client.GetAsync(new Uri($"http://127.0.0.1:{port}/devstoreaccount1?comp=list"));
                return true;
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }
            await Task.Delay(100);
        }
        Stop();
        throw new TimeoutException($"Azurite did not answer on port {port} within {StartTimeout.TotalSeconds} s. Its output:\n{Output()}");
    }

    private void Stop()
    {
        if (_process is null)
            return;
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
            // It exited between the check and the kill.
        }
        _process.Dispose();
        _process = null;
    }

    private void Collect(string? line)
    {
        if (line is null)
            return;
        lock (_output)
        {
            // Keep the tail only: it is for error messages.
            if (_output.Length > 16_000)
                _output.Remove(0, 8_000);
            _output.AppendLine(line);
        }
    }

    private string Output()
    {
        lock (_output)
            return _output.ToString();
    }

    /// <summary>The path of Azurite's blob entry script.</summary>
    private static async Task<string> AzuriteEntryAsync(string tools)
    {
        var package = Path.Combine(tools, "node_modules", "azurite", "package.json");
        // Run the entry script with node directly, not through the .bin shim: the process we kill is then Azurite itself.
        using var document = JsonDocument.Parse(await File.ReadAllTextAsync(package));
        var relative = document.RootElement.GetProperty("bin").GetProperty("azurite-blob").GetString()
            ?? throw new InvalidOperationException("azurite/package.json has no azurite-blob entry.");
        return Path.GetFullPath(Path.Combine(tools, "node_modules", "azurite", relative));
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>The tests that share one Azurite process.</summary>
[CollectionDefinition(Name)]
public sealed class AzuriteCollection : ICollectionFixture<AzuriteFixture>
{
    public const string Name = "Azurite";
}
