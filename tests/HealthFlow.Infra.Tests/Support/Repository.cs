using HealthFlow.Tests.Shared;

namespace HealthFlow.Infra.Tests.Support;

/// <summary>The repository checkout the tests run in, found by walking up from the test assembly.</summary>
public static class Repository
{
    public static string Root => SourceTree.Root;

    public static string PathOf(string relative) => SourceTree.PathOf(relative);

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
}
