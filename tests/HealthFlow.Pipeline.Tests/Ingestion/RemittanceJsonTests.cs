using System.Buffers;
using System.Text;
using System.Text.Json;
using HealthFlow.Finance.Events;
using HealthFlow.Pipeline.Ingestion;
using HealthFlow.Pipeline.Ingestion.X12;
using HealthFlow.Tests.Shared;
using HealthFlow.X12;
using ClaimPayment = HealthFlow.X12.ClaimPayment;
using ProviderAdjustment = HealthFlow.X12.ProviderAdjustment;

namespace HealthFlow.Pipeline.Tests.Ingestion;

/// <summary>
/// <see cref="RemittanceJson"/> (the processor's one path for 835s) writes, for every remittance it is given, the bytes
/// <see cref="EventJson.Serialize"/> writes for the reference mapping <see cref="X12Processor.ToEvent"/> of the same document.
/// </summary>
public sealed class RemittanceJsonTests
{
    private const string Correlation = "rcp_é<&'\"+1";

    public static TheoryData<string> Fixtures() =>
        [.. Directory.EnumerateFiles(SourceTree.PathOf("tests/fixtures/x12"), "*.835").Select(p => Path.GetFileName(p)).Order(StringComparer.Ordinal)];

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Each_fixture_remittance_is_written_as_its_mapped_event_serialises(string fixture) =>
        Assert.NotEqual(0, AssertWrittenAsMapped(File.ReadAllBytes(SourceTree.PathOf("tests/fixtures/x12/" + fixture))));

    [CorpusFact]
    public void Each_corpus_remittance_is_written_as_its_mapped_event_serialises()
    {
        var remittances = Directory.EnumerateFiles(CorpusFactAttribute.Folder!).Sum(file => AssertWrittenAsMapped(File.ReadAllBytes(file)));
        Assert.True(remittances >= 10, $"only {remittances} remittances in the corpus");
    }

    /// <summary>Generated 835s: CAS at both levels, PLB, denials, reversals and corrections, unusual delimiters.</summary>
    [Fact]
    public void Each_generated_remittance_is_written_as_its_mapped_event_serialises()
    {
        var remittances = 0;
        for (var seed = 1; seed <= 40; seed++)
        {
            var generator = new X12Generator(seed);
            var delimiters = seed % 3 == 0 ? new X12Delimiters((byte)'|', (byte)'!', (byte)'>', (byte)'\n') : (X12Delimiters?)null;
            remittances += AssertWrittenAsMapped(Write(s => generator.Write835(s, 1, claimsPerTransactionSet: 1 + (seed % 7), setsPerInterchange: 1 + (seed % 3), delimiters)));
            remittances += AssertWrittenAsMapped(Write(s => generator.Write835For(s, generator.CreateClaimBatch(seed % 2 == 0 ? ClaimKind.Professional : ClaimKind.Institutional, 30).Claims, delimiters)));
            remittances += AssertWrittenAsMapped(Write(s => generator.Write835Corrections(s, delimiters)));
        }

        Assert.True(remittances > 100, $"only {remittances} remittances");
    }

    /// <summary>
    /// Generated 835s with odd values put in: amounts of other scales, signs and sizes (negative zero, more digits than a
    /// long holds), non-ASCII and JSON-escaped text in names, ids and trace numbers, and optional parts left out (member
    /// ids, names, payer ids, NPIs, dates, the trace), balanced or not as it comes out.
    /// </summary>
    [Fact]
    public void Remittances_with_odd_values_are_written_as_their_mapped_events_serialise()
    {
        var remittances = 0;
        for (var seed = 1; seed <= 60; seed++)
        {
            var generated = Write(s => new X12Generator(seed).Write835(s, 1, claimsPerTransactionSet: 1 + (seed % 9), setsPerInterchange: 2));
            remittances += AssertWrittenAsMapped(WithOddValues(generated, seed));
        }

        Assert.True(remittances >= 100, $"only {remittances} remittances");
    }

    /// <summary>Each character up to U+2FFF, alone and among others, in the event's strings, is escaped or not as the serializer does it.</summary>
    [Fact]
    public void Every_character_is_escaped_as_the_serializer_escapes_it()
    {
        var characters = Enumerable.Range(0, 0x3000).Select(c => (char)c).Where(c => !char.IsSurrogate(c)).ToArray();
        var texts = characters.Select(c => c.ToString()).Concat(characters.Chunk(7).Select(chunk => "A" + new string(chunk)));
        var writer = new EventWriter();
        foreach (var text in texts)
        {
            var claim = new ClaimPayment { PatientControlNumber = text, Status = text, PayerClaimControlNumber = text };
            var remittance = new Remittance
            {
                PayerName = text, PayeeName = text, TraceNumber = text, PaymentMethod = text, Claims = [claim],
                ProviderAdjustments = [new ProviderAdjustment(null, null, text, text, 1m)],
            };
            AssertWrittenAsMapped(writer, remittance, text, text);
        }
    }

    /// <summary>Amounts the own formatter declines (negative zero, more than 64 bits of digits, a scale above 19) are written as the serializer writes them.</summary>
    [Fact]
    public void Amounts_beyond_the_formatter_are_written_as_the_serializer_writes_them()
    {
        var claim = new ClaimPayment { PatientControlNumber = "PCN1", Status = "1", Charge = 12345678901234567890123.45m, Paid = new decimal(1, 0, 0, false, 25), PatientResponsibility = new decimal(0, 0, 0, true, 2) };
        var remittance = new Remittance { PaymentAmount = new decimal(0, 0, 0, true, 2), Claims = [claim], ProviderAdjustments = [new ProviderAdjustment(null, null, "WO", null, -7_922_816_251_426_433_759_354_395.033m)] };

        AssertWrittenAsMapped(new EventWriter(), remittance, "x12:key", "x12:cause");
    }

    /// <summary>The amounts' own formatter writes what <see cref="Utf8JsonWriter"/> writes for every decimal it takes, and declines the rest.</summary>
    [Fact]
    public void Amounts_are_formatted_as_the_json_writer_formats_them()
    {
        var random = new Random(7);
        var values = new List<decimal> { 0m, -0m, 0.00m, new(0, 0, 0, true, 2), 1m, -1m, 0.05m, -0.05m, 10.10m, decimal.MaxValue, decimal.MinValue, ulong.MaxValue, -(decimal)ulong.MaxValue, ulong.MaxValue + 1m, new(1, 0, 0, false, 28), new(-1, -1, 0, true, 28) };
        for (var i = 0; i < 200_000; i++)
        {
            var high = random.Next(4) == 0 ? random.Next() : 0;
            values.Add(new decimal(random.Next(int.MinValue, int.MaxValue), random.Next(3) == 0 ? random.Next(int.MinValue, int.MaxValue) : 0, high, random.Next(2) == 0, (byte)random.Next(29)));
        }

        var formatted = 0;
        var text = new byte[RemittanceJson.MaxDecimalLength];
        foreach (var value in values)
        {
            if (!RemittanceJson.TryFormat(value, text, out var written))
                continue;
            Assert.Equal(JsonWritten(value), Encoding.ASCII.GetString(text, 0, written));
            formatted++;
        }

        Assert.True(formatted > values.Count / 3, $"only {formatted} of {values.Count} formatted");
    }

    private static string JsonWritten(decimal value)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
            writer.WriteNumberValue(value);
        return Encoding.ASCII.GetString(buffer.WrittenSpan);
    }

    /// <summary>Writes every remittance of <paramref name="x12"/> both ways and compares; returns how many there were.</summary>
    private static int AssertWrittenAsMapped(byte[] x12)
    {
        var writer = new EventWriter();
        var remittances = 0;
        X12Parser.Parse(x12, new X12ParseOptions
        {
            TokenizePhi = value => "pt_" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(value)))[..12],
            RetainDocuments = false,
            TransactionSetCompleted = (interchange, group, set) =>
            {
                if (set.RemittanceData is not { } records)
                    return;
                var key = $"x12:{interchange.SenderQualifier}:{interchange.SenderId}:{interchange.ControlNumber}:{group.ControlNumber}:{set.ControlNumber}";
                AssertWrittenAsMapped(writer, set.Remittance!, records, key, $"x12:{interchange.SenderId}<{set.ControlNumber}>");
                remittances++;
            },
        });
        return remittances;
    }

    private static void AssertWrittenAsMapped(EventWriter writer, Remittance remittance, string key, string causation) =>
        AssertWrittenAsMapped(writer, remittance, RemittanceData.Of(remittance), key, causation);

    /// <summary>The JSON written from the records as the reference mapping of the document serialises.</summary>
    private static void AssertWrittenAsMapped(EventWriter writer, Remittance remittance, RemittanceData records, string key, string causation)
    {
        var expected = X12Processor.ToEvent(remittance, key, Correlation, causation);
        var written = RemittanceJson.Write(writer, records, key, Correlation, causation);
        Assert.Equal(Encoding.UTF8.GetString(EventJson.Serialize(expected)), Encoding.UTF8.GetString(written.Message.Body.Span));
        Assert.Equal((expected.Topic, expected.IdempotencyKey, expected.EventType, expected.SessionKey, expected.CorrelationId, expected.CausationId),
            (written.Topic, written.Message.MessageId, written.Message.Type, written.Message.SessionKey, written.Message.CorrelationId, written.Message.CausationId));
    }

    private static byte[] Write(Action<Stream> write)
    {
        using var stream = new MemoryStream();
        write(stream);
        return stream.ToArray();
    }

    private static byte[] WithOddValues(byte[] x12, int seed)
    {
        string[] amounts = ["0", "-0.00", "-0", "0.5", ".75", "-12.345", "100", "0.0001", "1234567890.123456", "99999999999999.99", "007.10", "-1", "123456789012345678901.5"];
        string[] texts = ["MÜLLER", "O'BRIEN & SONS <LLC>", "日本 病院", "\"QUOTED\"", "ÉCOLE+1", "EMOJI 😀", "BACK\\SLASH", "`TICK` AND TAB\t"];
        var random = new Random(seed);
        string Amount(string value) => random.Next(3) == 0 ? amounts[random.Next(amounts.Length)] : value;
        string Text(string value) => random.Next(3) == 0 ? value + texts[random.Next(texts.Length)] : value;
        bool Drop() => random.Next(4) == 0;

        var segments = Encoding.UTF8.GetString(x12).Split('~');
        for (var i = 0; i < segments.Length; i++)
        {
            var elements = segments[i].Split('*');
            var id = elements[0].Trim();
            switch (id)
            {
                case "BPR":
                    elements[2] = Amount(elements[2]);
                    if (Drop())
                        elements = elements[..16];
                    break;
                case "TRN":
                    elements[2] = Text(elements[2]);
                    if (Drop())
                        elements = [elements[0]];
                    break;
                case "N1":
                    elements[2] = Text(elements[2]);
                    if (elements.Length > 3 && Drop())
                        elements[3] = random.Next(2) == 0 ? "FI" : "";
                    break;
                case "REF" when elements[1] == "2U" && Drop():
                    elements = [elements[0]];
                    break;
                case "CLP":
                    elements[1] = Text(elements[1]);
                    elements[3] = Amount(elements[3]);
                    elements[4] = Amount(elements[4]);
                    elements[5] = Amount(elements[5]);
                    elements[7] = Drop() ? "" : Text(elements[7]);
                    break;
                case "NM1":
                    elements[3] = Text(elements[3]);
                    if (Drop())
                        elements = elements[..(random.Next(2) == 0 ? 5 : 3)];
                    break;
                case "SVC":
                    elements[2] = Amount(elements[2]);
                    elements[3] = Amount(elements[3]);
                    if (Drop())
                        (elements[1], elements[4]) = ("NU:0250", "0250");
                    break;
                case "CAS":
                    elements[3] = Amount(elements[3]);
                    break;
                case "PLB":
                    elements[4] = Amount(elements[4]);
                    break;
                default:
                    break;
            }

            segments[i] = string.Join('*', elements);
        }

        return Encoding.UTF8.GetBytes(string.Join('~', segments));
    }

    /// <summary>A fact that runs only when the X12 corpus (<c>shared/corpus/x12</c>) sits beside the repository; skipped, not passed, otherwise.</summary>
    private sealed class CorpusFactAttribute : FactAttribute
    {
        public static readonly string? Folder = SourceTree.CorpusOf("x12");

        public CorpusFactAttribute()
        {
            if (Folder is null)
                Skip = "X12 corpus folder (shared/corpus/x12) not found beside the repository";
        }
    }
}
