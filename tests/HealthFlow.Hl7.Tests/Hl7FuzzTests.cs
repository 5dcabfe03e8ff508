using System.Buffers;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using HealthFlow.Hl7.Generation;
using HealthFlow.Hl7.Mllp;

namespace HealthFlow.Hl7.Tests;

/// <summary>The reader, the ACK builder and the MLLP decoder never throw on input, whatever it is.</summary>
public class Hl7FuzzTests
{
    private static readonly Config Quick = Config.QuickThrowOnFailure.WithMaxTest(400);

    private static readonly string[] Pieces =
    [
        "MSH|^~\\&|", "MSH|^~\\&#|", "MSH", "PID", "PV1", "PV2", "EVN", "FT1", "ZFT", "ERR", "|", "^", "~", "\\", "&", "#",
        "\r", "\n", "\r\n", "\\F\\", "\\X41\\", "\\X4", "\\.br\\", "\\E", "ADT^A01", "ADT^A03^ADT_A03", "DFT^P03", "2.5.1", "2.3",
        "CG", "CD", "12.50", "-3", "99999999999999999999999999999", "20260101", "202613320000", "+0500", "\"\"", "P", "A11",
        "\u0000", "\u000B", "\u001C", "é", "\uFFFD", " ", "1", "V1", "M1^^^F^MR",
    ];

    /// <summary>Checks the read result's invariants and that an ACK can always be built and parsed back.</summary>
    private static bool Holds(Hl7ReadResult result)
    {
        if (result.IsAccepted != (result.Message is not null))
        {
            return false;
        }

        if (!result.IsAccepted && (result.Facts.Count != 0 || !result.Errors.Any(e => e.Severity == Hl7Severity.Error)))
        {
            return false;
        }

        var ack = Hl7AckBuilder.Build(result, Fixtures.Now);
        var parsedAck = Hl7Parser.Parse(ack);
        return parsedAck.IsSuccess && parsedAck.Message!.GetValue("MSA-1") == Hl7AckBuilder.AckCodeText(result.AckCode);
    }

    [Fact]
    public void The_reader_never_throws_on_arbitrary_bytes()
    {
        var property = Prop.ForAll(ArbMap.Default.ArbFor<byte[]>(), bytes => Holds(Hl7Reader.Read(bytes, Fixtures.Tokenize)));
        Check.One(Quick, property);
    }

    [Fact]
    public void The_reader_never_throws_on_HL7_shaped_text()
    {
        var text = Gen.ListOf(Gen.Elements(Pieces)).Select(parts => string.Concat(parts));
        var withHeader = Gen.Elements("MSH|^~\\&|A|F|H|F|20260101||ADT^A01|C1|P|2.5\r", "MSH|^~\\&|A|F|H|F|20260101||DFT^P03|C1|P|2.3\r", string.Empty)
            .SelectMany(header => text.Select(body => header + body));
        var property = Prop.ForAll(withHeader.ToArbitrary(), value => Holds(Hl7Reader.Read(value, Fixtures.Tokenize)));
        Check.One(Quick.WithMaxTest(1500), property);
    }

    [Fact]
    public void The_MLLP_decoder_never_throws_and_finds_the_same_frames_however_the_bytes_are_split()
    {
        var chunks = Gen.ListOf(Gen.Elements<byte>(0x0B, 0x1C, 0x0D, 0x0A, (byte)'M', (byte)'|', 0x00, 0xFF).ArrayOf());
        var property = Prop.ForAll(chunks.ToArbitrary(), parts =>
        {
            var whole = parts.SelectMany(p => p).ToArray();
            var oneRead = Decode([whole]);
            var manyReads = Decode([.. parts]);
            return oneRead.SequenceEqual(manyReads);
        });
        Check.One(Quick, property);
    }

    /// <summary>Frames (as text) and framing events; with the same bytes, splitting must not change them.</summary>
    private static List<string> Decode(List<byte[]> chunks)
    {
        var decoder = new MllpFrameDecoder(new MllpDecoderOptions { MaxFrameBytes = 64 });
        var pending = Array.Empty<byte>();
        var seen = new List<string>();
        for (var i = 0; i < chunks.Count || i == 0; i++)
        {
            pending = i < chunks.Count ? [.. pending, .. chunks[i]] : pending;
            var last = i >= chunks.Count - 1;
            while (true)
            {
                var buffer = new ReadOnlySequence<byte>(pending);
                var result = decoder.Decode(ref buffer, last);
                pending = buffer.ToArray();
                if (result.Status == MllpDecodeStatus.NeedMoreData || result.Status == MllpDecodeStatus.EndOfStream)
                {
                    break;
                }

                seen.Add(result.Status == MllpDecodeStatus.Frame ? "frame:" + Convert.ToHexString(result.Payload.ToArray()) : result.Status.ToString());
            }
        }

        // Junk reports may be split differently (junk arriving in two reads is two reports); only frames must match.
        return seen.Where(s => s.StartsWith("frame:", StringComparison.Ordinal)).ToList();
    }

    [Fact]
    public void Seeded_mutations_of_fixtures_and_generated_traffic_never_make_the_reader_throw()
    {
        var seed = Environment.GetEnvironmentVariable("HL7_FUZZ_SEED") is { } text ? int.Parse(text, System.Globalization.CultureInfo.InvariantCulture) : 20260105;
        var random = new Random(seed);
        var corpus = Directory.EnumerateFiles(Fixtures.Directory, "*.hl7", SearchOption.AllDirectories).Select(File.ReadAllBytes).ToList();
        var generator = new Hl7Generator(seed);
        corpus.AddRange(generator.NextEncounter().Select(m => m.ToBytes()));
        byte[] interesting = "|^~\\&\r\n\u000B\u001C0123456789.-+\"#"u8.ToArray();
        var iteration = 0;
        try
        {
            for (iteration = 0; iteration < 5000; iteration++)
            {
                var input = corpus[random.Next(corpus.Count)].ToList();
                var mutations = 1 + random.Next(6);
                for (var m = 0; m < mutations && input.Count > 0; m++)
                {
                    var at = random.Next(input.Count);
                    switch (random.Next(6))
                    {
                        case 0: input[at] = (byte)random.Next(256); break;
                        case 1: input[at] = interesting[random.Next(interesting.Length)]; break;
                        case 2: input.RemoveRange(at, Math.Min(random.Next(1, 40), input.Count - at)); break;
                        case 3: input.InsertRange(at, input.GetRange(at, Math.Min(random.Next(1, 80), input.Count - at))); break;
                        case 4: input.Insert(at, interesting[random.Next(interesting.Length)]); break;
                        default: input.RemoveRange(at, input.Count - at); break;
                    }
                }

                var bytes = input.ToArray();
                Assert.True(Holds(Hl7Reader.Read(bytes, Fixtures.Tokenize)));
                Assert.True(Holds(Hl7Reader.Read(bytes, Fixtures.Tokenize, new Hl7ReadOptions { RevenueCodeZField = "ZFT-2" })));
                var report = new ArrayBufferWriter<byte>();
                using (var writer = new System.Text.Json.Utf8JsonWriter(report))
                {
                    Hl7InspectReport.Write(writer, bytes, Fixtures.Tokenize, Fixtures.Now);
                }
            }
        }
        catch (Exception exception) when (exception is not Xunit.Sdk.XunitException)
        {
            Assert.Fail($"Reader threw at iteration {iteration} with HL7_FUZZ_SEED={seed}: {exception}");
        }
    }

    [Fact]
    public void Every_prefix_of_a_valid_message_reads_without_throwing()
    {
        var text = Encoding.UTF8.GetString(Fixtures.Bytes("dft_p03_epic_v251.hl7"));
        for (var length = 0; length <= text.Length; length++)
        {
            Assert.True(Holds(Hl7Reader.Read(text[..length], Fixtures.Tokenize)));
        }
    }
}
