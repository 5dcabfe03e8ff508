namespace HealthFlow.Fhir.Tests;

/// <summary>Each mapped resource type is read into its typed document with the facts the Pipeline needs.</summary>
public sealed class ResourceReadingTests
{
    private static T Single<T>(string fixture)
        where T : FhirResource
    {
        var result = TestSupport.ReadFixture(fixture);
        Assert.True(result.Accepted, string.Join("\n", result.Outcome.Issues));
        return Assert.IsType<T>(Assert.Single(result.Entries).Resource);
    }

    [Fact]
    public void Encounter_is_read_with_class_period_facility_location_discharge_and_account()
    {
        var encounter = Single<FhirEncounter>("encounter-inpatient-finished.json");

        Assert.Equal("finished", encounter.Status);
        Assert.Equal("IMP", encounter.Class?.Code);
        Assert.Equal("2026-02-10T08:30:00-05:00", encounter.Period?.Start?.Text);
        Assert.Equal(new DateTimeOffset(2026, 2, 14, 11, 0, 0, TimeSpan.FromHours(-5)), encounter.Period?.End?.Instant);
        Assert.Equal("Organization/hosp-north", encounter.ServiceProvider?.Key);
        Assert.Equal("Location/ward-4b", Assert.Single(encounter.Locations).Location?.Reference);
        Assert.Equal("home", encounter.DischargeDisposition?.FirstCode);
        Assert.Equal("emd", encounter.AdmitSource?.FirstCode);
        Assert.Equal("Account/acct-3001", Assert.Single(encounter.Accounts).Key);
        Assert.Equal("V-500731", Assert.Single(encounter.Identifiers).Value);
        Assert.Equal(TestSupport.Tokenize("Patient/pat-1001"), encounter.PatientToken);
        Assert.Equal("Encounter/enc-7001/_history/2", encounter.IdempotencyKey);
        Assert.True(encounter.IsAdmitted);
        Assert.True(encounter.IsDischarged);
    }

    [Fact]
    public void Patient_keeps_only_tokens()
    {
        var patient = Single<FhirPatient>("patient.json");

        Assert.Null(patient.Id);
        Assert.Equal(TestSupport.Tokenize("Patient/pat-1001"), patient.PatientToken);
        Assert.Equal(
            [TestSupport.Tokenize("urn:oid:2.16.840.1.113883.19.5.99|MRN-448812"), TestSupport.Tokenize("http://hl7.org/fhir/sid/us-ssn|999-52-1437")],
            patient.IdentifierTokens.ToArray());
        Assert.Empty(patient.Extensions);
        Assert.StartsWith("Patient/sha256:", patient.IdempotencyKey, StringComparison.Ordinal);
    }

    [Fact]
    public void Coverage_is_read_with_beneficiary_token_payor_and_plan_classes()
    {
        var coverage = Single<FhirCoverage>("coverage.json");

        Assert.Equal("active", coverage.Status);
        Assert.Equal(TestSupport.Tokenize("Patient/pat-1001"), coverage.BeneficiaryToken);
        var payor = Assert.Single(coverage.Payors);
        Assert.Equal("Organization/payer-bcbs", payor.Key);
        Assert.Null(payor.Display); // payor may be a patient (self-pay), so its display is never kept
        Assert.Equal(["group", "plan"], coverage.Classes.Select(c => c.Type));
        Assert.Equal("B37FC", coverage.Classes[1].Value);
        Assert.Equal(1, coverage.Order);
    }

    [Fact]
    public void Account_is_read_without_its_name()
    {
        var account = Single<FhirAccount>("account.json");

        Assert.Equal("active", account.Status);
        var subject = Assert.Single(account.Subjects);
        Assert.Null(subject.Reference);
        Assert.Equal(TestSupport.Tokenize("Patient/pat-1001"), subject.PatientToken);
        Assert.Equal("Coverage/cov-2001", Assert.Single(account.Coverages).Coverage?.Key);
        Assert.DoesNotContain(TestSupport.AllStrings(account), s => s.Contains("Marguerite", StringComparison.Ordinal));
    }

    [Fact]
    public void ChargeItem_is_read_with_amount_department_service_date_and_encounter()
    {
        var charge = Single<FhirChargeItem>("chargeitem-billable.json");

        Assert.Equal("billable", charge.Status);
        Assert.Equal("71046", charge.Code.FirstCode);
        Assert.Equal(new FhirMoney(212.50m, "USD"), charge.Amount);
        Assert.Equal(1m, charge.Quantity?.Value);
        Assert.Equal("Encounter/enc-7001", charge.Context?.Key);
        Assert.Equal("http://fairhaven.example.org/departments|DEPT-RAD", charge.Department?.Key);
        Assert.Equal("Radiology", charge.Department?.Display);
        Assert.Equal(new DateOnly(2026, 2, 11), charge.ServiceDate?.Date);
        Assert.Equal("http://fairhaven.example.org/fhir/StructureDefinition/revenue-code", Assert.Single(charge.Extensions).Url);
        Assert.Contains("\"0320\"", charge.Extensions[0].RawJson, StringComparison.Ordinal);
        Assert.False(charge.IsReversal);
    }

    [Theory]
    [InlineData("chargeitem-entered-in-error.json")]
    [InlineData("chargeitem-negative-quantity.json")]
    public void ChargeItem_entered_in_error_or_negative_is_a_reversal(string fixture)
    {
        var charge = Single<FhirChargeItem>(fixture);

        Assert.True(charge.IsReversal);
        Assert.True(charge.IsPostable);
    }

    [Fact]
    public void Claim_is_read_with_type_items_revenue_net_diagnoses_and_total()
    {
        var claim = Single<FhirClaim>("claim-institutional.json");

        Assert.Equal("institutional", claim.TypeCode);
        Assert.Equal("claim", claim.Use);
        Assert.Equal("normal", claim.Priority?.FirstCode);
        Assert.Equal("Organization/payer-bcbs", claim.Insurer?.Key);
        Assert.Equal("Organization/hosp-north", claim.Provider?.Key);
        Assert.Equal("Coverage/cov-2001", claim.FocalCoverage?.Key);
        Assert.Equal(["J18.9", "E11.65"], claim.Diagnoses.Select(d => d.Code?.FirstCode));
        Assert.Equal(3, claim.Items.Length);
        Assert.Equal("0320", claim.Items[1].Revenue?.FirstCode);
        Assert.Equal("71046", claim.Items[1].ProductOrService?.FirstCode);
        Assert.Equal(new FhirMoney(212.50m, "USD"), claim.Items[1].Net);
        Assert.Equal(new FhirMoney(688.50m, "USD"), claim.Total);
        Assert.Equal("Encounter/enc-7001", claim.Items[0].Encounters[0].Key);
    }

    [Fact]
    public void ClaimResponse_is_read_with_adjudications_totals_and_payment()
    {
        var response = Single<FhirClaimResponse>("claimresponse-complete.json");

        Assert.True(response.IsAdjudicated);
        Assert.Equal("Claim/clm-5001", response.ClaimReference?.Key);
        Assert.Equal(3, response.Items.Length);
        Assert.Equal(["submitted", "eligible", "benefit"], response.Items[0].Adjudications.Select(a => a.CategoryCode));
        Assert.Equal(new FhirMoney(550.80m, "USD"), response.TotalOf("benefit"));
        Assert.Equal(new FhirMoney(550.80m, "USD"), response.Payment?.Amount);
        Assert.Equal(new DateOnly(2026, 3, 5), response.Payment?.Date?.Date);
    }

    [Fact]
    public void ExplanationOfBenefit_is_read_with_item_adjudication_totals_and_payment()
    {
        var eob = Single<FhirExplanationOfBenefit>("explanationofbenefit-complete.json");

        Assert.True(eob.IsAdjudicated);
        Assert.Equal(3, eob.Items.Length);
        Assert.Equal(new FhirMoney(82.40m, "USD"), eob.Items[0].Adjudications.Single(a => a.CategoryCode == "copay").Amount);
        Assert.Equal(new FhirMoney(137.70m, "USD"), eob.TotalOf("copay"));
        Assert.Equal("ClaimResponse/cr-5001", eob.ClaimResponse?.Key);
        Assert.Equal(new FhirMoney(550.80m, "USD"), eob.Payment?.Amount);
    }

    [Fact]
    public void PaymentNotice_and_PaymentReconciliation_are_read_with_amounts_and_details()
    {
        var notice = Single<FhirPaymentNotice>("paymentnotice.json");
        Assert.Equal(new FhirMoney(550.80m, "USD"), notice.Amount);
        Assert.Equal("PaymentReconciliation/prc-6001", notice.Payment?.Key);
        Assert.Equal("paid", notice.PaymentStatus?.FirstCode);

        var reconciliation = Single<FhirPaymentReconciliation>("paymentreconciliation.json");
        Assert.Equal(new FhirMoney(1050.80m, "USD"), reconciliation.PaymentAmount);
        Assert.Equal("10-12345", reconciliation.PaymentIdentifier?.Value);
        Assert.Equal(2, reconciliation.Details.Length);
        Assert.Equal("Claim/clm-5001", reconciliation.Details[0].Request?.Key);
        Assert.Equal("payment", reconciliation.Details[1].Type?.FirstCode);
        Assert.Equal("2026 March settlement.", reconciliation.Disposition);
    }

    [Fact]
    public void Idempotency_key_is_a_content_hash_when_versionId_is_absent_and_follows_the_bytes()
    {
        const string Template = """{"resourceType":"Encounter","id":"e1","status":"STATUS","class":{"code":"AMB"}}""";
        var first = TestSupport.Read(Template.Replace("STATUS", "finished", StringComparison.Ordinal)).Entries[0].Resource!;
        var again = TestSupport.Read(Template.Replace("STATUS", "finished", StringComparison.Ordinal)).Entries[0].Resource!;
        var changed = TestSupport.Read(Template.Replace("STATUS", "arrived", StringComparison.Ordinal)).Entries[0].Resource!;

        Assert.StartsWith("Encounter/sha256:", first.IdempotencyKey, StringComparison.Ordinal);
        Assert.Equal(first.IdempotencyKey, again.IdempotencyKey);
        Assert.NotEqual(first.IdempotencyKey, changed.IdempotencyKey);
    }

    [Fact]
    public void Unknown_elements_and_primitive_extensions_are_tolerated()
    {
        var result = TestSupport.Read("""
            {"resourceType":"Encounter","id":"e1","status":"finished","_status":{"extension":[{"url":"x","valueString":"y"}]},
             "class":{"code":"AMB","futureElement":[1,2,{"a":true}]},"somethingNew":{"deep":{"deeper":"ok"}}}
            """);

        Assert.True(result.Accepted);
        Assert.Empty(result.Outcome.Issues);
    }

    [Fact]
    public void Contained_resources_resolve_local_references_and_contained_patients_become_tokens()
    {
        var result = TestSupport.Read("""
            {"resourceType":"Coverage","id":"c1","status":"active",
             "contained":[{"resourceType":"Patient","id":"p","identifier":[{"system":"urn:mrn","value":"42"}],"name":[{"family":"Doe"}]},
                          {"resourceType":"Organization","id":"org","name":"Acme Health"}],
             "beneficiary":{"reference":"#p"},"payor":[{"reference":"#org"}]}
            """);

        Assert.True(result.Accepted);
        var coverage = Assert.IsType<FhirCoverage>(result.Entries[0].Resource);
        Assert.Equal(TestSupport.Tokenize("urn:mrn|42"), coverage.BeneficiaryToken);
        Assert.Equal("Organization", coverage.Payors[0].TargetType);
        Assert.DoesNotContain(TestSupport.AllStrings(result), s => s.Contains("Doe", StringComparison.Ordinal));
    }
}
