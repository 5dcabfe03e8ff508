using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using FsCheck;
using FsCheck.Fluent;
using HealthFlow.Fhir;
using HealthFlow.Fhir.Generation;

namespace HealthFlow.Tests.Shared.Fuzz;

internal enum JsonEdit
{
    Remove,
    Duplicate,
    ReplaceWithRaw,
}

internal sealed record JsonMutation(JsonEdit Edit, int Position, int Pick);

/// <summary>
/// The FHIR reader as the pipeline runs it: read, OperationOutcome, event facts, inspect report. Property: no throw,
/// no hang, the outcome is a FHIR OperationOutcome, and a rejected document has an error issue saying why.
/// </summary>
internal sealed class FhirFuzzTarget : IFuzzTarget
{
    private const string Placeholder = "__fuzz_raw__";

    private static readonly byte[][] FormatTokens =
        [.. new[] { "{", "}", "[", "]", ",", ":", "\"", "\\", "\\u", "\\ud800", "\\u0000", "null", "true", "\"resourceType\":", "\"Bundle\"", "\"entry\":[", "\"fullUrl\":\"urn:uuid:1\"", "/*", "//" }.Select(Encoding.UTF8.GetBytes)];

    /// <summary>Raw JSON values put in place of a member or element: deep nesting, huge numbers, bad strings, wrong types.</summary>
    private static readonly byte[][] RawValues =
    [
        .. new[]
        {
            Nested("[", "]", 65), Nested("[", "]", 1_000), Nested("[", "]", 100_000), Nested("{\"a\":", "}", 65), Nested("{\"a\":", "}", 5_000),
            new string('[', 50_000), "1e999999", "-1e999999", new string('9', 5_000), "79228162514264337593543950336", "-0.0", "1E-400", "0x10", "01",
            "\"\\ud800\"", "\"\\udc00x\"", "\"\\u0000\"", "\"" + new string('x', 70_000) + "\"", "\"2026-02-30\"", "\"9999-99-99T99:99:99Z\"", "\"urn:uuid:\"",
            "\"#\"", "\"Patient/\"", "\"//\"", "{}", "[]", "[null]", "null", "true", "\"\"", "{\"resourceType\":\"Bundle\",\"type\":\"transaction\",\"entry\":[{}]}",
        }.Select(Encoding.UTF8.GetBytes),
        [(byte)'"', 0xC3, 0x28, (byte)'"'], [(byte)'"', 0xED, 0xA0, 0x80, (byte)'"'], [(byte)'"', 0xFF, 0xFE, (byte)'"'], [(byte)'"', 0xF0, 0x9F, (byte)'"'],
    ];

    private readonly List<byte[]> _corpus;

    public FhirFuzzTarget()
    {
        _corpus = [.. Directory.EnumerateFiles(SourceTree.PathOf("tests/fixtures/fhir"), "*.json").Order(StringComparer.Ordinal).Select(File.ReadAllBytes)];
        _corpus.Add(new FhirGenerator(1).Bundle(2));
        _corpus.Add(new FhirGenerator(2).Bundle(1, "batch"));

        var mutation =
            from edit in Gen.Elements(Enum.GetValues<JsonEdit>())
            from position in Gen.Choose(0, int.MaxValue)
            from pick in Gen.Choose(0, int.MaxValue)
            select new JsonMutation(edit, position, pick);
        Inputs =
            from index in Gen.Choose(0, _corpus.Count - 1)
            from treeEdits in Gen.Choose(0, 3).SelectMany(count => mutation.ArrayOf(count))
            from byteEdits in ByteMutations.Some(2)
            select ByteMutations.Apply(Apply(_corpus[index], treeEdits), byteEdits, FormatTokens);
    }

    public string Name => "fhir";

    public string Extension => ".json";

    public Gen<byte[]> Inputs { get; }

    public string? Violation(byte[] input)
    {
        var result = FhirReader.Read(input, Tokenize);
        using var outcome = JsonDocument.Parse(OperationOutcomeWriter.ToUtf8Bytes(result.Outcome));
        if (outcome.RootElement.GetProperty("resourceType").GetString() != "OperationOutcome" || outcome.RootElement.GetProperty("issue").GetArrayLength() == 0)
            return "the outcome is not an OperationOutcome with issues";
        if (!result.Accepted && !result.Outcome.HasErrors)
            return "rejected, yet no error issue says why";
        _ = FhirEventFacts.From(result);
        _ = FhirInspectReport.ToUtf8Bytes(result, "fuzz");
        return null;
    }

    private static string Tokenize(string value) => "pt_" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(value)))[..24];

    private static string Nested(string open, string close, int depth) =>
        string.Concat(Enumerable.Repeat(open, depth)) + "1" + string.Concat(Enumerable.Repeat(close, depth));

    /// <summary>Tree edits on the parsed document; raw values are spliced in after serialisation (they need not be valid JSON).</summary>
    private static byte[] Apply(byte[] input, JsonMutation[] mutations)
    {
        if (mutations.Length == 0)
            return input;
        var root = JsonNode.Parse(input)!;
        var raw = new List<byte[]>();
        foreach (var mutation in mutations)
        {
            var nodes = new List<JsonNode>();
            Collect(root, nodes);
            if (nodes.Count == 0)
                break;
            var target = nodes[mutation.Position % nodes.Count];
            var text = Encoding.UTF8.GetBytes(target.ToJsonString());
            byte[] replacement = mutation.Edit switch
            {
                JsonEdit.Duplicate when target.Parent is JsonObject => [.. text, (byte)',', .. Encoding.UTF8.GetBytes(JsonSerializer.Serialize(target.GetPropertyName())), (byte)':', .. text],
                JsonEdit.Duplicate => [.. text, (byte)',', .. text],
                JsonEdit.ReplaceWithRaw => RawValues[mutation.Pick % RawValues.Length],
                _ => [],
            };
            if (mutation.Edit == JsonEdit.Remove)
            {
                if (target.Parent is JsonObject parent)
                    parent.Remove(target.GetPropertyName());
                else
                    target.Parent!.AsArray().Remove(target);
                continue;
            }

            ReplaceNode(target, JsonValue.Create(Placeholder + raw.Count));
            raw.Add(replacement);
        }

        var output = Encoding.UTF8.GetBytes(root.ToJsonString());
        for (var i = raw.Count - 1; i >= 0; i--)
        {
            // Later placeholders may sit inside an earlier one's duplicated text; splice from the last to the first.
            var marker = Encoding.UTF8.GetBytes($"\"{Placeholder}{i}\"");
            var at = output.AsSpan().IndexOf(marker);
            if (at >= 0)
                output = [.. output[..at], .. raw[i], .. output[(at + marker.Length)..]];
        }

        return output;
    }

    private static void ReplaceNode(JsonNode target, JsonNode replacement)
    {
        if (target.Parent is JsonObject parent)
            parent[target.GetPropertyName()] = replacement;
        else
            target.Parent!.AsArray()[target.GetElementIndex()] = replacement;
    }

    private static void Collect(JsonNode node, List<JsonNode> into)
    {
        if (node.Parent is not null)
            into.Add(node);
        IEnumerable<JsonNode?> children = node switch
        {
            JsonObject obj => obj.Select(p => p.Value),
            JsonArray array => array,
            _ => [],
        };
        foreach (var child in children)
        {
            if (child is not null)
                Collect(child, into);
        }
    }
}
