using System.CommandLine;
using HealthFlow.Pipeline.Runtime;

namespace HealthFlow.Cli;

/// <summary>Options shared by several commands.</summary>
internal static class CliOptions
{
    public static Option<string> Data() => new("--data")
    {
        Description = "Data folder (ledger, keys, ERP files, reports).",
        DefaultValueFactory = _ => LocalRuntime.DefaultDataFolder,
    };
}
