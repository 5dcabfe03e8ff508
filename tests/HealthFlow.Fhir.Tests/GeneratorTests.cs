using System.Text;
using HealthFlow.Fhir.Generation;

namespace HealthFlow.Fhir.Tests;

/// <summary>The seeded generator: deterministic, valid, and its fake PHI never leaves the reader.</summary>
public sealed class GeneratorTests
{
    [Fact]
    public void Same_seed_gives_identical_bytes_and_another_seed_differs()
    {
        Assert.Equal(new FhirGenerator(5).Bundle(10), new FhirGenerator(5).Bundle(10));
        Assert.NotEqual(new FhirGenerator(5).Bundle(10), new FhirGenerator(6).Bundle(10));
    }

    [Theory]
    [InlineData("transaction")]
    [InlineData("batch")]
    public void Generated_bundle_is_accepted_with_every_entry_valid_and_every_event_type(string type)
    {
        var result = FhirReader.Read(new FhirGenerator(11).Bundle(60, type), TestSupport.Tokenize);

        Assert.True(result.Accepted, string.Join("\n", result.Outcome.Issues.Take(5)));
        Assert.All(result.Entries, e => Assert.True(e.IsValid, string.Join("\n", e.Issues)));
        var types = FhirEventFacts.From(result).Select(f => f.Type).ToHashSet();
        Assert.Superset(new HashSet<string> { "EncounterAdmitted", "EncounterDischarged", "ChargePosted", "ChargeCredited", "ClaimSubmitted", "ClaimAdjudicated", "PaymentReceived" }, types);
    }

    [Fact]
    public void Generated_claims_total_the_sum_of_their_lines()
    {
        var result = FhirReader.Read(new FhirGenerator(3).Bundle(30), TestSupport.Tokenize);

        foreach (var claim in result.Entries.Select(e => e.Resource).OfType<FhirClaim>())
        {
            Assert.Equal(claim.Total?.Value, claim.Items.Sum(i => i.Net!.Value.Value));
        }
    }

    [Fact]
    public void Fake_names_birth_dates_and_addresses_never_appear_in_documents_events_or_reports()
    {
        var bytes = new FhirGenerator(21).Bundle(40);
        var text = Encoding.UTF8.GetString(bytes);
        Assert.Contains(FhirGenerator.FakeFamilyNames[0][..5], text, StringComparison.Ordinal); // the input does carry PHI

        var result = FhirReader.Read(bytes, TestSupport.Tokenize);
        var report = Encoding.UTF8.GetString(FhirInspectReport.ToUtf8Bytes(result, "c"));
        var strings = TestSupport.AllStrings(result).Concat(TestSupport.AllStrings(FhirEventFacts.From(result))).Append(report).ToList();

        foreach (var name in FhirGenerator.FakeGivenNames.Concat(FhirGenerator.FakeFamilyNames))
        {
            Assert.DoesNotContain(strings, s => s.Contains(name, StringComparison.Ordinal));
        }

        Assert.DoesNotContain(strings, s => s.Contains("Quarry Lane", StringComparison.Ordinal) || s.Contains("Fairhaven", StringComparison.Ordinal));
        Assert.DoesNotContain(strings, s => s.Contains("MRN1000", StringComparison.Ordinal));
    }

    [Fact]
    public void Bundle_of_one_hundred_thousand_entries_streams_in_bounded_memory()
    {
        // About 100,000 entries: patients average ~13 entries each.
        var bytes = new FhirGenerator(8).Bundle(8_000);
        var sink = new FactCountingSink();
        GC.Collect();
        var before = GC.GetTotalMemory(forceFullCollection: true);

        var stream = FhirReader.Read(bytes, TestSupport.Tokenize, sink);
        var retained = GC.GetTotalMemory(forceFullCollection: true) - before;
        GC.KeepAlive(stream);

        Assert.True(stream.Result.Accepted, string.Join("\n", stream.Result.Outcome.Issues.Take(3)));
        Assert.True(stream.Result.EntryCount >= 100_000, $"{stream.Result.EntryCount} entries");
        Assert.True(sink.Facts > 80_000);
        // The reader keeps only reference tables and the outcome; entries went to the sink.
        Assert.True(retained < bytes.Length / 2, $"retained {retained:N0} bytes for a {bytes.Length:N0}-byte Bundle");
    }

    private sealed class FactCountingSink : IFhirEntrySink
    {
        public int Facts { get; private set; }

        public void OnEntry(FhirEntry entry)
        {
            if (entry.Resource is not null)
            {
                Facts += FhirEventFacts.From(entry.Resource).Length;
            }
        }
    }
}
