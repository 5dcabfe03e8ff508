using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using HealthFlow.Tests.Shared;

namespace HealthFlow.X12.Tests;

/// <summary>Fixture files and a fixed-key tokenizer shared by the tests.</summary>
internal static class X12TestFiles
{
    private static readonly byte[] TestKey = Encoding.ASCII.GetBytes("healthflow-x12-tests-fixed-key!!");

    /// <summary>A keyed HMAC-SHA256 tokenizer like the Pipeline's, with a fixed test key.</summary>
    public static string Tokenize(string value) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(TestKey, Encoding.UTF8.GetBytes(value)));

    public static X12ParseOptions Options => new() { TokenizePhi = Tokenize };

    public static string FixturePath(string name) => Path.Combine(AppContext.BaseDirectory, "fixtures", "x12", name);

    public static byte[] Fixture(string name) => File.ReadAllBytes(FixturePath(name));

    public static X12ParseResult ParseFixture(string name) => X12Parser.Parse(Fixture(name), Options);

    public static X12ParseResult Parse(string text) => X12Parser.Parse(text, Options);

    public static X12TransactionSet SingleSet(X12ParseResult result) => Assert.Single(result.TransactionSets).Set;

    public static List<string> Codes(X12ParseResult result) => result.AllErrors.Select(e => e.QualifiedCode).ToList();

    public static string Json<T>(T value) => JsonSerializer.Serialize(value);

    /// <summary>Builds a complete interchange around transaction set bodies, with correct counts.</summary>
    public static string Interchange(string functionalId, string version, params (string Id, string Control, string[] Body)[] sets)
    {
        var segments = new List<string>
        {
            "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *260110*1200*^*00501*000000001*0*T*:",
            $"GS*{functionalId}*SENDER*RECEIVER*20260110*1200*1*X*{version}",
        };
        foreach (var (id, control, body) in sets)
        {
            segments.Add($"ST*{id}*{control}");
            segments.AddRange(body);
            segments.Add($"SE*{body.Length + 2}*{control}");
        }

        segments.Add($"GE*{sets.Length}*1");
        segments.Add("IEA*1*000000001");
        return string.Join("~\n", segments) + "~\n";
    }

    public static readonly string[] MinimalRemittanceBody =
    [
        "BPR*I*80.00*C*CHK************20260110",
        "TRN*1*CHK1*1512345678",
        "N1*PR*ACME HEALTH PLAN",
        "N1*PE*GENERAL HOSPITAL*XX*1234567893",
        "LX*1",
        "CLP*PCN1*1*100.00*80.00**12*PY1*11*1",
        "CAS*CO*45*20.00",
        "NM1*QC*1*DOE*JANE****MI*MBR1",
    ];
}

/// <summary>
/// A fact that runs only when the third-party corpus (<c>shared/corpus/x12</c>) sits beside the repository;
/// otherwise xunit reports it skipped, never passed.
/// </summary>
public sealed class CorpusFactAttribute : FactAttribute
{
    public CorpusFactAttribute()
    {
        if (CorpusFolder.Find() is null)
        {
            Skip = "X12 corpus folder (shared/corpus/x12) not found beside the repository";
        }
    }
}

internal static class CorpusFolder
{
    /// <summary>shared/corpus/x12, or null (<see cref="SourceTree.CorpusOf"/>).</summary>
    public static string? Find() => SourceTree.CorpusOf("x12");
}
