using System.Buffers;
using System.Text.Json;
using HealthFlow.Hl7.Mllp;

namespace HealthFlow.Hl7.Tests;

public class Hl7InspectReportTests
{
    private static JsonElement Inspect(byte[] file, Hl7ReadOptions? options = null)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            Hl7InspectReport.Write(writer, file, Fixtures.Tokenize, Fixtures.Now, options);
        }

        return JsonDocument.Parse(buffer.WrittenMemory).RootElement.Clone();
    }

    [Fact]
    public void A_DFT_report_lists_charge_events_with_exact_amounts_and_the_ACK()
    {
        var report = Inspect(Fixtures.Bytes("dft_p03_epic_v251.hl7"));
        Assert.True(report.GetProperty("accepted").GetBoolean());
        Assert.Equal("AA", report.GetProperty("ackCode").GetString());
        var events = report.GetProperty("events").EnumerateArray().ToList();
        Assert.Equal(3, events.Count);
        Assert.Equal("ChargePosted", events[0].GetProperty("type").GetString());
        Assert.Equal("STMARYS|EPB0003001|FT1|1", events[0].GetProperty("idempotencyKey").GetString());
        Assert.Equal("48.60", events[0].GetProperty("amount").GetString());
        Assert.Equal("0300", events[0].GetProperty("revenueCode").GetString());
        Assert.Equal("ChargeCredited", events[2].GetProperty("type").GetString());
        Assert.Empty(report.GetProperty("errors").EnumerateArray());
        Assert.StartsWith("MSH|^~\\&|HEALTHFLOW|FINANCE|EPICBILL|STMARYS|", report.GetProperty("ack").GetString(), StringComparison.Ordinal);
        Assert.Equal("DFT^P03", report.GetProperty("message").GetProperty("type").GetString());
    }

    [Fact]
    public void A_bad_message_report_is_not_accepted_and_lists_errors_with_locations()
    {
        var report = Inspect(Fixtures.Bytes("bad/missing_pid3_and_visit.hl7"));
        Assert.False(report.GetProperty("accepted").GetBoolean());
        var errors = report.GetProperty("errors").EnumerateArray().ToList();
        Assert.Equal("PID^1^3", errors[0].GetProperty("location").GetString());
        Assert.Equal("PID-3", errors[0].GetProperty("path").GetString());
        Assert.Equal(101, errors[0].GetProperty("code").GetInt32());
        Assert.Empty(report.GetProperty("events").EnumerateArray());
    }

    [Fact]
    public void An_MLLP_framed_file_is_unframed_first()
    {
        var report = Inspect(MllpFrameEncoder.Encode(Fixtures.Bytes("adt_a03_cerner_v23_crlf.hl7")));
        Assert.Equal("EncounterDischarged", report.GetProperty("events")[0].GetProperty("type").GetString());
    }

    [Fact]
    public void Reports_carry_tokens_never_names_or_identifiers()
    {
        var json = Inspect(Fixtures.Bytes("adt_a01_epic_v251.hl7")).GetRawText();
        Assert.DoesNotContain("Quillfeather", json, StringComparison.Ordinal);
        Assert.DoesNotContain("MRN4455667", json, StringComparison.Ordinal);
        Assert.DoesNotContain("19640312", json, StringComparison.Ordinal);
        Assert.Contains(Fixtures.Tokenize("STMARYS|MRN4455667"), json, StringComparison.Ordinal);
    }

    [Fact]
    public void A_log_file_with_several_messages_and_a_batch_envelope_gives_one_report_each()
    {
        var file = "FHS|^~\\&|EPIC\rBHS|^~\\&|EPIC\r"u8.ToArray()
            .Concat(Fixtures.Bytes("adt_a01_epic_v251.hl7"))
            .Concat("\n"u8.ToArray())
            .Concat(Fixtures.Bytes("dft_p03_epic_v251.hl7"))
            .Concat("BTS|2\rFTS|1\r"u8.ToArray())
            .ToArray();
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            Hl7InspectReport.WriteAll(writer, file, Fixtures.Tokenize, Fixtures.Now);
        }

        var reports = JsonDocument.Parse(buffer.WrittenMemory).RootElement.EnumerateArray().ToList();
        Assert.Equal(2, reports.Count);
        Assert.All(reports, r => Assert.True(r.GetProperty("accepted").GetBoolean()));
        Assert.Equal(3, reports[1].GetProperty("events").GetArrayLength());
    }

    [Fact]
    public void A_framed_file_with_several_frames_gives_one_message_per_frame()
    {
        byte[] file = [.. MllpFrameEncoder.Encode(Fixtures.Bytes("adt_a04_register_v25.hl7")), .. MllpFrameEncoder.Encode(Fixtures.Bytes("adt_a06_v24.hl7"))];
        Assert.Equal(2, Hl7InspectReport.SplitMessages(file).Count);
    }
}
