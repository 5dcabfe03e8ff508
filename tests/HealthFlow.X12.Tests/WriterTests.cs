namespace HealthFlow.X12.Tests;

public sealed class WriterTests
{
    private static readonly X12ParseOptions Identity = new() { TokenizePhi = v => v };

    private static byte[] Write(ClaimBatch batch, X12Delimiters delimiters)
    {
        using var output = new MemoryStream();
        using (var writer = new X12Writer(output, delimiters))
        {
            writer.BeginInterchange(new X12InterchangeHeader("ZZ", "HOSPITAL", "ZZ", "CLEARINGHOUSE", "260110", "1200", 7, false, "T"));
            writer.BeginGroup("HC", "HOSPITAL", "CLEARINGHOUSE", "20260110", "1200", "7", ClaimBatchWriter.VersionOf(batch.Kind));
            ClaimBatchWriter.Write(writer, batch, "0001");
            writer.EndGroup();
            writer.EndInterchange();
        }

        return output.ToArray();
    }

    [Theory]
    [InlineData("837p-two-claims.837")]
    [InlineData("837i-inpatient.837")]
    public void Parse_write_parse_round_trips_an_837_identically(string fixture)
    {
        var first = X12TestFiles.SingleSet(X12TestFiles.ParseFixture(fixture)).ClaimBatch!;

        // Written persons are tokens already; reading them back must not tokenise again.
        var reparsed = X12Parser.Parse(Write(first, X12Delimiters.Standard), Identity);
        Assert.True(reparsed.AllAccepted, string.Join(",", X12TestFiles.Codes(reparsed)));
        Assert.Equal(X12TestFiles.Json(first), X12TestFiles.Json(X12TestFiles.SingleSet(reparsed).ClaimBatch));
    }

    [Fact]
    public void Generated_claims_round_trip_with_unusual_delimiters()
    {
        var delimiters = new X12Delimiters((byte)'|', (byte)'!', (byte)'>', (byte)'\n');
        foreach (var kind in new[] { ClaimKind.Professional, ClaimKind.Institutional })
        {
            var batch = new X12Generator(11).CreateClaimBatch(kind, 40);
            var reparsed = X12Parser.Parse(Write(batch, delimiters), Identity);
            Assert.True(reparsed.AllAccepted, string.Join(",", X12TestFiles.Codes(reparsed)));
            Assert.Equal(X12TestFiles.Json(batch), X12TestFiles.Json(X12TestFiles.SingleSet(reparsed).ClaimBatch));
        }
    }

    [Fact]
    public void Writer_pads_the_isa_to_fixed_width_and_counts_trailers()
    {
        using var output = new MemoryStream();
        using (var writer = new X12Writer(output, X12Delimiters.Standard, lineBreakAfterSegment: false))
        {
            writer.BeginInterchange(new X12InterchangeHeader("ZZ", "A", "ZZ", "B", "260110", "1200", 42, true, "P"));
            writer.EndInterchange();
        }

        var text = System.Text.Encoding.Latin1.GetString(output.ToArray());
        Assert.Equal(106, text.IndexOf('~', StringComparison.Ordinal) + 1);
        Assert.EndsWith("IEA*0*000000042~", text, StringComparison.Ordinal);
    }
}
