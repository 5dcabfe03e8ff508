using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using FsCheck;
using FsCheck.Fluent;

namespace HealthFlow.Fhir.Tests;

/// <summary>
/// Nothing throws: seeded byte and tree mutations of real resources, and FsCheck-generated input, always end in a
/// result whose outcome is a valid OperationOutcome. A failing case prints its seed so it can be replayed.
/// </summary>
public sealed class RobustnessTests
{
    private static readonly string[] Fixtures = Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "fixtures", "fhir"), "*.json");

    private static void AssertReadsCleanly(byte[] input, string replay)
    {
        FhirReadResult result;
        try
        {
            result = FhirReader.Read(input, TestSupport.Tokenize, new FhirReaderOptions { MaxIssues = 200 });
        }
        catch (Exception ex)
        {
            Assert.Fail($"{replay}: reader threw {ex.GetType().Name}: {ex.Message}\ninput: {Encoding.UTF8.GetString(input)}");
            return;
        }

        if (!result.Accepted)
        {
            Assert.True(result.Outcome.HasErrors || result.EntryCount == 0, $"{replay}: rejected without an error issue");
        }

        using var outcome = JsonDocument.Parse(OperationOutcomeWriter.ToUtf8Bytes(result.Outcome));
        Assert.Equal("OperationOutcome", outcome.RootElement.GetProperty("resourceType").GetString());
        _ = FhirEventFacts.From(result);
        _ = FhirInspectReport.ToUtf8Bytes(result, "fuzz");
    }

    [Theory]
    [InlineData(20261121)]
    [InlineData(7)]
    [InlineData(424242)]
    public void Byte_mutations_of_every_fixture_never_throw(int seed)
    {
        var random = new Random(seed);
        byte[] tokens = "{}[]\":,-.0123456789eE\\ntrufalsn \u00ff"u8.ToArray();
        foreach (var fixture in Fixtures)
        {
            var original = File.ReadAllBytes(fixture);
            for (var round = 0; round < 150; round++)
            {
                var bytes = original.ToList();
                var edits = random.Next(1, 6);
                for (var e = 0; e < edits && bytes.Count > 0; e++)
                {
                    var at = random.Next(bytes.Count);
                    switch (random.Next(5))
                    {
                        case 0:
                            bytes[at] = tokens[random.Next(tokens.Length)];
                            break;
                        case 1:
                            bytes.RemoveRange(at, Math.Min(random.Next(1, 40), bytes.Count - at));
                            break;
                        case 2:
                            bytes.Insert(at, tokens[random.Next(tokens.Length)]);
                            break;
                        case 3:
                            var length = Math.Min(random.Next(1, 80), bytes.Count - at);
                            bytes.InsertRange(random.Next(bytes.Count), bytes.GetRange(at, length));
                            break;
                        default:
                            bytes.RemoveRange(at, bytes.Count - at);
                            break;
                    }
                }

                AssertReadsCleanly([.. bytes], $"seed {seed}, fixture {Path.GetFileName(fixture)}, round {round}");
            }
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(99)]
    public void Tree_mutations_that_change_types_drop_and_duplicate_elements_never_throw(int seed)
    {
        var random = new Random(seed);
        JsonNode?[] replacements = [null, JsonValue.Create("x"), JsonValue.Create(""), JsonValue.Create(-1), JsonValue.Create(1.5e300), JsonValue.Create(true),
            new JsonObject(), new JsonArray(), new JsonArray(JsonValue.Create(1)), JsonValue.Create("urn:uuid:00000000-0000-4000-8000-000000000000"),
            JsonValue.Create("#missing"), JsonValue.Create("2026-99-99")];
        foreach (var fixture in Fixtures)
        {
            for (var round = 0; round < 60; round++)
            {
                var root = JsonNode.Parse(File.ReadAllBytes(fixture))!;
                var nodes = new List<JsonNode>();
                Collect(root, nodes);
                for (var e = random.Next(1, 4); e > 0; e--)
                {
                    var target = nodes[random.Next(nodes.Count)];
                    if (target.Parent is JsonObject parent)
                    {
                        var name = target.GetPropertyName();
                        if (random.Next(3) == 0)
                        {
                            parent.Remove(name);
                        }
                        else
                        {
                            parent[name] = replacements[random.Next(replacements.Length)]?.DeepClone();
                        }
                    }
                    else if (target.Parent is JsonArray array)
                    {
                        array[array.IndexOf(target)] = replacements[random.Next(replacements.Length)]?.DeepClone();
                    }
                }

                AssertReadsCleanly(Encoding.UTF8.GetBytes(root.ToJsonString()), $"seed {seed}, fixture {Path.GetFileName(fixture)}, round {round}");
            }
        }
    }

    private static void Collect(JsonNode node, List<JsonNode> into)
    {
        if (node.Parent is not null)
        {
            into.Add(node);
        }

        switch (node)
        {
            case JsonObject obj:
                foreach (var (_, child) in obj.ToList())
                {
                    if (child is not null)
                    {
                        Collect(child, into);
                    }
                }

                break;
            case JsonArray array:
                foreach (var child in array.ToList())
                {
                    if (child is not null)
                    {
                        Collect(child, into);
                    }
                }

                break;
        }
    }

    [Fact]
    public void Arbitrary_strings_never_make_the_reader_throw()
    {
        Prop.ForAll<string>(text =>
        {
            AssertReadsCleanly(Encoding.UTF8.GetBytes(text ?? ""), "FsCheck string");
            AssertReadsCleanly(Encoding.UTF8.GetBytes("{\"resourceType\":\"Claim\"," + text + "}"), "FsCheck string in Claim");
            return true;
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Arbitrary_bytes_never_make_the_reader_throw()
    {
        Prop.ForAll<byte[]>(bytes =>
        {
            AssertReadsCleanly(bytes ?? [], "FsCheck bytes");
            return true;
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Arbitrary_values_in_money_and_dates_never_make_the_reader_throw()
    {
        Prop.ForAll<string, decimal, int>((text, amount, number) =>
        {
            var json = $$$"""
                {"resourceType":"ChargeItem","status":"billable","code":{"text":{{{JsonSerializer.Serialize(text ?? "")}}}},"subject":{"reference":"Patient/1"},
                 "occurrenceDateTime":{{{JsonSerializer.Serialize(text ?? "")}}},"quantity":{"value":{{{number}}}},
                 "priceOverride":{"value":{{{amount.ToString(System.Globalization.CultureInfo.InvariantCulture)}}},"currency":{{{JsonSerializer.Serialize(text ?? "")}}}}}
                """;
            AssertReadsCleanly(Encoding.UTF8.GetBytes(json), "FsCheck money/date");
            return true;
        }).QuickCheckThrowOnFailure();
    }
}
