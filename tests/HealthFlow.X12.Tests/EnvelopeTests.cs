using System.Text;

namespace HealthFlow.X12.Tests;

/// <summary>Bad input of every kind: each gets a precise error value, never an exception.</summary>
public sealed class EnvelopeTests
{
    private static string Valid => X12TestFiles.Interchange("HP", "005010X221A1", ("835", "0001", X12TestFiles.MinimalRemittanceBody));

    [Fact]
    public void A_valid_interchange_has_no_errors()
    {
        var result = X12TestFiles.Parse(Valid);
        Assert.True(result.AllAccepted);
        Assert.Empty(result.AllErrors);
        Assert.Equal(X12AckStatus.Accepted, X12TestFiles.SingleSet(result).Status);
    }

    [Fact]
    public void Wrong_SE01_rejects_the_set_with_IK502_4_at_the_SE()
    {
        var result = X12TestFiles.Parse(Valid.Replace("SE*10*0001", "SE*9*0001", StringComparison.Ordinal));
        var error = Assert.Single(result.AllErrors);
        Assert.Equal(("IK502-4", "SE", 12), (error.QualifiedCode, error.SegmentId, error.Position));
        Assert.Equal(X12AckStatus.Rejected, X12TestFiles.SingleSet(result).Status);
    }

    [Fact]
    public void SE02_that_differs_from_ST02_is_IK502_3()
    {
        var result = X12TestFiles.Parse(Valid.Replace("SE*10*0001", "SE*10*0002", StringComparison.Ordinal));
        Assert.Equal(["IK502-3"], X12TestFiles.Codes(result));
    }

    [Fact]
    public void Wrong_GE01_and_GE02_are_AK905_5_and_4()
    {
        var result = X12TestFiles.Parse(Valid.Replace("GE*1*1", "GE*2*7", StringComparison.Ordinal));
        Assert.Equal(["AK905-5", "AK905-4"], X12TestFiles.Codes(result));
        Assert.Equal(X12AckStatus.AcceptedWithErrors, result.Interchanges[0].Groups[0].Status);
    }

    [Fact]
    public void Wrong_IEA01_is_TA1_021_and_wrong_IEA02_is_TA1_001()
    {
        Assert.Equal(["TA105-021"], X12TestFiles.Codes(X12TestFiles.Parse(Valid.Replace("IEA*1*", "IEA*2*", StringComparison.Ordinal))));
        var mismatch = X12TestFiles.Parse(Valid.Replace("IEA*1*000000001", "IEA*1*000000002", StringComparison.Ordinal));
        Assert.Equal(["TA105-001"], X12TestFiles.Codes(mismatch));
        Assert.Equal(X12AckStatus.Rejected, mismatch.Interchanges[0].Status);
        Assert.False(mismatch.AllAccepted);
    }

    [Fact]
    public void Missing_IEA_is_TA1_023()
    {
        var truncated = Valid[..Valid.IndexOf("IEA", StringComparison.Ordinal)];
        var result = X12TestFiles.Parse(truncated);
        Assert.Equal(["TA105-023"], X12TestFiles.Codes(result));
    }

    [Fact]
    public void A_file_truncated_mid_transaction_reports_missing_SE_GE_and_IEA()
    {
        var truncated = Valid[..Valid.IndexOf("CAS", StringComparison.Ordinal)];
        var codes = X12TestFiles.Codes(X12TestFiles.Parse(truncated));
        Assert.Equal(["TA105-023", "AK905-3", "IK502-2"], codes);
    }

    [Fact]
    public void Non_numeric_amount_is_IK403_6_with_element_and_segment_position()
    {
        var result = X12TestFiles.Parse(Valid.Replace("CLP*PCN1*1*100.00*80.00", "CLP*PCN1*1*100.00*8O.00", StringComparison.Ordinal));
        var element = Assert.Single(result.AllErrors, e => e.Level == X12ErrorLevel.Element);
        Assert.Equal(("6", "CLP", 9, 7, 4, "8O.00"), (element.Code, element.SegmentId, element.Position, element.PositionInTransactionSet, element.ElementPosition, element.BadValue));
        Assert.Contains(result.AllErrors, e => e.QualifiedCode == "IK304-8" && e.Position == 9);
    }

    [Theory]
    [InlineData("CAS**45*20.00", 1)]
    [InlineData("CAS*CO**20.00", 2)]
    [InlineData("CAS*CO*45*", 3)]
    [InlineData("CAS*CO*45", 3)]
    [InlineData("CAS*CO**20.00*1*45*0.00*1*94*0.00*1*23*0.00*1*2*0.00*1*97*0.00*1", 2)]
    [InlineData("CAS*CO*45**1000000.00*96*1000000.00*1000000.00*97*1000000.00*1000000.00", 3)]
    public void A_mandatory_element_empty_or_absent_is_IK403_1_at_its_position(string cas, int missing)
    {
        // Short segments, and ones the reader splits another way: more than 16 separators, 64 bytes and more.
        var result = X12TestFiles.Parse(Valid.Replace("CAS*CO*45*20.00", cas, StringComparison.Ordinal));
        var element = Assert.Single(result.AllErrors, e => e.Level == X12ErrorLevel.Element);
        Assert.Equal(("1", "CAS", missing), (element.Code, element.SegmentId, element.ElementPosition));
    }

    [Fact]
    public void Unknown_segment_id_is_IK304_1_and_rejects()
    {
        var result = X12TestFiles.Parse(Valid.Replace("LX*1", "LX*1~\nZZQ*1", StringComparison.Ordinal));
        Assert.Contains("IK304-1", X12TestFiles.Codes(result));
        Assert.Equal(X12AckStatus.Rejected, X12TestFiles.SingleSet(result).Status);
    }

    [Fact]
    public void A_known_segment_from_another_transaction_is_IK304_2_accepted_with_errors()
    {
        var text = Valid.Replace("LX*1", "LX*1~\nSV1*HC:99213*10*UN*1", StringComparison.Ordinal).Replace("SE*10*", "SE*11*", StringComparison.Ordinal);
        var result = X12TestFiles.Parse(text);
        Assert.Equal(["IK304-2"], X12TestFiles.Codes(result));
        Assert.Equal(X12AckStatus.AcceptedWithErrors, X12TestFiles.SingleSet(result).Status);
        Assert.True(result.AllAccepted);
    }

    [Fact]
    public void Wrong_group_version_is_AK905_2_and_nothing_is_accepted()
    {
        var result = X12TestFiles.Parse(Valid.Replace("005010X221A1", "004010X091A1", StringComparison.Ordinal));
        Assert.Contains("AK905-2", X12TestFiles.Codes(result));
        Assert.False(result.AllAccepted);
    }

    [Theory]
    [InlineData("", X12InputErrorCodes.Empty)]
    [InlineData("   \r\n", X12InputErrorCodes.Empty)]
    [InlineData("{\"resourceType\":\"Bundle\"}", X12InputErrorCodes.NotX12)]
    [InlineData("MSH|^~\\&|EPIC|", X12InputErrorCodes.NotX12)]
    [InlineData("ST*835*0001~BPR*I*1*C*CHK~", X12InputErrorCodes.NotX12)]
    [InlineData("ISA*00*short", X12InputErrorCodes.BadInterchangeHeader)]
    public void Non_x12_input_gets_an_input_error_and_no_interchange(string input, string code)
    {
        var result = X12TestFiles.Parse(input);
        Assert.False(result.IsX12);
        Assert.False(result.AllAccepted);
        Assert.Equal(code, Assert.Single(result.Errors).Code);
    }

    [Fact]
    public void Binary_junk_never_throws_and_is_not_accepted()
    {
        var random = new Random(7);
        for (var i = 0; i < 200; i++)
        {
            var junk = new byte[random.Next(0, 4096)];
            random.NextBytes(junk);
            var result = X12Parser.Parse(junk, X12TestFiles.Options);
            Assert.False(result.AllAccepted);
        }
    }

    [Fact]
    public void Isa_that_is_not_fixed_width_is_rejected_with_the_field_that_is_wrong()
    {
        var text = Valid.Replace("*ZZ*SENDER         *", "*ZZ*SENDER*", StringComparison.Ordinal);
        var result = X12TestFiles.Parse(text);
        Assert.Equal("TA105-006", X12TestFiles.Codes(result)[0]);
        Assert.Equal(X12AckStatus.Rejected, result.Interchanges[0].Status);
    }

    [Fact]
    public void Unusable_delimiters_are_a_bad_interchange_header()
    {
        var text = Valid.Replace("*T*:~", "*T*A~", StringComparison.Ordinal);
        var result = X12Parser.Parse(Encoding.Latin1.GetBytes(text), X12TestFiles.Options);
        Assert.Equal(X12InputErrorCodes.BadInterchangeHeader, Assert.Single(result.Errors).Code);
    }

    [Fact]
    public void Unsupported_transaction_set_is_rejected_with_IK502_1()
    {
        var result = X12TestFiles.Parse(X12TestFiles.Interchange("HS", "005010X279A1", ("270", "0001", ["BHT*0022*13*1*20260110*1200"])));
        Assert.Equal(["IK502-1"], X12TestFiles.Codes(result));
    }
}
