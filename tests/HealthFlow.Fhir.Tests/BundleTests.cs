using System.Text;

namespace HealthFlow.Fhir.Tests;

/// <summary>Bundle semantics: transactions are all-or-nothing, batches entry by entry; references resolve between entries.</summary>
public sealed class BundleTests
{
    [Fact]
    public void Transaction_bundle_resolves_urn_uuid_references_and_yields_the_episode_events()
    {
        var result = TestSupport.ReadFixture("bundle-transaction-episode.json");

        Assert.True(result.Accepted, string.Join("\n", result.Outcome.Issues));
        Assert.Equal(FhirProcessingMode.AllOrNothing, result.Mode);
        Assert.Equal("transaction", result.Bundle?.Type);
        var patient = Assert.IsType<FhirPatient>(result.Entries[0].Resource);
        var encounter = Assert.IsType<FhirEncounter>(result.Entries[2].Resource);
        var claim = Assert.IsType<FhirClaim>(result.Entries[5].Resource);
        Assert.Equal(patient.PatientToken, encounter.PatientToken);
        Assert.Equal(patient.PatientToken, claim.PatientToken);
        Assert.Equal(2, claim.Items[0].Encounters[0].ResolvedEntryIndex);
        Assert.Equal("Encounter/1b3e5f7a-2c4d-4e6f-8a0b-1c2d3e4f5a6b", claim.Items[0].Encounters[0].Key);
        Assert.Equal(1, claim.FocalCoverage?.ResolvedEntryIndex);
        Assert.Equal("Patient", result.Entries[0].Request?.Url);
        Assert.Null(result.Entries[0].Request?.IfNoneExist); // it searched by MRN
        Assert.Null(result.Entries[0].FullUrl);
        Assert.Equal(
            ["EncounterAdmitted", "EncounterDischarged", "ChargePosted", "ChargePosted", "ClaimSubmitted"],
            FhirEventFacts.From(result).Select(f => f.Type));
    }

    [Fact]
    public void Transaction_bundle_keeps_no_patient_name_birth_date_address_or_identifier_value()
    {
        var result = TestSupport.ReadFixture("bundle-transaction-episode.json");
        var strings = TestSupport.AllStrings(result).Concat(TestSupport.AllStrings(FhirEventFacts.From(result))).ToList();

        foreach (var phi in new[] { "Marguerite", "Pemberton", "1961-07-23", "Quarry Lane", "Fairhaven, MA", "MRN-448812", "999-52-1437", "555-0142", "6f0d2c1e-7d3a-4c59-9a1e-0c5d7b2e4a11" })
        {
            Assert.DoesNotContain(strings, s => s.Contains(phi, StringComparison.Ordinal));
        }
    }

    [Fact]
    public void Transaction_with_one_invalid_entry_is_rejected_whole_and_lists_every_problem()
    {
        var json = Encoding.UTF8.GetString(TestSupport.Fixture("bundle-transaction-episode.json"))
            .Replace("182.62", "182.63", StringComparison.Ordinal)
            .Replace("\"status\": \"finished\"", "\"status\": \"done\"", StringComparison.Ordinal);
        var result = TestSupport.Read(json);

        Assert.False(result.Accepted);
        Assert.Empty(result.AcceptedResources);
        Assert.Empty(FhirEventFacts.From(result));
        Assert.Contains(result.Outcome.Issues, i => i.Code == IssueType.Invariant && i.Expression == "Bundle.entry[5].resource.total");
        Assert.Contains(result.Outcome.Issues, i => i.Code == IssueType.CodeInvalid && i.Expression == "Bundle.entry[2].resource.status");
        Assert.Contains(result.Outcome.Issues, i => i.Code == IssueType.Processing && i.Diagnostics.Contains("2 of 6 entries", StringComparison.Ordinal));
    }

    [Fact]
    public void Batch_accepts_valid_entries_and_reports_the_invalid_one_on_its_own()
    {
        var result = TestSupport.ReadFixture("bundle-batch-mixed.json");

        Assert.True(result.Accepted);
        Assert.Equal(FhirProcessingMode.EntryByEntry, result.Mode);
        Assert.True(result.IsAccepted(result.Entries[0]));
        Assert.False(result.IsAccepted(result.Entries[1]));
        var error = Assert.Single(result.Entries[1].Issues);
        Assert.Equal("Bundle.entry[1].resource.total", error.Expression);
        Assert.IsType<FhirOtherResource>(result.Entries[2].Resource);
        Assert.Equal(["ClaimSubmitted", "EncounterAdmitted"], FhirEventFacts.From(result).Select(f => f.Type));
    }

    [Fact]
    public void Forward_urn_reference_resolves_when_the_target_comes_later()
    {
        var result = TestSupport.Read("""
            {"resourceType":"Bundle","type":"transaction","entry":[
              {"fullUrl":"urn:uuid:00000000-0000-4000-8000-000000000002","resource":{"resourceType":"ChargeItem","status":"billable","code":{"text":"x"},
                "subject":{"reference":"Patient/p1"},"context":{"reference":"urn:uuid:00000000-0000-4000-8000-000000000001"}},"request":{"method":"POST","url":"ChargeItem"}},
              {"fullUrl":"urn:uuid:00000000-0000-4000-8000-000000000001","resource":{"resourceType":"Encounter","status":"arrived","class":{"code":"AMB"}},"request":{"method":"POST","url":"Encounter"}}]}
            """);

        Assert.True(result.Accepted, string.Join("\n", result.Outcome.Issues));
    }

    [Fact]
    public void Unresolvable_urn_reference_rejects_the_entry_with_not_found()
    {
        var result = TestSupport.Read("""
            {"resourceType":"Bundle","type":"batch","entry":[
              {"resource":{"resourceType":"ChargeItem","status":"billable","code":{"text":"x"},"subject":{"reference":"Patient/p1"},
                "context":{"reference":"urn:uuid:00000000-0000-4000-8000-00000000dead"}},"request":{"method":"POST","url":"ChargeItem"}},
              {"resource":{"resourceType":"Encounter","status":"arrived","class":{"code":"AMB"}},"request":{"method":"POST","url":"Encounter"}}]}
            """);

        Assert.True(result.Accepted);
        Assert.False(result.Entries[0].IsValid);
        Assert.True(result.Entries[1].IsValid);
        var issue = Assert.Single(result.Entries[0].Issues, i => i.IsError);
        Assert.Equal(IssueType.NotFound, issue.Code);
        Assert.Equal("Bundle.entry[0].resource.context.reference", issue.Expression);
    }

    [Fact]
    public void Unresolvable_contained_reference_is_not_found()
    {
        var result = TestSupport.Read("""{"resourceType":"Coverage","status":"active","beneficiary":{"reference":"#nobody"},"payor":[{"reference":"Organization/1"}]}""");

        Assert.False(result.Accepted);
        Assert.Contains(result.Outcome.Issues, i => i.Code == IssueType.NotFound && i.Expression == "Coverage.beneficiary.reference");
    }

    [Fact]
    public void Transaction_entry_without_request_is_an_error()
    {
        var result = TestSupport.Read("""{"resourceType":"Bundle","type":"transaction","entry":[{"resource":{"resourceType":"Encounter","status":"arrived","class":{"code":"AMB"}}}]}""");

        Assert.False(result.Accepted);
        Assert.Contains(result.Outcome.Issues, i => i.Code == IssueType.Required && i.Expression == "Bundle.entry[0].request");
    }

    [Fact]
    public void Delete_of_a_financial_resource_in_a_transaction_rejects_it()
    {
        var result = TestSupport.Read("""{"resourceType":"Bundle","type":"transaction","entry":[{"request":{"method":"DELETE","url":"ChargeItem/9"}}]}""");

        Assert.False(result.Accepted);
        Assert.Contains(result.Outcome.Issues, i => i.Code == IssueType.NotSupported && i.Expression == "Bundle.entry[0].request.method");
    }

    [Fact]
    public void Duplicate_fullUrl_is_reported()
    {
        var result = TestSupport.Read("""
            {"resourceType":"Bundle","type":"collection","entry":[
              {"fullUrl":"urn:uuid:00000000-0000-4000-8000-000000000001","resource":{"resourceType":"Encounter","status":"arrived","class":{"code":"AMB"}}},
              {"fullUrl":"urn:uuid:00000000-0000-4000-8000-000000000001","resource":{"resourceType":"Encounter","status":"arrived","class":{"code":"AMB"}}}]}
            """);

        Assert.Contains(result.Outcome.Issues, i => i.Code == IssueType.Duplicate && i.Expression == "Bundle.entry[1].fullUrl");
    }

    [Fact]
    public void Streaming_read_hands_entries_to_the_sink_and_keeps_none()
    {
        var sink = new CountingSink();
        var stream = FhirReader.Read(TestSupport.Fixture("bundle-transaction-episode.json"), TestSupport.Tokenize, sink);

        Assert.True(stream.Result.Accepted);
        Assert.Equal(6, sink.Count);
        Assert.Equal(6, stream.Result.EntryCount);
        Assert.Empty(stream.Result.Entries);
        Assert.Empty(stream.EntriesRejectedAfterDelivery);
    }

    [Fact]
    public void A_recurring_concept_with_an_issue_reports_it_on_every_entry()
    {
        const string Code = """{"coding":[{"system":"http://www.ama-assn.org/go/cpt","code":" 99223"}]}""";
        var result = TestSupport.Read($$$"""
            {"resourceType":"Bundle","type":"batch","entry":[
              {"resource":{"resourceType":"ChargeItem","status":"billable","code":{{{Code}}},"subject":{"reference":"Patient/1"}},"request":{"method":"POST","url":"ChargeItem"}},
              {"resource":{"resourceType":"ChargeItem","status":"billable","code":{{{Code}}},"subject":{"reference":"Patient/1"}},"request":{"method":"POST","url":"ChargeItem"}}]}
            """);

        Assert.All(result.Entries, e => Assert.Contains(e.Issues, i => i.Expression!.EndsWith(".code.coding[0].code", StringComparison.Ordinal) && i.Diagnostics.Contains("whitespace", StringComparison.Ordinal)));
        Assert.Equal(2, result.Outcome.Issues.Count(i => i.Diagnostics.Contains("whitespace", StringComparison.Ordinal)));
    }

    [Fact]
    public void A_concept_that_read_cleanly_is_still_too_deep_where_it_recurs_below_the_depth_limit()
    {
        // The same concept bytes: on a ChargeItem its coding is 6 levels deep, on a claim item 8, the limit here.
        const string Code = """{"coding":[{"system":"http://www.ama-assn.org/go/cpt","code":"99223"}]}""";
        var result = TestSupport.Read($$$"""
            {"resourceType":"Bundle","type":"batch","entry":[
              {"resource":{"resourceType":"ChargeItem","status":"billable","code":{{{Code}}},"subject":{"reference":"Patient/1"}},"request":{"method":"POST","url":"ChargeItem"}},
              {"resource":{"resourceType":"Claim","item":[{"sequence":1,"productOrService":{{{Code}}}}]},"request":{"method":"POST","url":"Claim"}}]}
            """, new FhirReaderOptions { MaxDepth = 8 });

        var fatal = Assert.Single(result.Outcome.Issues, i => i.Severity == IssueSeverity.Fatal);
        Assert.Equal(IssueType.TooCostly, fatal.Code);
        Assert.False(result.Accepted);
    }

    private sealed class CountingSink : IFhirEntrySink
    {
        public int Count { get; private set; }

        public void OnEntry(FhirEntry entry) => Count++;
    }
}
