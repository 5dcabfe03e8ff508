namespace HealthFlow.X12.Tests;

public sealed class ClaimTests
{
    private static ClaimBatch Fixture(string name)
    {
        var result = X12TestFiles.ParseFixture(name);
        Assert.True(result.AllAccepted, string.Join(",", X12TestFiles.Codes(result)));
        return X12TestFiles.SingleSet(result).ClaimBatch!;
    }

    [Fact]
    public void Professional_claims_follow_the_HL_hierarchy()
    {
        var batch = Fixture("837p-two-claims.837");
        Assert.Equal(ClaimKind.Professional, batch.Kind);
        Assert.Equal(("BATCH0001", "CH", new DateOnly(2026, 1, 10)), (batch.ReferenceId, batch.ClaimOrEncounter, batch.CreatedOn));
        Assert.Equal(2, batch.Claims.Count);
        var first = batch.Claims[0];
        Assert.Equal(("PCN5001", 275.50m, "11", "B", "1"), (first.ControlNumber, first.TotalCharge, first.FacilityCode, first.FacilityCodeQualifier, first.FrequencyCode));
        Assert.Equal(("GENERAL HOSPITAL", "1234567893", "123456789"), (first.BillingProviderName, first.BillingProviderNpi, first.BillingProviderTaxId));
        Assert.Equal(("ACME HEALTH PLAN", "ACME01", "P"), (first.PayerName, first.PayerId, first.PayerResponsibility));
        Assert.Equal([new Diagnosis("ABK", "E119"), new Diagnosis("ABF", "I10")], first.Diagnoses);
        Assert.Null(first.Patient);
        Assert.Equal(2, first.ServiceLines.Count);
        var line = first.ServiceLines[0];
        Assert.Equal((1, "99214", 175.50m, "UN", 1m, new DateOnly(2026, 1, 5)), (line.LineNumber, line.ProcedureCode, line.Charge, line.UnitCode, line.Quantity, line.ServiceDate));
        Assert.Equal([1, 2], line.DiagnosisPointers);

        var second = batch.Claims[1];
        Assert.Equal(("BLUE RIVER MUTUAL", "7"), (second.PayerName, second.FrequencyCode));
        Assert.NotNull(second.Patient);
        Assert.Equal(X12TestFiles.Tokenize("ROE|TIMMY"), second.Patient!.NameToken);
    }

    [Fact]
    public void Institutional_claims_read_revenue_codes_and_only_diagnosis_qualifiers()
    {
        var batch = Fixture("837i-inpatient.837");
        Assert.Equal(ClaimKind.Institutional, batch.Kind);
        var claim = Assert.Single(batch.Claims);
        Assert.Equal(("11", "A", "1", 12500.75m), (claim.FacilityCode, claim.FacilityCodeQualifier, claim.FrequencyCode, claim.TotalCharge));
        Assert.Equal([new Diagnosis("ABK", "I214"), new Diagnosis("ABJ", "R079")], claim.Diagnoses);
        Assert.Equal(["0120", "0250", "0450"], claim.ServiceLines.Select(l => l.RevenueCode));
        Assert.Equal([null, "J1100", "99285"], claim.ServiceLines.Select(l => l.ProcedureCode));
        Assert.Equal(claim.TotalCharge, claim.ServiceLines.Sum(l => l.Charge));
    }

    [Fact]
    public void Claims_hold_no_names_or_member_ids_in_clear()
    {
        var json = X12TestFiles.Json(Fixture("837p-two-claims.837")) + X12TestFiles.Json(Fixture("837i-inpatient.837"));
        foreach (var clear in new[] { "DOE", "JOHN", "ROE", "MARY", "TIMMY", "SUB0001", "SUB0002", "1EG4TE5MK73", "19700101", "12 ELM ST" })
        {
            Assert.DoesNotContain(clear, json, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Claim_acknowledgements_separate_accepted_from_rejected_claims()
    {
        var result = X12TestFiles.ParseFixture("277ca-accepted-and-rejected.277");
        Assert.True(result.AllAccepted);
        var set = X12TestFiles.SingleSet(result);
        Assert.Equal(X12TransactionKind.ClaimAcknowledgement277, set.Kind);
        var claims = set.ClaimStatusReport!.Statuses.Where(s => s.Level == "PT").ToList();
        Assert.Equal(["PCN5001", "PCN5002"], claims.Select(c => c.ClaimTrackingNumber));
        Assert.Equal([false, true], claims.Select(c => c.IsRejected));
        Assert.Equal(("A7", "562", "PY9001"), (claims[1].CategoryCode, claims[1].StatusCode, claims[0].PayerClaimControlNumber));
        Assert.DoesNotContain("TIMMY", X12TestFiles.Json(set.ClaimStatusReport), StringComparison.Ordinal);
    }
}
