namespace HealthFlow.Hl7.Tests;

public class Hl7ParserTests
{
    private const string Adt =
        "MSH|^~\\&|EPIC|STMARYS|HF|FIN|20260105081500-0500||ADT^A01^ADT_A01|C1|P|2.5.1\r" +
        "PID|1||M1^^^STMARYS^MR~E2^^^EPI^PI||Name^Given\r" +
        "PV1|1|I|4WEST^412^B^STMARYS^^^MAIN^4||||111^Welby^Marcus&Jr||||||||||||V1|||||||||||||||||||||||||20260105080000|||extra|fields\r" +
        "ZPV|1|anything\r";

    private static Hl7Message Parse(string text)
    {
        var result = Hl7Parser.Parse(text);
        Assert.True(result.IsSuccess, result.Error?.Diagnostic);
        return result.Message!;
    }

    [Fact]
    public void Msh_fields_are_numbered_the_HL7_way_with_MSH_1_the_separator_itself()
    {
        var msh = Parse(Adt).Header;
        Assert.Equal("|", msh.Field(1).Value);
        Assert.Equal("^~\\&", msh.Field(2).Value);
        Assert.Equal("EPIC", msh.Field(3).Value);
        Assert.Equal("STMARYS", msh.Field(4).Value);
        Assert.Equal("ADT", msh.Field(9).Component(1).Value);
        Assert.Equal("A01", msh.Field(9).Component(2).Value);
        Assert.Equal("C1", msh.Field(10).Value);
        Assert.Equal("2.5.1", msh.Field(12).Value);
        Assert.Equal(12, msh.FieldCount);
    }

    [Fact]
    public void Paths_address_fields_components_repetitions_and_subcomponents()
    {
        var message = Parse(Adt);
        Assert.Equal("STMARYS", message.GetValue("PV1-3.4"));
        Assert.Equal("V1", message.GetValue("PV1-19"));
        Assert.Equal("M1", message.GetValue("PID-3.1"));
        Assert.Equal("E2", message.GetValue("PID-3(2).1"));
        Assert.Equal("EPI", message.GetValue("PID-3(2).4"));
        Assert.Equal("Jr", message.GetValue("PV1-7.3.2"));
        Assert.Equal(2, message.GetField(Hl7Path.Parse("PID-3")).RepetitionCount);
        Assert.Equal("ADT", message.GetValue("MSH-9.1"));
    }

    [Fact]
    public void Absent_positions_are_empty_not_errors()
    {
        var message = Parse(Adt);
        Assert.Equal(string.Empty, message.GetValue("PV1-99"));
        Assert.Equal(string.Empty, message.GetValue("PID-3(7).1"));
        Assert.Equal(string.Empty, message.GetValue("PV1-3.9"));
        Assert.Equal(string.Empty, message.GetValue("OBX-5"));
        Assert.Equal(string.Empty, message.GetValue("PID(2)-3"));
    }

    [Fact]
    public void Unknown_trailing_fields_and_Z_segments_are_kept()
    {
        var message = Parse(Adt);
        Assert.Equal(4, message.SegmentCount);
        Assert.True(message.TryGetSegment("ZPV", out var z));
        Assert.True(z.IsZSegment);
        Assert.Equal("anything", z.Value(2));
        Assert.Equal("fields", message.GetValue("PV1-48"));
    }

    [Theory]
    [InlineData("\r")]
    [InlineData("\r\n")]
    [InlineData("\n")]
    public void Segment_terminators_CR_CRLF_and_LF_all_give_the_same_segments(string terminator)
    {
        var message = Parse(Adt.Replace("\r", terminator, StringComparison.Ordinal));
        Assert.Equal(4, message.SegmentCount);
        Assert.Equal("V1", message.GetValue("PV1-19"));
        Assert.Equal("2.5.1", message.GetValue("MSH-12"));
    }

    [Fact]
    public void Delimiters_come_from_MSH_1_and_MSH_2_whatever_they_are()
    {
        var message = Parse("MSH#*!@%|#EPIC#FAC###20260101##ADT*A01#C9#P#2.4\rPID#1##ID1*0*0*AUTH!ID2*0*0*AUTH2\r");
        Assert.Equal(new Hl7Delimiters('#', '*', '!', '@', '%', '|'), message.Delimiters);
        Assert.Equal("A01", message.GetValue("MSH-9.2"));
        Assert.Equal("ID2", message.GetValue("PID-3(2).1"));
    }

    [Fact]
    public void A_fifth_MSH_2_character_is_the_v2_7_truncation_character()
    {
        var message = Parse("MSH|^~\\&#|A|B|C|D|20260101||ADT^A08|X|P|2.7\rPID|1||ab\\P\\c\r");
        Assert.Equal('#', message.Delimiters.Truncation);
        Assert.Equal("ab#c", message.GetValue("PID-3"));
    }

    [Fact]
    public void Blank_and_whitespace_only_lines_between_and_after_segments_are_skipped()
    {
        var message = Parse(Adt.Replace("\rPID", "\r\r  \r\t\rPID", StringComparison.Ordinal) + "   \r\n");
        Assert.Equal(4, message.SegmentCount);
    }

    [Fact]
    public void Leading_line_breaks_and_a_byte_order_mark_are_skipped()
    {
        var message = Parse("\uFEFF\r\n" + Adt);
        Assert.Equal("C1", message.GetValue("MSH-10"));
    }

    [Fact]
    public void Only_fields_that_are_read_are_decoded()
    {
        // A malformed escape in a field nobody reads does not stop the parse.
        var message = Parse("MSH|^~\\&|A|B|C|D|20260101||ADT^A08|X|P|2.5\rPID|1||M1||\\unterminated\r");
        Assert.Equal("M1", message.GetValue("PID-3"));
        Assert.False(message.GetField(Hl7Path.Parse("PID-5")).TryGetValue(out _));
    }

    [Theory]
    [InlineData("", Hl7ParseFailure.Empty)]
    [InlineData("\r\n  ", Hl7ParseFailure.Empty)]
    [InlineData("PID|1||X\r", Hl7ParseFailure.MissingHeader)]
    [InlineData("FHS|^~\\&|A\rMSH|^~\\&|A\r", Hl7ParseFailure.MissingHeader)]
    [InlineData("MSH ^~\\& A B", Hl7ParseFailure.InvalidDelimiters)]
    [InlineData("MSHA^~\\&A", Hl7ParseFailure.InvalidDelimiters)]
    [InlineData("MSH|^~\\|A|B", Hl7ParseFailure.InvalidDelimiters)]
    [InlineData("MSH|^^\\&|A|B", Hl7ParseFailure.InvalidDelimiters)]
    [InlineData("MSH|^~\\&\rPID|1", Hl7ParseFailure.InvalidDelimiters)]
    [InlineData("MSH|^~\\&|A\rpid|1\r", Hl7ParseFailure.InvalidSegmentId)]
    [InlineData("MSH|^~\\&|A\rPI\r", Hl7ParseFailure.InvalidSegmentId)]
    [InlineData("MSH|^~\\&|A\rPIDX|1\r", Hl7ParseFailure.InvalidSegmentId)]
    [InlineData("MSH|^~\\&|A\rPID|1|\u0000\r", Hl7ParseFailure.ControlCharacter)]
    [InlineData("MSH|^~\\&|A\u001C\r", Hl7ParseFailure.ControlCharacter)]
    public void Structural_problems_are_failure_values(string text, Hl7ParseFailure expected)
    {
        var result = Hl7Parser.Parse(text);
        Assert.False(result.IsSuccess);
        Assert.Equal(expected, result.Failure);
        Assert.NotNull(result.Error);
        Assert.False(string.IsNullOrWhiteSpace(result.Error.Diagnostic));
    }

    [Fact]
    public void A_control_character_is_located_by_segment_and_field()
    {
        var result = Hl7Parser.Parse("MSH|^~\\&|A\rPID|1||X\rPID|1||Y|\u0001\r");
        Assert.Equal(new Hl7ErrorLocation("PID", 2, 4), result.Error!.Location);
    }

    [Fact]
    public void A_message_over_the_maximum_is_rejected_before_decoding()
    {
        var result = Hl7Parser.Parse(new byte[1024], maxMessageLength: 100);
        Assert.Equal(Hl7ParseFailure.TooLarge, result.Failure);
    }

    [Theory]
    [InlineData("PV1-3.4", "PV1", 1, 3, 0, 4, 0)]
    [InlineData("PID-3(2).1", "PID", 1, 3, 2, 1, 0)]
    [InlineData("FT1(3)-11.1.2", "FT1", 3, 11, 0, 1, 2)]
    [InlineData("MSH-9", "MSH", 1, 9, 0, 0, 0)]
    public void Paths_parse(string text, string id, int occurrence, int field, int repetition, int component, int subcomponent)
    {
        Assert.True(Hl7Path.TryParse(text, out var path));
        Assert.Equal(new Hl7Path(id, occurrence, field, repetition, component, subcomponent), path);
        Assert.Equal(text, path.ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("PV1")]
    [InlineData("PV1-")]
    [InlineData("PV1-0")]
    [InlineData("pv1-3")]
    [InlineData("PV1-3.")]
    [InlineData("PV1-3.4.5.6")]
    [InlineData("PV1(0)-3")]
    [InlineData("PV1-3(x)")]
    public void Bad_paths_do_not_parse(string text) => Assert.False(Hl7Path.TryParse(text, out _));

    [Fact]
    public void The_explicit_null_is_recognised_and_reads_as_no_value()
    {
        var message = Parse("MSH|^~\\&|A|B|C|D|20260101||ADT^A08|X|P|2.5\rPV1|1|\"\"\r");
        var field = message.GetField(Hl7Path.Parse("PV1-2"));
        Assert.True(field.IsExplicitNull);
        Assert.False(field.HasValue);
    }

    [Fact]
    public void One_message_can_be_read_from_many_threads_at_once()
    {
        var message = Parse(Adt);
        var results = new string[64];
        Parallel.For(0, results.Length, i => results[i] = message.GetValue("PV1-19") + message.GetValue("PV1-44") + message.GetValue("PID-3(2).1"));
        Assert.All(results, r => Assert.Equal("V120260105080000E2", r));
    }
}
