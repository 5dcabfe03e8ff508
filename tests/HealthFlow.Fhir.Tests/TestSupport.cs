using System.Collections;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using HealthFlow.Tests.Shared;

namespace HealthFlow.Fhir.Tests;

/// <summary>Fixtures, the corpus location and a keyed tokenizer like the Pipeline's.</summary>
internal static class TestSupport
{
    private static readonly byte[] TokenKey = Encoding.UTF8.GetBytes("test-key-not-a-secret");

    /// <summary>HMAC-SHA256 keyed token, as the Pipeline passes.</summary>
    public static string Tokenize(string identity) =>
        "pt_" + Convert.ToHexStringLower(HMACSHA256.HashData(TokenKey, Encoding.UTF8.GetBytes(identity)))[..24];

    public static byte[] Fixture(string name) =>
        File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "fixtures", "fhir", name));

    public static FhirReadResult ReadFixture(string name) => FhirReader.Read(Fixture(name), Tokenize);

    public static FhirReadResult Read(string json, FhirReaderOptions? options = null) =>
        FhirReader.Read(Encoding.UTF8.GetBytes(json), Tokenize, options);

    /// <summary>The third-party corpus folder (<c>shared/corpus/fhir</c>), found by walking up from the test assembly; null when absent.</summary>
    public static string? CorpusDirectory { get; } = SourceTree.CorpusOf("fhir");

    /// <summary>Every string reachable from <paramref name="root"/> through public properties (for PHI checks).</summary>
    public static IEnumerable<string> AllStrings(object? root)
    {
        var seen = new HashSet<object>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<object?>();
        stack.Push(root);
        while (stack.Count > 0)
        {
            var current = stack.Pop();
            switch (current)
            {
                case null:
                    continue;
                case string text:
                    yield return text;
                    continue;
                case decimal or int or long or bool or Enum or DateOnly or DateTimeOffset:
                    continue;
            }

            if (!current.GetType().IsValueType && !seen.Add(current))
            {
                continue;
            }

            if (current is IEnumerable sequence)
            {
                foreach (var item in sequence)
                {
                    stack.Push(item);
                }

                continue;
            }

            foreach (var property in current.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
            {
                if (property.GetIndexParameters().Length == 0 && property.Name != "EqualityContract")
                {
                    stack.Push(property.GetValue(current));
                }
            }
        }
    }
}

/// <summary>A fact that reports itself skipped, not passed, when the shared FHIR corpus is not beside the repository.</summary>
public sealed class CorpusFactAttribute : FactAttribute
{
    public CorpusFactAttribute()
    {
        if (TestSupport.CorpusDirectory is null)
        {
            Skip = "shared/corpus/fhir not found above the test assembly directory";
        }
    }
}

/// <summary>A theory that reports itself skipped, not passed, when the shared FHIR corpus is absent.</summary>
public sealed class CorpusTheoryAttribute : TheoryAttribute
{
    public CorpusTheoryAttribute()
    {
        if (TestSupport.CorpusDirectory is null)
        {
            Skip = "shared/corpus/fhir not found above the test assembly directory";
        }
    }
}
