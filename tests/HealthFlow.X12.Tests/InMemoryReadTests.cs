using System.Text;

namespace HealthFlow.X12.Tests;

/// <summary>
/// Bytes held in memory are read in place (no copy into a read buffer), amounts and dates have fast paths, and
/// segment rules come from a compact table: each must give exactly what the streaming path gives.
/// </summary>
public sealed class InMemoryReadTests
{
    public static TheoryData<string> Fixtures()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "fixtures", "x12")).Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(file));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void In_memory_input_reads_like_a_stream_and_is_never_modified(string name)
    {
        var original = X12TestFiles.Fixture(name);

        // Wrapped at 80 columns with CRLF: line breaks inside segments and inside the ISA are edited out in place.
        var wrapped = Encoding.Latin1.GetBytes(string.Join("\r\n",
            Encoding.Latin1.GetString(original).Replace("\r", "", StringComparison.Ordinal).Replace("\n", "", StringComparison.Ordinal)
                .Chunk(80).Select(c => new string(c))));
        foreach (var bytes in new[] { original, wrapped })
        {
            var copy = bytes.ToArray();
            var inMemory = X12Parser.Parse(copy, X12TestFiles.Options);
            Assert.Equal(bytes, copy);
            var streamed = X12Parser.Parse(new MemoryStream(bytes, writable: false), X12TestFiles.Options);
            AssertSame(streamed, inMemory);
        }
    }

    [Fact]
    public void An_over_long_segment_in_memory_is_reported_and_skipped_like_a_streamed_one()
    {
        var body = X12TestFiles.MinimalRemittanceBody.ToList();
        body.Insert(2, "REF*EV*" + new string('X', 300_000));
        var text = X12TestFiles.Interchange("HP", "005010X221A1", ("835", "0001", body.ToArray()));
        var options = new X12ParseOptions { TokenizePhi = X12TestFiles.Tokenize, MaxSegmentLength = 64 * 1024 };
        var bytes = Encoding.Latin1.GetBytes(text);
        var inMemory = X12Parser.Parse(bytes, options);
        var streamed = X12Parser.Parse(new MemoryStream(bytes), options);
        Assert.Contains(inMemory.AllErrors, e => e.Message.Contains("longer than", StringComparison.Ordinal));
        AssertSame(streamed, inMemory);
    }

    [Theory]
    [InlineData("100", "100")]
    [InlineData("100.00", "100.00")]
    [InlineData("0012.50", "12.50")]
    [InlineData("-.5", "-0.5")]
    [InlineData("5.", "5")]
    [InlineData("7", "7")]
    [InlineData("12345.67", "12345.67")]
    [InlineData("-12345.67", "-12345.67")]
    [InlineData("99999999", "99999999")]
    [InlineData(".1234567", "0.1234567")]
    [InlineData("1234567.", "1234567")]
    [InlineData("12345678.", "12345678")]
    [InlineData("1.2345678", "1.2345678")]
    [InlineData("123456789012345678", "123456789012345678")]
    [InlineData("12345678901234567.8", "12345678901234567.8")]
    [InlineData("-1234567890123456.78", "-1234567890123456.78")]
    [InlineData("1234567890123456789", null)]
    [InlineData("1234567890123456789.0", null)]
    [InlineData("123456789012345678901", null)]
    [InlineData("1.2.3", null)]
    [InlineData("12.3.4", null)]
    [InlineData("1234.5:6", null)]
    [InlineData("1234567/", null)]
    [InlineData("12?4", null)]
    [InlineData(".", null)]
    [InlineData("-", null)]
    [InlineData("--5", null)]
    [InlineData("+5", null)]
    [InlineData("5-", null)]
    [InlineData("1 0", null)]
    [InlineData("1/0", null)]
    [InlineData("1:0", null)]
    public void Amounts_keep_the_file_s_scale_and_bad_ones_are_element_errors(string charge, string? expected)
    {
        var body = X12TestFiles.MinimalRemittanceBody
            .Select(s => s.StartsWith("CLP*", StringComparison.Ordinal) ? $"CLP*PCN1*1*{charge}*80.00**12*PY1*11*1" : s).ToArray();
        var set = X12TestFiles.SingleSet(X12TestFiles.Parse(X12TestFiles.Interchange("HP", "005010X221A1", ("835", "0001", body))));
        var badCharge = set.Errors.Any(e => e.SegmentId == "CLP" && e.ElementPosition == 3 && e.Code == "6");
        if (expected is null)
        {
            Assert.True(badCharge, $"{charge} must be reported as not a number");
        }
        else
        {
            Assert.False(badCharge, $"{charge} is a valid amount");
            Assert.Equal(expected, set.Remittance!.Claims[0].Charge.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    [Fact]
    public void Remembered_dates_never_hide_an_invalid_one()
    {
        var body = X12TestFiles.MinimalRemittanceBody.Concat(
        [
            "DTM*232*20240229", "DTM*233*20240229",
            "CLP*PCN2*1*100.00*80.00**12*PY2*11*1", "CAS*CO*45*20.00", "DTM*232*20230229", "DTM*233*20240229",
        ]).ToArray();
        var set = X12TestFiles.SingleSet(X12TestFiles.Parse(X12TestFiles.Interchange("HP", "005010X221A1", ("835", "0001", body))));
        var claims = set.Remittance!.Claims;
        Assert.Equal(new DateOnly(2024, 2, 29), claims[0].StatementFrom);
        Assert.Equal(new DateOnly(2024, 2, 29), claims[1].StatementTo);
        Assert.Null(claims[1].StatementFrom);
        Assert.Single(set.Errors, e => e.SegmentId == "DTM" && e.ElementPosition == 2 && e.Code == "8");
    }

    private static void AssertSame(X12ParseResult expected, X12ParseResult actual)
    {
        Assert.Equal(X12TestFiles.Codes(expected), X12TestFiles.Codes(actual));
        Assert.Equal(expected.AllErrors.Select(e => e.Message), actual.AllErrors.Select(e => e.Message));
        Assert.Equal(expected.BytesRead, actual.BytesRead);
        var expectedSets = expected.TransactionSets.Select(t => t.Set).ToList();
        var actualSets = actual.TransactionSets.Select(t => t.Set).ToList();
        Assert.Equal(expectedSets.Count, actualSets.Count);
        for (var i = 0; i < expectedSets.Count; i++)
        {
            Assert.Equal(expectedSets[i].Status, actualSets[i].Status);
            Assert.Equal(expectedSets[i].SegmentCount, actualSets[i].SegmentCount);
            Assert.Equal(X12TestFiles.Json(expectedSets[i].Remittance), X12TestFiles.Json(actualSets[i].Remittance));
            Assert.Equal(X12TestFiles.Json(expectedSets[i].ClaimBatch), X12TestFiles.Json(actualSets[i].ClaimBatch));
            Assert.Equal(X12TestFiles.Json(expectedSets[i].ClaimStatusReport), X12TestFiles.Json(actualSets[i].ClaimStatusReport));
        }
    }
}
