using System.Diagnostics;
using System.Runtime.InteropServices;

namespace HealthFlow.Infra.Tests.Support;

/// <summary>
/// Compiles functions/HealthFlow.Functions with the SDK's own C# compiler against HealthFlow.Pipeline, the shared
/// frameworks and stand-ins for the Azure packages this machine cannot restore (tests/HealthFlow.Infra.Tests/FunctionsStandIns).
/// Every use of HealthFlow in the project then binds for real, so a renamed method, a changed signature or an interface
/// member the Azure adapters no longer implement is an error here, before the GitHub build, the only one with those
/// packages, finds it. Without the stand-ins the compiler would stay silent about any call that passes an Azure value.
/// </summary>
public static class FunctionsCompileCheck
{
    private const string StandIns = "tests/HealthFlow.Infra.Tests/FunctionsStandIns";

    /// <summary>The implicit usings of a Microsoft.NET.Sdk project, which the project's build has and csc alone does not.</summary>
    private const string ImplicitUsings = """
        global using System;
        global using System.Collections.Generic;
        global using System.IO;
        global using System.Linq;
        global using System.Net.Http;
        global using System.Threading;
        global using System.Threading.Tasks;
        """;

    /// <summary>The compiler's errors; none when the project compiles.</summary>
    /// <param name="sources">The project's source files, by path.</param>
    public static IReadOnlyList<string> Errors(IEnumerable<string> sources)
    {
        using var folder = new TemporaryFolder();
        var usings = folder.Write("ImplicitUsings.cs", ImplicitUsings);
        string[] options =
        [
            "-nologo", "-noconfig", "-nostdlib", "-target:exe", "-langversion:latest", "-nullable:enable",
            $"-out:{Quote(Path.Combine(folder.Path, "HealthFlow.Functions.dll"))}",
            .. References().Select(reference => $"-reference:{Quote(reference)}"),
            Quote(usings),
            .. Directory.EnumerateFiles(Repository.PathOf(StandIns), "*.cs").Select(Quote),
            .. sources.Select(Quote),
        ];
        var arguments = folder.Write("csc.rsp", string.Join('\n', options));

        var (exitCode, output) = Run(DotnetRoot, "dotnet", $"exec {Quote(CompilerPath())} @{Quote(arguments)}");
        string[] errors = [.. output.Split('\n').Select(line => line.Trim()).Where(line => line.Contains(": error ", StringComparison.Ordinal))];
        // A compiler that did not run, or failed without saying where, must not pass for a clean compile.
        return exitCode == 0 || errors.Length > 0 ? errors : throw new InvalidOperationException($"csc exited with {exitCode}:\n{output}");
    }

    // The test assembly's folder holds HealthFlow.Pipeline and its packages (the project reference copies them).
    private static IEnumerable<string> References()
    {
        var own = Path.GetFileName(typeof(FunctionsCompileCheck).Assembly.Location);
        var packaged = Directory.EnumerateFiles(AppContext.BaseDirectory, "*.dll")
            .Where(path => Path.GetFileName(path) != own && IsLibraryOfThePipeline(Path.GetFileName(path)));
        return packaged
            .Concat(Directory.EnumerateFiles(ReferencePack("Microsoft.NETCore.App.Ref"), "*.dll"))
            .Concat(Directory.EnumerateFiles(ReferencePack("Microsoft.AspNetCore.App.Ref"), "*.dll"));
    }

    // The test platform's and xunit's assemblies are the test's, not the pipeline's dependencies.
    private static bool IsLibraryOfThePipeline(string file) =>
        !file.StartsWith("xunit", StringComparison.Ordinal) && !file.StartsWith("testhost", StringComparison.Ordinal)
        && !file.StartsWith("Microsoft.TestPlatform", StringComparison.Ordinal) && !file.StartsWith("Microsoft.VisualStudio", StringComparison.Ordinal);

    // The running runtime is <root>/shared/Microsoft.NETCore.App/<version>/.
    private static string DotnetRoot => Path.GetFullPath(Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", ".."));

    // The newest reference assemblies of this runtime's framework version (net10.0).
    private static string ReferencePack(string pack) =>
        Newest(Path.Combine(DotnetRoot, "packs", pack), Path.Combine("ref", "net" + Environment.Version.ToString(2)));

    private static string CompilerPath() => Path.Combine(Newest(Path.Combine(DotnetRoot, "sdk"), Path.Combine("Roslyn", "bincore")), "csc.dll");

    // <parent>/<newest version>/<inside>, of the versions that have it.
    private static string Newest(string parent, string inside) =>
        (Directory.Exists(parent) ? Directory.EnumerateDirectories(parent) : [])
            .Select(folder => (Version: Version.TryParse(Path.GetFileName(folder), out var version) ? version : null, Path: Path.Combine(folder, inside)))
            .Where(candidate => candidate.Version is not null && Directory.Exists(candidate.Path))
            .MaxBy(candidate => candidate.Version)
            .Path ?? throw new DirectoryNotFoundException($"No {parent}/<version>/{inside}: the .NET SDK is needed.");

    private static (int ExitCode, string Output) Run(string workingDirectory, string program, string arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(program, arguments)
        {
            WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        })!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output.Result + error);
    }

    private static string Quote(string path) => '"' + path + '"';
}
