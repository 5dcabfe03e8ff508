using System.Text;

namespace HealthFlow.X12.Tests;

public sealed class RemittanceTests
{
    private static Remittance Fixture(string name)
    {
        var result = X12TestFiles.ParseFixture(name);
        Assert.True(result.AllAccepted, string.Join(",", X12TestFiles.Codes(result)));
        return X12TestFiles.SingleSet(result).Remittance!;
    }

    [Fact]
    public void Remittance_header_reads_payment_trace_payer_and_payee()
    {
        var remittance = Fixture("835-reversal-denial-plb.835");
        Assert.Equal(("I", 152.34m, "C", "ACH", new DateOnly(2026, 1, 10)),
            (remittance.TransactionHandlingCode, remittance.PaymentAmount, remittance.CreditDebitFlag, remittance.PaymentMethod, remittance.PaymentDate));
        Assert.Equal(("TRC20260110A", "1512345678"), (remittance.TraceNumber, remittance.OriginatingCompanyId));
        Assert.Equal(("ACME HEALTH PLAN", "ACME01"), (remittance.PayerName, remittance.PayerId));
        Assert.Equal(("GENERAL HOSPITAL", "XX", "1234567893"), (remittance.PayeeName, remittance.PayeeIdQualifier, remittance.PayeeId));
    }

    [Fact]
    public void Reversal_denial_and_corrected_claims_are_read_with_their_status()
    {
        var claims = Fixture("835-reversal-denial-plb.835").Claims;
        Assert.Equal(["1", "4", "22", "1"], claims.Select(c => c.Status));
        Assert.True(claims[1].IsDenied);
        Assert.Equal(0.00m, claims[1].Paid);
        Assert.True(claims[2].IsReversal);
        Assert.Equal((-400.00m, -320.00m), (claims[2].Charge, claims[2].Paid));
        Assert.Equal(-80.00m, Assert.Single(claims[2].Adjustments).Amount);
        Assert.Equal("7", claims[3].FrequencyCode);
        Assert.All(claims, c => Assert.True(c.IsBalanced, $"{c.PatientControlNumber}: {c.Difference}"));
    }

    [Fact]
    public void Service_line_adjustments_and_remarks_belong_to_their_line_and_count_in_the_claim_balance()
    {
        var claim = Fixture("835-reversal-denial-plb.835").Claims[0];
        Assert.Equal(new Adjustment("PR", "1", 50.00m, null), Assert.Single(claim.Adjustments));
        Assert.Equal(2, claim.ServiceLines.Count);
        var line = claim.ServiceLines[0];
        Assert.Equal(("HC", "99214", "25"), (line.ProcedureQualifier, line.ProcedureCode, Assert.Single(line.Modifiers)));
        Assert.Equal([new Adjustment("CO", "45", 60.00m, null), new Adjustment("PR", "2", 40.00m, null)], line.Adjustments);
        Assert.Equal(["HE:M15"], line.RemarkCodes);
        Assert.Equal(["MA01", "N130"], claim.RemarkCodes);
        Assert.Equal(190.00m, claim.TotalAdjustments);
        Assert.True(claim.IsBalanced);
    }

    [Fact]
    public void Provider_level_adjustments_keep_their_sign_interest_negative_recoupment_positive()
    {
        var remittance = Fixture("835-reversal-denial-plb.835");
        Assert.Equal(
            [
                new ProviderAdjustment("1234567893", new DateOnly(2026, 12, 31), "L6", null, -12.34m),
                new ProviderAdjustment("1234567893", new DateOnly(2026, 12, 31), "WO", "PCN0500", 100.00m),
                new ProviderAdjustment("1234567893", new DateOnly(2026, 12, 31), "FB", "FB2025", 50.00m),
            ],
            remittance.ProviderAdjustments);

        // 310 + 0 − 320 + 300 − (−12.34 + 100 + 50) = 152.34
        Assert.Equal(152.34m, remittance.ExpectedPaymentAmount);
        Assert.True(remittance.IsBalanced);
    }

    [Fact]
    public void Remittance_with_unbalanced_BPR_is_flagged_with_the_difference()
    {
        var remittance = Fixture("835-unbalanced.835");
        Assert.False(remittance.IsBalanced);
        Assert.Equal(10.00m, remittance.Difference);
    }

    [Fact]
    public void Claim_whose_adjustments_do_not_explain_charge_minus_paid_is_flagged()
    {
        var claim = Assert.Single(Fixture("835-unbalanced.835").Claims);
        Assert.False(claim.IsBalanced);
        Assert.Equal(5.00m, claim.Difference);
    }

    [Fact]
    public void Amounts_keep_the_decimals_of_the_file()
    {
        var remittance = Fixture("835-reversal-denial-plb.835");
        Assert.Equal("152.34", remittance.PaymentAmount.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal("0.00", remittance.Claims[1].Paid.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void Multiple_groups_and_sets_with_unusual_delimiters_are_all_read()
    {
        var result = X12TestFiles.ParseFixture("835-multiple-groups-unusual-delimiters.835");
        Assert.True(result.AllAccepted, string.Join(",", X12TestFiles.Codes(result)));
        var interchange = Assert.Single(result.Interchanges);
        Assert.Equal((byte)'|', interchange.Delimiters.Element);
        Assert.Equal((byte)'>', interchange.Delimiters.Component);
        Assert.Equal((byte)'\n', interchange.Delimiters.Segment);
        Assert.Equal([2, 1], interchange.Groups.Select(g => g.TransactionSets.Count));
        Assert.Equal(["CHK1001", "NOPAY1002", "CHK1003"], result.TransactionSets.Select(t => t.Set.Remittance!.TraceNumber));
        Assert.All(result.TransactionSets, t => Assert.True(t.Set.Remittance!.IsBalanced));
    }

    [Fact]
    public void Patient_and_subscriber_are_only_tokens()
    {
        var remittance = Fixture("835-reversal-denial-plb.835");
        var claim = remittance.Claims[0];
        Assert.Equal(new PersonTokens("QC", X12TestFiles.Tokenize("DOE|JANE|Q"), "MI", X12TestFiles.Tokenize("MBR1001")), claim.Patient);
        Assert.Equal(new PersonTokens("IL", X12TestFiles.Tokenize("DOE|JOHN"), "MI", X12TestFiles.Tokenize("SUB1001")), claim.Subscriber);
        var json = X12TestFiles.Json(remittance);
        foreach (var clear in new[] { "DOE", "JANE", "MBR1001", "SUB1001", "ROE", "POE", "EDGAR" })
        {
            Assert.DoesNotContain(clear, json, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Missing_BPR_is_IK304_3()
    {
        var body = X12TestFiles.MinimalRemittanceBody.Skip(1).ToArray();
        var result = X12TestFiles.Parse(X12TestFiles.Interchange("HP", "005010X221A1", ("835", "0001", body)));
        var error = Assert.Single(result.AllErrors);
        Assert.Equal(("IK304-3", "BPR", 2), (error.QualifiedCode, error.SegmentId, error.PositionInTransactionSet));
    }

    [Fact]
    public void Names_beside_ids_are_left_untokenized_when_asked_and_names_without_ids_are_not()
    {
        string[] body = [.. X12TestFiles.MinimalRemittanceBody[..^1], "NM1*QC*1*DOE*JANE****MI*MBR1", "NM1*IL*1*DOE*JOHN",
            "CLP*PCN2*4*10.00*0.00**12*PY2*11*1", "CAS*CO*45*10.00", "NM1*QC*1*ROE*RICHARD"];
        var text = X12TestFiles.Interchange("HP", "005010X221A1", ("835", "0001", body));
        var tokenized = new List<string>();
        var options = new X12ParseOptions { TokenizePhi = value => { tokenized.Add(value); return X12TestFiles.Tokenize(value); }, TokenizeNamesBesideIds = false };

        var claims = X12TestFiles.SingleSet(X12Parser.Parse(Encoding.ASCII.GetBytes(text), options)).Remittance!.Claims;
        var everyToken = X12TestFiles.SingleSet(X12TestFiles.Parse(text)).Remittance!.Claims;

        Assert.Equal(["MBR1", "DOE|JOHN", "ROE|RICHARD"], tokenized);
        Assert.Equal(new PersonTokens("QC", null, "MI", X12TestFiles.Tokenize("MBR1")), claims[0].Patient);
        Assert.Equal((everyToken[0].Subscriber, everyToken[1].Patient), (claims[0].Subscriber, claims[1].Patient));
        Assert.NotNull(everyToken[0].Patient!.NameToken);
    }
}
