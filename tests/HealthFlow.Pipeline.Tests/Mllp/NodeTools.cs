using System.ComponentModel;
using System.Diagnostics;

namespace HealthFlow.Pipeline.Tests.Mllp;

/// <summary>
/// Runs scripts from <c>tests/tools</c> with Node.js, installing the pinned npm packages (<c>npm ci</c>) first when a
/// package is missing. Adapted from the Ledger tests' Azurite fixture (same folder, same install lock).
/// </summary>
internal static class NodeTools
{
    private static readonly TimeSpan InstallTimeout = TimeSpan.FromMinutes(10);

    /// <summary>The <c>tests/tools</c> folder, with <paramref name="package"/> installed in its node_modules.</summary>
    public static async Task<string> EnsureInstalledAsync(string package)
    {
        var tools = FindToolsFolder();
        var manifest = Path.Combine(tools, "node_modules", package, "package.json");
        if (!File.Exists(manifest))
        {
            // Parallel test processes must not run npm ci at once.
            using var installLock = await AcquireInstallLockAsync();
            if (!File.Exists(manifest))
                await RunNpmCiAsync(tools);
        }
        return tools;
    }

    /// <summary>Runs <c>node script args…</c> in <paramref name="tools"/>; returns its exit code, standard output and standard error.</summary>
    public static async Task<(int ExitCode, string Output, string Error)> RunNodeAsync(string tools, string script, IEnumerable<string> arguments, TimeSpan timeout)
    {
        var start = new ProcessStartInfo("node")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = tools,
        };
        start.ArgumentList.Add(Path.Combine(tools, script));
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        using var node = StartOrExplain(start);
        var output = node.StandardOutput.ReadToEndAsync();
        var error = node.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await node.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            node.Kill(entireProcessTree: true);
            throw new TimeoutException($"'node {script}' did not finish within {timeout.TotalSeconds} s:\n{await error}");
        }
        return (node.ExitCode, await output, await error);
    }

    private static async Task RunNpmCiAsync(string tools)
    {
        var start = new ProcessStartInfo(OperatingSystem.IsWindows() ? "npm.cmd" : "npm")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in new[] { "ci", "--prefix", tools, "--no-audit", "--no-fund" })
            start.ArgumentList.Add(argument);
        using var npm = StartOrExplain(start);
        var output = npm.StandardOutput.ReadToEndAsync();
        var error = npm.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(InstallTimeout);
        try
        {
            await npm.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            npm.Kill(entireProcessTree: true);
            throw new TimeoutException($"'npm ci --prefix {tools}' did not finish within {InstallTimeout.TotalMinutes} minutes.");
        }
        if (npm.ExitCode != 0)
            throw new InvalidOperationException($"'npm ci --prefix {tools}' failed with exit code {npm.ExitCode}:\n{await output}\n{await error}");
    }

    private static Process StartOrExplain(ProcessStartInfo start)
    {
        try
        {
            return Process.Start(start) ?? throw new InvalidOperationException($"'{start.FileName}' did not start.");
        }
        catch (Win32Exception ex)
        {
            throw new InvalidOperationException(
                $"The MLLP interoperability test drives the listener with the npm package node-hl7-client, which needs Node.js with npm on PATH " +
                $"('{start.FileName}' could not be started). Install Node.js (https://nodejs.org) and run the tests again; " +
                "they install the package into tests/tools themselves.",
                ex);
        }
    }

    private static async Task<FileStream> AcquireInstallLockAsync()
    {
        // The same lock file as the Azurite fixture: both run npm ci in tests/tools.
        var path = Path.Combine(Path.GetTempPath(), "healthflow-tests", "azurite-install.lock");
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

    private static string FindToolsFolder()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var tools = Path.Combine(directory.FullName, "tests", "tools");
            if (File.Exists(Path.Combine(tools, "package-lock.json")))
                return tools;
        }
        throw new InvalidOperationException($"No tests/tools/package-lock.json above {AppContext.BaseDirectory}: the interoperability test needs the repository checkout.");
    }
}
