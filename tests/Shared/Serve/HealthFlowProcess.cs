using System.Diagnostics;
using System.Text.Json;
using HealthFlow.Finance.Mapping;

namespace HealthFlow.Testing;

/// <summary>
/// The <c>healthflow</c> command as a child process, as an operator or a script runs it: <c>healthflow.dll</c> beside the
/// calling assembly (a project that references the CLI). Shared by the CLI tests and the soak driver (bench/soak).
/// </summary>
internal static class HealthFlowProcess
{
    private const string ListeningPrefix = "HealthFlow listening on ";

    /// <summary>Runs <c>healthflow</c> with <paramref name="args"/> to its end; exit code and both outputs.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(IEnumerable<string> args, IReadOnlyDictionary<string, string>? settings = null)
    {
        using var process = Process.Start(StartInfo(args, settings))!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await output + await error);
    }

    /// <summary>
    /// Starts <c>healthflow serve --data <paramref name="folder"/></c> on a free loopback port with
    /// <paramref name="settings"/> as environment variables (<c>Section:Key</c> or <c>Section__Key</c>). The task gives
    /// the address once the runtime prints its listening line (after start-up recovery), and fails if it exits first.
    /// </summary>
    public static (Process Process, Task<Uri> Listening) StartServe(string folder, IReadOnlyDictionary<string, string> settings)
    {
        var start = StartInfo(["serve", "--data", folder, "--urls", "http://127.0.0.1:0"], settings);
        var listening = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        // Both pipes are drained for the whole life of the process: a full pipe would block its logging.
        process.OutputDataReceived += (_, line) =>
        {
            if (line.Data is { } text && text.StartsWith(ListeningPrefix, StringComparison.Ordinal))
                listening.TrySetResult(new Uri(text[ListeningPrefix.Length..]));
        };
        process.ErrorDataReceived += (_, _) => { };
        process.Exited += (_, _) => listening.TrySetException(new InvalidOperationException($"healthflow serve exited with {process.ExitCode} before listening."));
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return (process, listening.Task);
    }

    /// <summary><c>dotnet healthflow.dll</c> with <paramref name="args"/>, settings as environment variables, both pipes redirected.</summary>
    private static ProcessStartInfo StartInfo(IEnumerable<string> args, IReadOnlyDictionary<string, string>? settings)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "healthflow.dll"));
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        foreach (var (name, value) in settings ?? new Dictionary<string, string>())
            start.Environment[name.Replace(":", "__", StringComparison.Ordinal)] = value;
        return start;
    }
}

/// <summary>Cash in journals of the file-ERP shape (<c>erp/journals.jsonl</c>), by the embedded master data the runtime posts with.</summary>
internal static class ErpCash
{
    private static readonly MasterDataSet MasterData = HealthFlow.Finance.Mapping.MasterData.LoadEmbedded().Value
        ?? throw new InvalidOperationException("The embedded master data does not validate.");

    /// <summary>Σ debit − credit on the cash accounts (every legal entity's undeposited funds and bank clearing) of one journal.</summary>
    public static decimal Of(JsonElement journal) => journal.GetProperty("lines").EnumerateArray()
        .Where(line => MasterData.IsCashAccount(line.GetProperty("account").GetString()!))
        .Sum(line => line.GetProperty("debit").GetDecimal() - line.GetProperty("credit").GetDecimal());
}
