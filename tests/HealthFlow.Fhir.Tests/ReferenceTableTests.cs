using System.Globalization;
using System.Text;

namespace HealthFlow.Fhir.Tests;

/// <summary>
/// The Bundle reference table (fullUrl and Type/id lookups kept off the managed heap, arrays pooled): growth past its
/// initial size, ids shared by several resource types, duplicate and re-versioned fullUrls, and reuse across reads.
/// </summary>
public sealed class ReferenceTableTests
{
    [Fact]
    public void Thousands_of_small_entries_grow_the_table_and_every_reference_resolves_to_its_entry()
    {
        // Small entries: the table is sized for ~1 KB per entry, so this forces several grows and rehashes.
        const int accounts = 3000;
        var json = new StringBuilder("""{"resourceType":"Bundle","type":"collection","entry":[""");
        for (var i = 0; i < accounts; i++)
        {
            json.Append(CultureInfo.InvariantCulture, $$$"""{"fullUrl":"urn:uuid:00000000-0000-4000-8000-{{{i:D12}}}","resource":{"resourceType":"Account","id":"acct-{{{i}}}","status":"active"}},""");
        }

        for (var i = 0; i < accounts; i += 7)
        {
            json.Append(CultureInfo.InvariantCulture, $$$"""{"resource":{"resourceType":"Encounter","id":"enc-{{{i}}}","status":"arrived","class":{"code":"AMB"},"account":[{"reference":"urn:uuid:00000000-0000-4000-8000-{{{i:D12}}}"},{"reference":"Account/acct-{{{accounts - 1 - i}}}"}]}},""");
        }

        json.Length--;
        json.Append("]}");

        var result = TestSupport.Read(json.ToString());

        Assert.True(result.Accepted, string.Join("\n", result.Outcome.Issues));
        var encounters = result.Entries.Where(e => e.Resource is FhirEncounter).ToList();
        Assert.Equal((accounts + 6) / 7, encounters.Count);
        foreach (var entry in encounters)
        {
            var encounter = (FhirEncounter)entry.Resource!;
            var i = int.Parse(encounter.Id!["enc-".Length..], CultureInfo.InvariantCulture);
            Assert.Equal(i, encounter.Accounts[0].ResolvedEntryIndex);
            Assert.Equal("Account", encounter.Accounts[0].TargetType);
            Assert.Equal("acct-" + i.ToString(CultureInfo.InvariantCulture), encounter.Accounts[0].TargetId);
            Assert.Equal("urn:uuid:00000000-0000-4000-8000-" + i.ToString("D12", CultureInfo.InvariantCulture), encounter.Accounts[0].Reference);
            Assert.Equal(accounts - 1 - i, encounter.Accounts[1].ResolvedEntryIndex);
            Assert.Equal("Account/acct-" + (accounts - 1 - i).ToString(CultureInfo.InvariantCulture), encounter.Accounts[1].Key);
        }
    }

    [Fact]
    public void Same_id_on_several_resource_types_resolves_by_type()
    {
        var result = TestSupport.Read("""
            {"resourceType":"Bundle","type":"collection","entry":[
              {"resource":{"resourceType":"Organization","id":"x1"}},
              {"resource":{"resourceType":"Account","id":"x1","status":"active"}},
              {"resource":{"resourceType":"Location","id":"x1"}},
              {"resource":{"resourceType":"Encounter","id":"e1","status":"arrived","class":{"code":"AMB"},
                "serviceProvider":{"reference":"Organization/x1"},"account":[{"reference":"Account/x1"}],
                "location":[{"location":{"reference":"Location/x1"}}]}}]}
            """);

        Assert.True(result.Accepted, string.Join("\n", result.Outcome.Issues));
        var encounter = Assert.IsType<FhirEncounter>(result.Entries[3].Resource);
        Assert.Equal(0, encounter.ServiceProvider?.ResolvedEntryIndex);
        Assert.Equal(1, encounter.Accounts[0].ResolvedEntryIndex);
        Assert.Equal(2, encounter.Locations[0].Location?.ResolvedEntryIndex);
    }

    [Fact]
    public void A_new_version_of_a_fullUrl_is_no_duplicate_and_references_then_resolve_to_the_newest_entry()
    {
        var result = TestSupport.Read("""
            {"resourceType":"Bundle","type":"collection","entry":[
              {"fullUrl":"urn:uuid:00000000-0000-4000-8000-00000000000a","resource":{"resourceType":"Account","id":"a","meta":{"versionId":"1"},"status":"active"}},
              {"fullUrl":"urn:uuid:00000000-0000-4000-8000-00000000000a","resource":{"resourceType":"Account","id":"a","meta":{"versionId":"2"},"status":"inactive"}},
              {"fullUrl":"urn:uuid:00000000-0000-4000-8000-00000000000a","resource":{"resourceType":"Account","id":"a","meta":{"versionId":"2"},"status":"inactive"}},
              {"resource":{"resourceType":"Encounter","status":"arrived","class":{"code":"AMB"},"account":[{"reference":"urn:uuid:00000000-0000-4000-8000-00000000000a"}]}}]}
            """);

        var duplicate = Assert.Single(result.Outcome.Issues, i => i.Code == IssueType.Duplicate);
        Assert.Equal("Bundle.entry[2].fullUrl", duplicate.Expression);
        Assert.Contains("entry[1]", duplicate.Diagnostics, StringComparison.Ordinal);
        var encounter = Assert.IsType<FhirEncounter>(result.Entries[3].Resource);
        Assert.Equal(1, encounter.Accounts[0].ResolvedEntryIndex);
    }

    [Fact]
    public void Consecutive_reads_reusing_pooled_tables_give_identical_results_and_the_sink_sees_the_same_entries()
    {
        var bundle = new Generation.FhirGenerator(7).Bundle(40);

        var first = FhirReader.Read(bundle, TestSupport.Tokenize);
        var second = FhirReader.Read(bundle, TestSupport.Tokenize);
        var sink = new ListSink();
        var streamed = FhirReader.Read(bundle, TestSupport.Tokenize, sink);

        Assert.True(first.Accepted, string.Join("\n", first.Outcome.Issues));
        Assert.Equal(first.Entries.Length, second.Entries.Length);
        Assert.Equal(first.Entries.Length, sink.Entries.Count);
        Assert.Equal(first.Outcome.Issues.ToArray(), streamed.Result.Outcome.Issues.ToArray());
        for (var i = 0; i < first.Entries.Length; i++)
        {
            // Records holding ImmutableArrays compare arrays by reference: compare their JSON instead.
            Assert.Equal(Json(first.Entries[i].Resource), Json(second.Entries[i].Resource));
            Assert.Equal(Json(first.Entries[i].Resource), Json(sink.Entries[i].Resource));
            Assert.Equal(first.Entries[i].FullUrl, sink.Entries[i].FullUrl);
        }

        Assert.Equal(FhirEventFacts.From(first).Length, sink.Entries.Sum(e => e.Resource is null ? 0 : FhirEventFacts.From(e.Resource).Length));
    }

    private static string Json(FhirResource? resource) =>
        resource is null ? "null" : System.Text.Json.JsonSerializer.Serialize(resource, resource.GetType());

    private sealed class ListSink : IFhirEntrySink
    {
        public List<FhirEntry> Entries { get; } = [];

        public void OnEntry(FhirEntry entry) => Entries.Add(entry);
    }
}
