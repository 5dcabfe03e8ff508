using System.Text.RegularExpressions;
using HealthFlow.Tests.Shared;

namespace HealthFlow.Pipeline.Tests.Orchestration;

/// <summary>
/// The rules durabletask-dotnet's analyzers enforce, as a source scan: orchestrator code must not read the clock, mint
/// GUIDs or random numbers, sleep, start threads, leave the orchestrator thread or do I/O, because a replay would then
/// take other decisions than the recorded run. The scan covers <c>functions/HealthFlow.Pipeline/Workflows/**</c> and the
/// sample orchestrators here: every file whose name contains "Orchestrator". Activities live in other files.
/// </summary>
public sealed partial class OrchestratorDeterminismTests
{
    private static readonly (Regex Pattern, string Use)[] Forbidden =
    [
        (DateTimeNow(), "context.CurrentUtcDateTime"),
        (new Regex(@"\bTimeProvider\b"), "context.CurrentUtcDateTime"),
        (new Regex(@"\bStopwatch\b"), "context.CurrentUtcDateTime"),
        (new Regex(@"\bGuid\s*\.\s*NewGuid\b"), "context.NewGuid()"),
        (new Regex(@"\b(Random|RandomNumberGenerator)\b"), "an activity"),
        (new Regex(@"\bTask\s*\.\s*(Delay|Run|Yield)\b"), "context.CreateTimer / activities"),
        (new Regex(@"\bThread\s*\.\s*Sleep\b|\bnew\s+Thread\b|\bThreadPool\b"), "context.CreateTimer"),
        (new Regex(@"\bConfigureAwait\s*\(\s*false\s*\)"), "plain await (the orchestrator thread)"),
        (new Regex(@"\b(HttpClient|WebRequest|Socket|TcpClient)\b"), "an activity"),
        (new Regex(@"\b(File|Directory|FileStream|StreamReader|StreamWriter)\s*\."), "an activity"),
        (new Regex(@"\bEnvironment\s*\.\s*(GetEnvironmentVariable|TickCount|MachineName)\b"), "the orchestrator input"),
        (new Regex(@"\b(ILedger|ITopicBus|IBlobStore|BlobLedger|EmbeddedTopicBus)\b"), "an activity"),
    ];

    [Fact]
    public void orchestrators_use_no_clock_guid_random_delay_thread_or_io()
    {
        var files = OrchestratorSources().ToList();
        Assert.Contains(files, f => f.EndsWith("SampleOrchestrators.cs", StringComparison.Ordinal));
        var violations = files.SelectMany(f => Scan(File.ReadAllText(f)).Select(v => $"{Path.GetRelativePath(SourceTree.Root, f)}:{v}")).ToList();
        Assert.True(violations.Count == 0, "Non-deterministic calls in orchestrators:\n" + string.Join("\n", violations));
    }

    [Theory]
    [InlineData("var due = DateTime.UtcNow.AddDays(3);")]
    [InlineData("var now = DateTimeOffset.Now;")]
    [InlineData("var id = Guid.NewGuid();")]
    [InlineData("await Task.Delay(1000);")]
    [InlineData("Thread.Sleep(10);")]
    [InlineData("using var http = new HttpClient();")]
    [InlineData("var text = File.ReadAllText(path);")]
    [InlineData("var x = await context.CallActivityAsync<int>(\"A\").ConfigureAwait(false);")]
    public void the_scan_catches_what_it_forbids(string line) =>
        Assert.NotEmpty(Scan($"class BadOrchestrator\n{{\n    void M()\n    {{\n        {line}\n    }}\n}}\n"));

    [Fact]
    public void the_scan_ignores_comments_and_strings() =>
        Assert.Empty(Scan("// DateTime.UtcNow is forbidden\n/// <remarks>Guid.NewGuid</remarks>\nvar s = \"Task.Delay\";\n/* Thread.Sleep */\nvar t = context.CurrentUtcDateTime;\n"));

    /// <summary>Violations as "line: pattern (use …)", on the source with comments and string literals blanked.</summary>
    internal static IEnumerable<string> Scan(string source)
    {
        var code = CommentsAndStrings().Replace(source, m => m.Value.StartsWith("//", StringComparison.Ordinal) || m.Value.StartsWith("/*", StringComparison.Ordinal)
            ? new string('\n', m.Value.Count(c => c == '\n'))
            : "\"\"");
        var lines = code.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            foreach (var (pattern, use) in Forbidden)
            {
                if (pattern.Match(lines[i]) is { Success: true } match)
                    yield return $"{i + 1}: {match.Value.Trim()} (use {use})";
            }
        }
    }

    private static IEnumerable<string> OrchestratorSources()
    {
        var root = SourceTree.Root;
        string[] folders =
        [
            Path.Combine(root, "functions", "HealthFlow.Pipeline", "Workflows"),
            Path.Combine(root, "tests", "HealthFlow.Pipeline.Tests", "Orchestration", "Samples"),
        ];
        return folders.Where(Directory.Exists)
            .SelectMany(d => Directory.EnumerateFiles(d, "*Orchestrator*.cs", SearchOption.AllDirectories))
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal));
    }

    [GeneratedRegex(@"\bDateTime(Offset)?\s*\.\s*(Now|UtcNow|Today)\b")]
    private static partial Regex DateTimeNow();

    /// <summary>Line and block comments, verbatim/raw/regular string and char literals.</summary>
    [GeneratedRegex(@"//[^\n]*|/\*.*?\*/|@""(?:[^""]|"""")*""|""(?:\\.|[^""\\\n])*""|'(?:\\.|[^'\\\n])'", RegexOptions.Singleline)]
    private static partial Regex CommentsAndStrings();
}
