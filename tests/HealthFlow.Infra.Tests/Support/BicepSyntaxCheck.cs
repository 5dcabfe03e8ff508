using HealthFlow.Tests.Shared;

namespace HealthFlow.Infra.Tests.Support;

/// <summary>
/// Runs <c>tests/tools/bicep-syntax.mjs</c> (tree-sitter Bicep grammar on web-tree-sitter, pinned in
/// <c>tests/tools/package-lock.json</c>) with Node.js, installing the packages first when they are missing
/// (<see cref="NodeTools"/>). Without Node.js it fails with a message saying what to install. CI also runs the real
/// Bicep compiler (.github/workflows/ci.yml).
/// </summary>
public static class BicepSyntaxCheck
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(2);

    public sealed record Result(int ExitCode, string Output, string Error)
    {
        public override string ToString() => $"exit code {ExitCode}\n{Output}\n{Error}".TrimEnd();
    }

    /// <summary>Checks the given files or folders, or every .bicep file under infra/ and bicep/ when none is given.</summary>
    public static async Task<Result> RunAsync(params string[] paths)
    {
        var tools = await NodeTools.EnsureInstalledAsync("web-tree-sitter/package.json", "tree-sitter-bicep/tree-sitter-bicep.wasm");
        var (exitCode, output, error) = await NodeTools.RunNodeAsync(Repository.Root, Path.Combine(tools, "bicep-syntax.mjs"), paths, RunTimeout);
        return new Result(exitCode, output, error);
    }
}
