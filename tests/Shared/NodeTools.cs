using System.ComponentModel;
using System.Diagnostics;

namespace HealthFlow.Tests.Shared;

/// <summary>
/// The npm packages the tests drive (Azurite, the tree-sitter Bicep grammar, node-hl7-client), pinned in
/// <c>tests/tools/package-lock.json</c>: installs them with <c>npm ci</c> when one is missing, under one machine-wide
/// lock (two <c>npm ci</c> in one folder at once corrupt it), and starts Node.js processes. Linked into every test
/// project that needs it, so the test command installs what it needs on a fresh machine with Node.js.
/// </summary>
internal static class NodeTools
{
    private static readonly TimeSpan InstallTimeout = TimeSpan.FromMinutes(10);
    private static readonly SemaphoreSlim InstallGate = new(1, 1);

    /// <summary>The <c>tests/tools</c> folder of this checkout.</summary>
    public static string ToolsFolder() => SourceTree.PathOf("tests/tools");

    /// <summary>The <c>tests/tools</c> folder, with every file in <paramref name="required"/> (relative to its node_modules) present.</summary>
    public static async Task<string> EnsureInstalledAsync(params string[] required)
    {
        var tools = ToolsFolder();
        bool Installed() => required.All(file => File.Exists(Path.Combine(tools, "node_modules", file)));
        if (Installed())
            return tools;
        await InstallGate.WaitAsync();
        try
        {
            using var machineLock = await AcquireInstallLockAsync();
            if (!Installed())
            {
                // --ignore-scripts: every package here is plain JavaScript or ships its WebAssembly build.
                var result = await RunAsync(OperatingSystem.IsWindows() ? "npm.cmd" : "npm", tools,
                    ["ci", "--prefix", tools, "--ignore-scripts", "--no-audit", "--no-fund"], InstallTimeout);
                if (result.ExitCode != 0)
                    throw new InvalidOperationException($"'npm ci --prefix {tools}' failed with exit code {result.ExitCode}:\n{result.Output}\n{result.Error}");
            }
        }
        finally
        {
            InstallGate.Release();
        }
        return tools;
    }

    /// <summary>Runs <c>node script args…</c> in <paramref name="workingDirectory"/>; returns its exit code and output.</summary>
    public static Task<(int ExitCode, string Output, string Error)> RunNodeAsync(string workingDirectory, string script, IEnumerable<string> arguments, TimeSpan timeout) =>
        RunAsync("node", workingDirectory, [script, .. arguments], timeout);

    /// <summary>Starts a process, explaining what to install when Node.js or npm is missing.</summary>
    public static Process Start(ProcessStartInfo start)
    {
        try
        {
            return Process.Start(start) ?? throw new InvalidOperationException($"'{start.FileName}' did not start.");
        }
        catch (Win32Exception ex)
        {
            throw new InvalidOperationException(
                $"These tests need Node.js 20 or later with npm on PATH ('{start.FileName}' could not be started). " +
                "Install Node.js (https://nodejs.org) and run the tests again; they install their npm packages into tests/tools themselves.",
                ex);
        }
    }

    private static async Task<(int ExitCode, string Output, string Error)> RunAsync(string file, string workingDirectory, IEnumerable<string> arguments, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(file)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory,
        };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        using var process = Start(start);
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var cancellation = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancellation.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"'{file} {string.Join(' ', start.ArgumentList)}' did not finish within {timeout.TotalSeconds} s:\n{await error}");
        }
        return (process.ExitCode, await output, await error);
    }

    private static async Task<FileStream> AcquireInstallLockAsync()
    {
        var path = Path.Combine(Path.GetTempPath(), "healthflow-tests", "npm-install.lock");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var waited = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (waited.Elapsed < InstallTimeout)
            {
                await Task.Delay(500);
            }
        }
    }
}
