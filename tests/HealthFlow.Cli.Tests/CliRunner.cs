using HealthFlow.Testing;

namespace HealthFlow.Cli.Tests;

/// <summary>Runs the built <c>healthflow</c> command as a child process, as a user or a script would.</summary>
public static class CliRunner
{
    public static Task<(int ExitCode, string Output)> RunAsync(params string[] args) => HealthFlowProcess.RunAsync(args).WaitAsync(TimeSpan.FromMinutes(2));

    public static string Fixture(string relative)
    {
        var folder = new DirectoryInfo(AppContext.BaseDirectory);
        while (folder is not null && !Directory.Exists(Path.Combine(folder.FullName, "tests", "fixtures")))
            folder = folder.Parent;
        return Path.Combine(folder?.FullName ?? throw new DirectoryNotFoundException("tests/fixtures not found"), "tests", "fixtures", relative);
    }
}
