using System.Text;

namespace HealthFlow.X12.Tests;

public sealed class AcknowledgementTests
{
    private static readonly X12AckEnvelope Envelope = new(500, 900, new DateTimeOffset(2026, 1, 11, 8, 30, 0, TimeSpan.Zero));

    private static string Respond(X12ParseResult result)
    {
        using var output = new MemoryStream();
        X12Acknowledgements.WriteResponses(result, Envelope, output);
        return Encoding.Latin1.GetString(output.ToArray());
    }

    private static List<string> SegmentsOf(string text) =>
        text.Split("~\n", StringSplitOptions.RemoveEmptyEntries).ToList();

    [Fact]
    public void Accepted_set_gets_IK5_A_and_AK9_A()
    {
        var result = X12TestFiles.ParseFixture("835-multiple-groups-unusual-delimiters.835");
        var segments = SegmentsOf(Respond(result));
        Assert.StartsWith("ISA*00*          *00*          *ZZ*HOSPITAL       *ZZ*PAYERSYS       *260111*0830*^*00501*000000500*0*T*:", segments[0], StringComparison.Ordinal);
        Assert.Equal("GS*FA*HOSPITAL*PAYERSYS*20260111*0830*900*X*005010X231A1", segments[1]);
        Assert.Equal(
            ["ST*999*0001*005010X231A1", "AK1*HP*31*005010X221A1", "AK2*835*0001*005010X221A1", "IK5*A", "AK2*835*0002*005010X221A1", "IK5*A", "AK9*A*2*2*2", "SE*8*0001"],
            segments[2..10]);
        Assert.Equal("GE*2*900", segments[^2]);
        Assert.Equal("IEA*1*000000500", segments[^1]);
    }

    [Fact]
    public void Element_error_gets_IK3_and_IK4_and_rejects_the_set()
    {
        var text = X12TestFiles.Interchange("HP", "005010X221A1", ("835", "0001", X12TestFiles.MinimalRemittanceBody))
            .Replace("*100.00*80.00", "*100.00*8O.00", StringComparison.Ordinal);
        var segments = SegmentsOf(Respond(X12TestFiles.Parse(text)));
        Assert.Equal(["AK2*835*0001*005010X221A1", "IK3*CLP*7**8", "IK4*4**6*8O.00", "IK5*R*5", "AK9*R*1*1*0"], segments[4..9]);
    }

    [Fact]
    public void Segment_count_error_is_IK5_R_4()
    {
        var text = X12TestFiles.Interchange("HP", "005010X221A1", ("835", "0001", X12TestFiles.MinimalRemittanceBody))
            .Replace("SE*10*", "SE*11*", StringComparison.Ordinal);
        var ack = X12Acknowledgements.Create999(X12TestFiles.Parse(text).Interchanges[0].Groups[0]);
        var response = Assert.Single(ack.TransactionSets);
        Assert.Equal((X12AckStatus.Rejected, "4"), (response.Status, Assert.Single(response.SyntaxErrorCodes)));
        Assert.Equal((X12AckStatus.Rejected, 1, 1, 0), (ack.Status, ack.IncludedCount, ack.ReceivedCount, ack.AcceptedCount));
    }

    [Fact]
    public void One_rejected_set_of_two_makes_the_group_partially_accepted()
    {
        var bad = X12TestFiles.MinimalRemittanceBody.Select(s => s.Replace("CAS*CO*45*20.00", "CAS*CO**20.00", StringComparison.Ordinal)).ToArray();
        var text = X12TestFiles.Interchange("HP", "005010X221A1", ("835", "0001", X12TestFiles.MinimalRemittanceBody), ("835", "0002", bad));
        var result = X12TestFiles.Parse(text);
        var ack = X12Acknowledgements.Create999(result.Interchanges[0].Groups[0]);
        Assert.Equal((X12AckStatus.PartiallyAccepted, 2, 1), (ack.Status, ack.ReceivedCount, ack.AcceptedCount));
        var rejected = ack.TransactionSets[1];
        var segmentError = Assert.Single(rejected.SegmentErrors);
        Assert.Equal(("CAS", 8, "8"), (segmentError.SegmentId, segmentError.PositionInTransactionSet, segmentError.ErrorCode));
        Assert.Equal(new ElementErrorNote(2, 0, null, "1", null), Assert.Single(segmentError.ElementErrors));
        Assert.False(X12ParseResult.IsAccepted(result.Interchanges[0], result.Interchanges[0].Groups[0], result.Interchanges[0].Groups[0].TransactionSets[1]));
    }

    [Fact]
    public void Rejected_interchange_gets_only_a_TA1()
    {
        var text = X12TestFiles.Interchange("HP", "005010X221A1", ("835", "0001", X12TestFiles.MinimalRemittanceBody))
            .Replace("IEA*1*000000001", "IEA*1*000000009", StringComparison.Ordinal);
        var segments = SegmentsOf(Respond(X12TestFiles.Parse(text)));
        Assert.Equal(["TA1*000000001*260110*1200*R*001", "IEA*0*000000500"], segments[1..]);
    }

    [Fact]
    public void Requested_TA1_is_sent_with_the_999()
    {
        var text = X12TestFiles.Interchange("HP", "005010X221A1", ("835", "0001", X12TestFiles.MinimalRemittanceBody))
            .Replace("*000000001*0*T*:", "*000000001*1*T*:", StringComparison.Ordinal);
        var segments = SegmentsOf(Respond(X12TestFiles.Parse(text)));
        Assert.Equal("TA1*000000001*260110*1200*A*000", segments[1]);
        Assert.StartsWith("GS*FA", segments[2], StringComparison.Ordinal);
    }

    [Fact]
    public void Generated_999_parses_back_to_the_same_acknowledgement()
    {
        foreach (var fixture in new[] { "835-wrong-counts-bad-amount.835", "835-multiple-groups-unusual-delimiters.835", "837p-two-claims.837" })
        {
            var received = X12TestFiles.ParseFixture(fixture);
            foreach (var group in received.Interchanges[0].Groups)
            {
                var ack = X12Acknowledgements.Create999(group);
                using var output = new MemoryStream();
                using (var writer = new X12Writer(output, X12Delimiters.Standard))
                {
                    writer.BeginInterchange(new X12InterchangeHeader("ZZ", "A", "ZZ", "B", "260111", "0830", 1, false, "T"));
                    writer.BeginGroup("FA", "A", "B", "20260111", "0830", "1", X12Acknowledgements.Version999);
                    X12Acknowledgements.Write999(writer, ack, "0001");
                    writer.EndGroup();
                    writer.EndInterchange();
                }

                var reparsed = X12Parser.Parse(output.ToArray(), X12TestFiles.Options);
                Assert.True(reparsed.AllAccepted, string.Join(",", X12TestFiles.Codes(reparsed)));
                Assert.Equal(X12TestFiles.Json(ack), X12TestFiles.Json(X12TestFiles.SingleSet(reparsed).Acknowledgement));
            }
        }
    }
}
