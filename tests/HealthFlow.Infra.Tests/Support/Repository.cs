namespace HealthFlow.Infra.Tests.Support;

/// <summary>The repository checkout the tests run in, found by walking up from the test assembly.</summary>
public static class Repository
{
    private static readonly Lazy<string> LazyRoot = new(FindRoot);

    /// <summary>Absolute path of the repository root (the folder holding HealthFlow.sln and topology.json).</summary>
    public static string Root => LazyRoot.Value;

    public static string PathOf(string relative) =>
        Path.GetFullPath(Path.Combine(Root, relative.Replace('/', Path.DirectorySeparatorChar)));

    public static string Read(string relative) => File.ReadAllText(PathOf(relative));

    /// <summary>Repository-relative paths (with '/') of every .bicep file under infra/ and bicep/.</summary>
    public static IReadOnlyList<string> BicepFiles() =>
    [
        .. new[] { "infra", "bicep" }
            .Select(PathOf)
            .Where(Directory.Exists)
            .SelectMany(folder => Directory.EnumerateFiles(folder, "*.bicep", SearchOption.AllDirectories))
            .Select(Relative)
            .Order(StringComparer.Ordinal),
    ];

    public static string Relative(string absolute) =>
        Path.GetRelativePath(Root, absolute).Replace(Path.DirectorySeparatorChar, '/');

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "HealthFlow.sln")) &&
                File.Exists(Path.Combine(directory.FullName, "topology.json")))
                return directory.FullName;
        }
        throw new InvalidOperationException($"No HealthFlow.sln with topology.json above {AppContext.BaseDirectory}: the infrastructure tests need the repository checkout.");
    }
}
