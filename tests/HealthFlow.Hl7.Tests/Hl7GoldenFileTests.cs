using System.Buffers;
using System.Text;
using System.Text.Json;
using HealthFlow.Tests.Shared;

namespace HealthFlow.Hl7.Tests;

/// <summary>
/// Every fixture's inspect report (facts, errors, ACK) is pinned in <c>tests/fixtures/hl7/golden</c>. A change in what
/// the reader emits shows up as a diff to review. Regenerate with <c>HL7_UPDATE_GOLDEN=1 dotnet test tests/HealthFlow.Hl7.Tests</c>.
/// </summary>
public class Hl7GoldenFileTests
{
    public static TheoryData<string> FixtureNames()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.EnumerateFiles(Fixtures.Directory, "*.hl7", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetRelativePath(Fixtures.Directory, file).Replace('\\', '/'));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(FixtureNames))]
    public void The_inspect_report_matches_its_golden_file(string fixture)
    {
        var options = fixture.Contains("zft", StringComparison.Ordinal) ? new Hl7ReadOptions { RevenueCodeZField = "ZFT-2" } : null;
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            Hl7InspectReport.Write(writer, Fixtures.Bytes(fixture), Fixtures.Tokenize, Fixtures.Now, options);
        }

        var actual = Encoding.UTF8.GetString(buffer.WrittenSpan).ReplaceLineEndings("\n") + "\n";
        var goldenName = fixture.Replace('/', '_').Replace(".hl7", ".inspect.json", StringComparison.Ordinal);
        var sourceGolden = SourceTree.PathOf($"tests/fixtures/hl7/golden/{goldenName}");
        if (Environment.GetEnvironmentVariable("HL7_UPDATE_GOLDEN") == "1")
        {
            Directory.CreateDirectory(Path.GetDirectoryName(sourceGolden)!);
            File.WriteAllText(sourceGolden, actual);
        }

        Assert.True(File.Exists(sourceGolden), $"Missing golden file {sourceGolden}; run with HL7_UPDATE_GOLDEN=1 to create it.");
        Assert.Equal(File.ReadAllText(sourceGolden), actual);
    }
}
