using System.ComponentModel;
using System.Diagnostics;

namespace HealthFlow.Infra.Tests.Support;

/// <summary>
/// Runs <c>tests/tools/bicep-syntax.mjs</c> (tree-sitter Bicep grammar on web-tree-sitter, pinned in
/// <c>tests/tools/package-lock.json</c>) with Node.js. When <c>tests/tools/node_modules</c> lacks the two packages it
/// runs <c>npm ci --ignore-scripts</c> there first, under the same machine-wide lock as the Azurite fixture of
/// HealthFlow.Ledger.Tests (both install the same folder; two <c>npm ci</c> at once would corrupt it). Without
/// Node.js it fails with a message saying what to install.
/// </summary>
public static class BicepSyntaxCheck
{
    private static readonly TimeSpan InstallTimeout = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(2);
    private static readonly SemaphoreSlim InstallGate = new(1, 1);

    public sealed record Result(int ExitCode, string Output, string Error)
    {
        public override string ToString() => $"exit code {ExitCode}\n{Output}\n{Error}".TrimEnd();
    }

    private static string Tools => Repository.PathOf("tests/tools");

    /// <summary>Checks the given files or folders, or every .bicep file under infra/ and bicep/ when none is given.</summary>
    public static async Task<Result> RunAsync(params string[] paths)
    {
        await EnsureInstalledAsync();
        var start = new ProcessStartInfo("node") { WorkingDirectory = Repository.Root };
        start.ArgumentList.Add(Path.Combine(Tools, "bicep-syntax.mjs"));
        foreach (var path in paths)
            start.ArgumentList.Add(path);
        return await RunAsync(start, RunTimeout);
    }

    private static bool Installed() =>
        File.Exists(Path.Combine(Tools, "node_modules", "web-tree-sitter", "package.json")) &&
        File.Exists(Path.Combine(Tools, "node_modules", "tree-sitter-bicep", "tree-sitter-bicep.wasm"));

    private static async Task EnsureInstalledAsync()
    {
        if (Installed())
            return;
        await InstallGate.WaitAsync();
        try
        {
            using var machineLock = await AcquireInstallLockAsync();
            if (Installed())
                return;
            // --ignore-scripts: the grammar ships its WebAssembly build; its native-addon install script is not needed.
            var start = new ProcessStartInfo(OperatingSystem.IsWindows() ? "npm.cmd" : "npm");
            foreach (var argument in new[] { "ci", "--prefix", Tools, "--ignore-scripts", "--no-audit", "--no-fund" })
                start.ArgumentList.Add(argument);
            var result = await RunAsync(start, InstallTimeout);
            if (result.ExitCode != 0)
                throw new InvalidOperationException($"'npm ci --prefix {Tools} --ignore-scripts' failed:\n{result}");
        }
        finally
        {
            InstallGate.Release();
        }
    }

    private static async Task<Result> RunAsync(ProcessStartInfo start, TimeSpan timeout)
    {
        start.UseShellExecute = false;
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException($"'{start.FileName}' did not start.");
        }
        catch (Win32Exception ex)
        {
            throw new InvalidOperationException(
                $"The Bicep syntax check runs on Node.js, with npm on PATH ('{start.FileName}' could not be started). " +
                "Install Node.js 20 or later (https://nodejs.org) and run the tests again; they install the tree-sitter " +
                "Bicep grammar into tests/tools themselves. CI also runs the real Bicep compiler (.github/workflows/ci.yml).",
                ex);
        }
        using (process)
        {
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
                throw new TimeoutException($"'{start.FileName} {string.Join(' ', start.ArgumentList)}' did not finish within {timeout.TotalSeconds} s.");
            }
            return new Result(process.ExitCode, await output, await error);
        }
    }

    /// <summary>The lock file the Azurite fixture (HealthFlow.Ledger.Tests) takes before it installs tests/tools.</summary>
    private static async Task<FileStream> AcquireInstallLockAsync()
    {
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
}
