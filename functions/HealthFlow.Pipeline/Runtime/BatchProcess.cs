using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;
using HealthFlow.Ledger;

namespace HealthFlow.Pipeline.Runtime;

/// <summary>
/// The runtime settings of a batch job (<c>healthflow reconcile</c>, <c>healthflow rebuild</c>), which runs once in a
/// fresh process: there dynamic PGO's instrumented code and extra recompilations cost more than the profile gives back
/// (a cold reconcile or rebuild takes 1–2 s more CPU with it, docs/PERFORMANCE.md, issue 7), while <c>healthflow serve</c>
/// parses for as long as it runs and keeps it (its X12 parse is 15–30 % slower without). The runtime reads these settings
/// only at start-up and the CLI has one runtime configuration, so a batch job starts itself once more with them.
/// </summary>
public static class BatchProcess
{
    /// <summary>The settings, as the environment variables the runtime reads at start-up.</summary>
    public static IReadOnlyDictionary<string, string> Settings { get; } = new Dictionary<string, string>
    {
        ["DOTNET_TieredPGO"] = "0",
    };

    /// <summary>
    /// How a batch job opens the ledger: its scans follow by seconds the walk at open that checked every record's hash, so
    /// they do not compute them again (<see cref="LedgerOptions.ScansCheckHashes"/>).
    /// </summary>
    public static LedgerOptions Ledger { get; } = new() { ScansCheckHashes = false };

    /// <summary>
    /// Whether this process started with every setting in its environment: as the child of <see cref="RunAgainAsync"/>,
    /// or because whoever started it chose a value of their own, which is then kept.
    /// </summary>
    public static bool HasSettings => Settings.Keys.All(name => Environment.GetEnvironmentVariable(name) is not null);

    /// <summary>
    /// Runs this program again with <paramref name="args"/>, on the same console, with the settings its environment
    /// lacks, and gives the child's exit code.
    /// </summary>
    public static async Task<int> RunAgainAsync(IEnumerable<string> args)
    {
        var start = StartInfo(args);
        // Ctrl+C reaches both processes (they share the terminal's process group): the child stops its job, this one waits for it.
        Console.CancelKeyPress += (_, press) => press.Cancel = true;
        using var child = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {start.FileName}.");
        // A SIGTERM to this process alone (`kill PID`) is passed on, so the job stops as it would have in one process.
        using var terminate = OperatingSystem.IsLinux() || OperatingSystem.IsMacOS()
            ? PosixSignalRegistration.Create(PosixSignal.SIGTERM, signal =>
            {
                signal.Cancel = true;
                _ = NativeKill(child.Id, SigTerm);
            })
            : null;
        await child.WaitForExitAsync();
        return child.ExitCode;
    }

    private const int SigTerm = 15;

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int NativeKill(int pid, int signal);

    /// <summary>This program with <paramref name="args"/>, this environment and the settings it lacks; the console inherited.</summary>
    internal static ProcessStartInfo StartInfo(IEnumerable<string> args)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath ?? "dotnet") { UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(start.FileName) == "dotnet") // started as `dotnet healthflow.dll …`
            start.ArgumentList.Add(Assembly.GetEntryAssembly()?.Location ?? throw new InvalidOperationException("No entry assembly to run again."));
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        foreach (var (name, value) in Settings)
            start.Environment.TryAdd(name, value);
        return start;
    }
}
