namespace HealthFlow.Fhir.Tests;

/// <summary>The default event derivation the Pipeline mapper can reuse.</summary>
public sealed class EventFactsTests
{
    private static FhirEventFact[] Facts(string fixture) => [.. FhirEventFacts.From(TestSupport.ReadFixture(fixture))];

    private static FhirEventFact[] FactsOf(string json) => [.. FhirEventFacts.From(TestSupport.Read(json))];

    [Fact]
    public void Finished_encounter_yields_admitted_and_discharged_with_dates_facility_and_distinct_keys()
    {
        var facts = Facts("encounter-inpatient-finished.json");

        Assert.Equal([FhirEventTypes.EncounterAdmitted, FhirEventTypes.EncounterDischarged], facts.Select(f => f.Type));
        Assert.Equal("2026-02-10T08:30:00-05:00", facts[0].OccurredOn?.Text);
        Assert.Equal("2026-02-14T11:00:00-05:00", facts[1].OccurredOn?.Text);
        Assert.Equal("Organization/hosp-north", facts[0].Organization);
        Assert.Equal("home", facts[1].Code);
        Assert.Equal("Encounter/enc-7001/_history/2#EncounterAdmitted", facts[0].IdempotencyKey);
        Assert.Equal("Encounter/enc-7001/_history/2#EncounterDischarged", facts[1].IdempotencyKey);
        Assert.Equal("Encounter/enc-7001", facts[0].EncounterReference);
    }

    [Theory]
    [InlineData("in-progress", false, "EncounterAdmitted")]
    [InlineData("planned", false, "")]
    [InlineData("cancelled", true, "")]
    [InlineData("in-progress", true, "EncounterAdmitted,EncounterDischarged")]
    [InlineData("entered-in-error", false, "")]
    public void Encounter_events_follow_status_and_discharge_disposition(string status, bool disposition, string expected)
    {
        var hospitalization = disposition ? ""","hospitalization":{"dischargeDisposition":{"coding":[{"code":"home"}]}}""" : "";
        var facts = FactsOf($$"""{"resourceType":"Encounter","id":"e","status":"{{status}}","class":{"code":"IMP"}{{hospitalization}}}""");

        Assert.Equal(expected, string.Join(",", facts.Select(f => f.Type)));
    }

    [Fact]
    public void Billable_charge_is_posted_with_amount_codes_department_and_encounter()
    {
        var fact = Assert.Single(Facts("chargeitem-billable.json"));

        Assert.Equal(FhirEventTypes.ChargePosted, fact.Type);
        Assert.Equal(new FhirMoney(212.50m, "USD"), fact.Amount);
        Assert.Equal("71046", fact.Code);
        Assert.Equal("0324", fact.RevenueCode);
        Assert.Equal("Encounter/enc-7001", fact.EncounterReference);
        Assert.Equal("http://fairhaven.example.org/departments|DEPT-RAD", fact.Organization);
        Assert.Equal(TestSupport.Tokenize("Patient/pat-1001"), fact.PatientToken);
        Assert.Equal("ChargeItem/chg-9001/_history/1#ChargePosted", fact.IdempotencyKey);
    }

    [Theory]
    [InlineData("chargeitem-entered-in-error.json", "212.50")]
    [InlineData("chargeitem-negative-quantity.json", "64.00")]
    public void Reversed_charge_is_credited_with_a_positive_amount(string fixture, string amount)
    {
        var fact = Assert.Single(Facts(fixture));

        Assert.Equal(FhirEventTypes.ChargeCredited, fact.Type);
        Assert.Equal(decimal.Parse(amount, System.Globalization.CultureInfo.InvariantCulture), fact.Amount?.Value);
    }

    [Theory]
    [InlineData("planned", -1, "")]
    [InlineData("not-billable", 1, "")]
    [InlineData("aborted", 1, "")]
    [InlineData("billed", 1, "ChargePosted")]
    [InlineData("billed", -1, "ChargeCredited")]
    public void Charge_events_follow_status_and_sign(string status, int quantity, string expected)
    {
        var facts = FactsOf($$$"""
            {"resourceType":"ChargeItem","id":"c","status":"{{{status}}}","code":{"text":"x"},"subject":{"reference":"Patient/1"},"quantity":{"value":{{{quantity}}}}}
            """);

        Assert.Equal(expected, string.Join(",", facts.Select(f => f.Type)));
    }

    [Fact]
    public void Claim_is_submitted_with_total_payer_provider_and_encounter()
    {
        var fact = Assert.Single(Facts("claim-institutional.json"));

        Assert.Equal(FhirEventTypes.ClaimSubmitted, fact.Type);
        Assert.Equal(new FhirMoney(688.50m, "USD"), fact.Amount);
        Assert.Equal("Organization/payer-bcbs", fact.Payer);
        Assert.Equal("Organization/hosp-north", fact.Organization);
        Assert.Equal("institutional", fact.Code);
        Assert.Equal("Encounter/enc-7001", fact.EncounterReference);
        Assert.Equal("Claim/clm-5001", fact.ClaimReference);
    }

    [Theory]
    [InlineData("claimresponse-complete.json")]
    [InlineData("explanationofbenefit-complete.json")]
    public void Adjudication_yields_claim_adjudicated_with_the_payment(string fixture)
    {
        var fact = Assert.Single(Facts(fixture));

        Assert.Equal(FhirEventTypes.ClaimAdjudicated, fact.Type);
        Assert.Equal(new FhirMoney(550.80m, "USD"), fact.Amount);
        Assert.Equal("Claim/clm-5001", fact.ClaimReference);
        Assert.Equal("Organization/payer-bcbs", fact.Payer);
        Assert.Equal("complete", fact.Code);
    }

    [Theory]
    [InlineData("paymentreconciliation.json", "1050.80")]
    [InlineData("paymentnotice.json", "550.80")]
    public void Payments_yield_payment_received(string fixture, string amount)
    {
        var fact = Assert.Single(Facts(fixture));

        Assert.Equal(FhirEventTypes.PaymentReceived, fact.Type);
        Assert.Equal(decimal.Parse(amount, System.Globalization.CultureInfo.InvariantCulture), fact.Amount?.Value);
        Assert.Equal(new DateOnly(2026, 3, 5), fact.OccurredOn?.Date);
    }

    [Fact]
    public void Patient_coverage_and_account_yield_no_events()
    {
        Assert.Empty(Facts("patient.json"));
        Assert.Empty(Facts("coverage.json"));
        Assert.Empty(Facts("account.json"));
    }

    [Fact]
    public void Rejected_documents_yield_no_facts()
    {
        Assert.Empty(FactsOf("""{"resourceType":"Encounter","id":"e","status":"finished"}"""));
    }
}
