namespace HealthFlow.Fhir.Tests;

/// <summary>
/// Real files from other people (../shared/corpus/fhir, see its MANIFEST.md): each valid one yields the expected
/// events, each invalid one a precise OperationOutcome. Skipped (not passed) where the corpus is absent.
/// </summary>
public sealed class CorpusTests
{
    /// <summary>What each corpus file must produce: acceptance, event counts, and an issue that must be present.</summary>
    public sealed record Expectation(bool Accepted, string Events, string? Issue = null);

    private const string NotSupported = "error|not-supported|resourceType";

    private static readonly Dictionary<string, Expectation> Expected = new(StringComparer.Ordinal)
    {
        ["cdn-account-example-with-guarantor.json"] = new(true, ""),
        ["cdn-bundle-example.json"] = new(true, ""),
        ["cdn-chargeitem-example.json"] = new(true, "ChargePosted:1"),
        ["cdn-claim-example-cms1500-medical.json"] = new(true, "ClaimSubmitted:1", "warning|required|Claim.contained[0]"),
        ["cdn-claim-example-institutional-rich.json"] = new(true, "ClaimSubmitted:1"),
        ["cdn-claim-example-institutional.json"] = new(true, "ClaimSubmitted:1"),
        ["cdn-claim-example-oral-contained.json"] = new(true, "ClaimSubmitted:1"),
        ["cdn-claim-example-oral-orthoplan.json"] = new(true, ""), // use = preauthorization: no money moves
        ["cdn-claim-example-pharmacy-compound.json"] = new(true, "ClaimSubmitted:1"),
        ["cdn-claim-example-professional.json"] = new(true, "ClaimSubmitted:1"),
        ["cdn-claim-example-vision-glasses-3tier.json"] = new(true, "ClaimSubmitted:1"),
        ["cdn-claim-example.json"] = new(true, "ClaimSubmitted:1"),
        ["cdn-claimresponse-example-2.json"] = new(true, ""), // outcome = error: not adjudicated
        ["cdn-claimresponse-example-additem.json"] = new(true, "ClaimAdjudicated:1"),
        ["cdn-claimresponse-example-unsolicited-preauth.json"] = new(true, ""),
        ["cdn-claimresponse-example-vision-3tier.json"] = new(true, "ClaimAdjudicated:1", "warning|invariant|ClaimResponse.total[1].amount"),
        ["cdn-claimresponse-example.json"] = new(true, "ClaimAdjudicated:1"),
        ["cdn-coverage-example-2.json"] = new(true, ""),
        ["cdn-coverage-example-ehic.json"] = new(true, ""),
        ["cdn-coverage-example-selfpay.json"] = new(true, ""),
        ["cdn-coverage-example.json"] = new(true, ""),
        ["cdn-coverageeligibilityresponse-example-benefits.json"] = new(false, "", NotSupported),
        ["cdn-coverageeligibilityresponse-example-error.json"] = new(false, "", NotSupported),
        ["cdn-encounter-example-emerg.json"] = new(true, "EncounterAdmitted:1"),
        ["cdn-encounter-example-f001-heart.json"] = new(true, "EncounterAdmitted:1,EncounterDischarged:1"),
        ["cdn-encounter-example-f203-20130311.json"] = new(true, "EncounterAdmitted:1,EncounterDischarged:1"),
        ["cdn-encounter-example-home.json"] = new(true, "EncounterAdmitted:1,EncounterDischarged:1"),
        ["cdn-explanationofbenefit-example-2.json"] = new(true, ""),
        ["cdn-explanationofbenefit-example.json"] = new(true, "ClaimAdjudicated:1", "warning|invariant|ExplanationOfBenefit.total[0].amount"),
        ["cdn-invoice-example.json"] = new(false, "", NotSupported),
        ["cdn-organization-example-insurer.json"] = new(false, "", NotSupported),
        ["cdn-patient-example-f001-pieter.json"] = new(true, ""),
        ["cdn-patient-examples-cypress-template.json"] = new(true, ""),
        ["cdn-patient-examples-general.json"] = new(true, ""),
        ["cdn-paymentreconciliation-example.json"] = new(true, "PaymentReceived:1", "warning|invariant|PaymentReconciliation.paymentAmount"),
        ["ftc-account-example.json"] = new(true, ""),
        ["ftc-bundle-with-no-type.json"] = new(false, "", "error|required|Bundle.type"),
        ["ftc-encounter-example.json"] = new(true, "EncounterAdmitted:1"),
        ["ftc-explanationofbenefit-example.json"] = new(false, "", "error|required|ExplanationOfBenefit.status"),
        ["ftc-patient-container-example.json"] = new(true, ""),
        ["ftc-patient-example.json"] = new(true, ""),
        ["ftc-paymentnotice-example.json"] = new(true, "PaymentReceived:1"),
        ["ftc-r4-caredove-bundle.json"] = new(false, "", "error|structure|Bundle.entry[0].resource.id"),
        ["msfhir-Bundle-Transaction.json"] = new(true, "", "warning|not-supported|Bundle.entry[5].request.method"),
        ["syn-Denisha680_Keeling57_6a93e0ad-9bd0-6d85-34a7-015186f7880a.json"] =
            new(true, "ClaimAdjudicated:18,ClaimSubmitted:2,EncounterAdmitted:18,EncounterDischarged:18", "error|invariant|Bundle.entry[5].resource.total"),
        ["syn-Pablo44_Sporer811_ea2dd5fa-0e9e-4d5b-6384-13f67dc0c142.json"] =
            new(true, "ClaimAdjudicated:15,ClaimSubmitted:2,EncounterAdmitted:15,EncounterDischarged:15", "error|invariant|Bundle.entry[5].resource.total"),
        ["syn-Roland928_Nienow652_13b1a0f2-dceb-37a2-f32b-f0ca6e3b9925.json"] =
            new(true, "ClaimAdjudicated:13,ClaimSubmitted:1,EncounterAdmitted:13,EncounterDischarged:13", "error|invariant|Bundle.entry[5].resource.total"),
        ["syn-hospitalInformation1603148702656.json"] = new(true, ""),
        ["syn-practitionerInformation1603148702656.json"] = new(true, ""),
    };

    public static TheoryData<string> Files() => [.. Expected.Keys.Order(StringComparer.Ordinal)];

    [CorpusFact]
    public void Every_corpus_file_has_an_expectation_and_every_expectation_a_file()
    {
        var onDisk = Directory.GetFiles(TestSupport.CorpusDirectory!, "*.json").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(Expected.Keys.Order(StringComparer.Ordinal), onDisk);
        Assert.Equal(49, onDisk.Length);
    }

    [CorpusTheory]
    [MemberData(nameof(Files))]
    public void Corpus_file_yields_the_expected_events_and_outcome(string file)
    {
        var expectation = Expected[file];
        var result = FhirReader.Read(File.ReadAllBytes(Path.Combine(TestSupport.CorpusDirectory!, file)), TestSupport.Tokenize);

        Assert.Equal(expectation.Accepted, result.Accepted);
        var events = string.Join(",", FhirEventFacts.From(result).GroupBy(f => f.Type).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key}:{g.Count()}"));
        Assert.Equal(expectation.Events, events);
        if (expectation.Issue is { } issue)
        {
            var parts = issue.Split('|');
            Assert.Contains(result.Outcome.Issues, i =>
                OperationOutcome.ToCode(i.Severity) == parts[0] && OperationOutcome.ToCode(i.Code) == parts[1] && i.Expression == parts[2]);
        }

        if (!expectation.Accepted)
        {
            Assert.True(result.Outcome.HasErrors);
        }
    }

    [CorpusTheory]
    [InlineData("syn-Denisha680_Keeling57_6a93e0ad-9bd0-6d85-34a7-015186f7880a.json", 16)]
    [InlineData("syn-Pablo44_Sporer811_ea2dd5fa-0e9e-4d5b-6384-13f67dc0c142.json", 13)]
    [InlineData("syn-Roland928_Nienow652_13b1a0f2-dceb-37a2-f32b-f0ca6e3b9925.json", 12)]
    public void Synthea_batch_rejects_only_the_claims_whose_total_is_not_the_sum_of_their_lines(string file, int rejectedClaims)
    {
        var result = FhirReader.Read(File.ReadAllBytes(Path.Combine(TestSupport.CorpusDirectory!, file)), TestSupport.Tokenize);

        Assert.Equal(FhirProcessingMode.EntryByEntry, result.Mode);
        var rejected = result.Entries.Where(e => !e.IsValid).ToList();
        Assert.Equal(rejectedClaims, rejected.Count);
        Assert.All(rejected, entry =>
        {
            Assert.IsType<FhirClaim>(entry.Resource);
            var error = Assert.Single(entry.Issues, i => i.IsError);
            Assert.Equal(IssueType.Invariant, error.Code);
            Assert.Equal($"Bundle.entry[{entry.Index}].resource.total", error.Expression);
        });
    }

    [CorpusFact]
    public void Synthea_patient_names_and_addresses_never_leave_the_reader()
    {
        var path = Path.Combine(TestSupport.CorpusDirectory!, "syn-Roland928_Nienow652_13b1a0f2-dceb-37a2-f32b-f0ca6e3b9925.json");
        var result = FhirReader.Read(File.ReadAllBytes(path), TestSupport.Tokenize);

        var strings = TestSupport.AllStrings(result).Concat(TestSupport.AllStrings(FhirEventFacts.From(result))).ToList();
        Assert.DoesNotContain(strings, s => s.Contains("Roland928", StringComparison.Ordinal) || s.Contains("Nienow652", StringComparison.Ordinal));
        Assert.DoesNotContain(strings, s => s.Contains("Kirlin Ramp", StringComparison.Ordinal) || s.Contains("2009-08-06", StringComparison.Ordinal));
        Assert.DoesNotContain(strings, s => s.Contains("999-48-6785", StringComparison.Ordinal));
        var patient = Assert.Single(result.Entries.Select(e => e.Resource).OfType<FhirPatient>());
        var encounter = result.Entries.Select(e => e.Resource).OfType<FhirEncounter>().First();
        Assert.Equal(patient.PatientToken, encounter.PatientToken);
        Assert.StartsWith("pt_", patient.PatientToken, StringComparison.Ordinal);
    }
}
