namespace HealthFlow.Hl7.Tests;

public class Hl7AckBuilderTests
{
    private static string[] Segments(string ack) => ack.Split('\r', StringSplitOptions.RemoveEmptyEntries);

    [Fact]
    public void An_accepted_message_gets_AA_with_sender_and_receiver_swapped_and_the_same_version()
    {
        var result = Fixtures.Read("adt_a01_epic_v251.hl7");
        var ack = Hl7AckBuilder.Build(result, Fixtures.Now, "ACK0001");
        var segments = Segments(ack);
        Assert.Equal(
            "MSH|^~\\&|HEALTHFLOW|FINANCE|EPICADT|STMARYS^2.16.840.1.113883.3.1234^ISO|20260115120000+0000||ACK^A01^ACK|ACK0001|P|2.5.1",
            segments[0]);
        Assert.Equal("MSA|AA|EP000101", segments[1]);
        Assert.Equal(2, segments.Length);
        Assert.EndsWith("\r", ack, StringComparison.Ordinal);
    }

    [Fact]
    public void The_ACK_parses_as_HL7_itself()
    {
        var result = Fixtures.Read("bad/missing_pid3_and_visit.hl7");
        var ack = Hl7Parser.Parse(Hl7AckBuilder.Build(result, Fixtures.Now));
        Assert.True(ack.IsSuccess);
        Assert.Equal("AE", ack.Message!.GetValue("MSA-1"));
        Assert.Equal("EPBAD03", ack.Message.GetValue("MSA-2"));
        Assert.Equal("EPBAD03", ack.Message.GetValue("MSH-10"));
        Assert.Equal("PID", ack.Message.GetValue("ERR-2.1"));
        Assert.Equal("3", ack.Message.GetValue("ERR-2.3"));
        Assert.Equal("101", ack.Message.GetValue("ERR-3.1"));
        Assert.Equal("HL70357", ack.Message.GetValue("ERR-3.3"));
        Assert.Equal("E", ack.Message.GetValue("ERR-4"));
        Assert.Equal("PV1", ack.Message.GetValue("ERR(3)-2.1"));
        Assert.Equal("19", ack.Message.GetValue("ERR(3)-2.3"));
    }

    [Fact]
    public void Version_2_5_and_later_name_the_field_in_ERR_2_and_ERR_3()
    {
        var result = Fixtures.Read("bad/dft_bad_amount_and_type.hl7");
        var ack = Segments(Hl7AckBuilder.Build(result, Fixtures.Now));
        Assert.Equal("MSA|AE|EPBAD04", ack[1]);
        Assert.Contains("ERR||FT1^1^11^1^1^1|102^Data type error^HL70357|E|||FT1-11 is not a number.", ack);
        Assert.Contains(ack, s => s.StartsWith("ERR||FT1^2^6|103^Table value not found^HL70357|E|||", StringComparison.Ordinal));
        Assert.Contains(ack, s => s.StartsWith("ERR||FT1^3^4|101^Required field missing^HL70357|E|||", StringComparison.Ordinal));
    }

    [Fact]
    public void Version_2_3_gets_ERR_1_and_MSA_3_and_no_message_structure()
    {
        var text = Fixtures.Text("adt_a03_cerner_v23_crlf.hl7").Replace("44120987^^^RIVERSIDE^MR~7712004^^^CMRN^PI", string.Empty, StringComparison.Ordinal)
            .Replace("|44120987|", "||", StringComparison.Ordinal);
        var result = Fixtures.ReadText(text);
        Assert.Equal(Hl7AckCode.ApplicationError, result.AckCode);
        var ack = Segments(Hl7AckBuilder.Build(result, Fixtures.Now));
        Assert.Contains("|ACK^A03|", ack[0], StringComparison.Ordinal);
        Assert.EndsWith("|2.3", ack[0], StringComparison.Ordinal);
        Assert.Equal("MSA|AE|CRN7781230|PID-3 patient identifier list is empty.", ack[1]);
        Assert.Equal("ERR|PID^1^3^101&Required field missing&HL70357", ack[2]);
    }

    [Fact]
    public void An_unreadable_message_gets_a_minimal_AR_from_HealthFlow()
    {
        var result = Fixtures.Read("bad/missing_msh.hl7");
        var ack = Segments(Hl7AckBuilder.Build(result, Fixtures.Now));
        Assert.Equal("MSH|^~\\&|HEALTHFLOW|HEALTHFLOW|||20260115120000+0000||ACK|HF20260115120000000|P|2.5.1", ack[0]);
        Assert.Equal("MSA|AR|", ack[1]);
        Assert.StartsWith("ERR||MSH^1|100^Segment sequence error^HL70357|E|||", ack[2], StringComparison.Ordinal);
    }

    [Fact]
    public void A_rejected_header_still_echoes_the_control_id_and_names_MSH_12()
    {
        var result = Fixtures.ReadText("MSH|^~\\&|A|F|H|F|20260101||ADT^A01|C77|P|2.2\rPID|1||M1\r");
        var ack = Segments(Hl7AckBuilder.Build(result, Fixtures.Now));
        Assert.EndsWith("|2.5.1", ack[0], StringComparison.Ordinal);
        Assert.Equal("MSA|AR|C77", ack[1]);
        Assert.StartsWith("ERR||MSH^1^12|203^Unsupported version id^HL70357|E|||", ack[2], StringComparison.Ordinal);
    }

    [Fact]
    public void A_storage_failure_is_an_AR_with_207()
    {
        var result = Fixtures.Read("adt_a01_epic_v251.hl7");
        var ack = Segments(Hl7AckBuilder.BuildInternalError(result.Header, "Ledger write failed; resend.", Fixtures.Now));
        Assert.Equal("MSA|AR|EP000101", ack[1]);
        Assert.Equal("ERR|||207^Application internal error^HL70357|E|||Ledger write failed; resend.", ack[2]);
    }

    [Fact]
    public void Sender_values_with_delimiters_are_escaped_in_the_ACK()
    {
        var result = Fixtures.ReadText("MSH|^~\\&|APP\\F\\X|FAC|H|F|20260101||ADT^A01|C\\S\\1|P|2.5\rPID|1||M1\r");
        var ack = Hl7AckBuilder.Build(result, Fixtures.Now);
        var parsed = Hl7Parser.Parse(ack).Message!;
        Assert.Equal("APP|X", parsed.GetValue("MSH-5"));
        Assert.Equal("C^1", parsed.GetValue("MSA-2"));
    }

    [Fact]
    public void An_ACK_never_contains_patient_names_from_the_message()
    {
        foreach (var file in Directory.EnumerateFiles(Fixtures.Directory, "*.hl7", SearchOption.AllDirectories))
        {
            var ack = Hl7AckBuilder.Build(Hl7Reader.Read(File.ReadAllBytes(file), Fixtures.Tokenize), Fixtures.Now);
            foreach (var name in new[] { "Quillfeather", "Brambleworth", "Thistlewick", "Marrowdale", "Fernsby", "Oakhollow", "Puddingstone", "Kettlebury", "Sparrowhawke", "Glimmerdew", "Wrenfield" })
            {
                Assert.DoesNotContain(name, ack, StringComparison.Ordinal);
            }
        }
    }
}
