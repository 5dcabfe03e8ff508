namespace HealthFlow.Tests.Shared;

/// <summary>
/// The repository checkout the tests run in, found by walking up from the test assembly. Never from
/// <c>[CallerFilePath]</c>: CI builds are deterministic (<c>ContinuousIntegrationBuild</c>), which maps source paths
/// to <c>/_/</c>, so a path taken from the compiler points nowhere on the test machine.
/// </summary>
internal static class SourceTree
{
    private static readonly Lazy<string> LazyRoot = new(FindRoot);

    /// <summary>Absolute path of the repository root (the folder holding HealthFlow.sln and topology.json).</summary>
    public static string Root => LazyRoot.Value;

    /// <summary>Absolute path of a repository-relative path written with '/'.</summary>
    public static string PathOf(string relative) =>
        Path.GetFullPath(Path.Combine(Root, relative.Replace('/', Path.DirectorySeparatorChar)));

    /// <summary>
    /// The third-party corpus folder <c>shared/corpus/{kind}</c> (x12, fhir) beside or above the repository, found by
    /// walking up from the test assembly; null when absent (the corpus tests then report themselves skipped).
    /// </summary>
    public static string? CorpusOf(string kind)
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, "shared", "corpus", kind);
            if (Directory.Exists(candidate))
                return candidate;
        }
        return null;
    }

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "HealthFlow.sln")) &&
                File.Exists(Path.Combine(directory.FullName, "topology.json")))
                return directory.FullName;
        }
        throw new InvalidOperationException($"No HealthFlow.sln with topology.json above {AppContext.BaseDirectory}: these tests need the repository checkout.");
    }
}
