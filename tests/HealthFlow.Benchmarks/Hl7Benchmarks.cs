using System.Security.Cryptography;
using System.Text;
using BenchmarkDotNet.Attributes;
using HealthFlow.Hl7;
using HealthFlow.Hl7.Generation;
using HealthFlow.Hl7.Mllp;

namespace HealthFlow.Benchmarks;

/// <summary>
/// HL7 v2 on one thread, no I/O: bytes of an MLLP frame payload → read (parse, validate, tokenise PID-3 with
/// HMAC-SHA256) → canonical facts → ACK text → MLLP-framed ACK bytes. Time per message (OperationsPerInvoke);
/// messages/s = 1 s / mean. The end-to-end MLLP + durable figure is measured separately by the Pipeline.
/// Run: <c>dotnet run -c Release --project tests/HealthFlow.Benchmarks -- --filter '*Hl7*'</c>.
/// </summary>
[MemoryDiagnoser]
public class Hl7Benchmarks
{
    private const int MessageCount = 1000;
    private static readonly byte[] TokenKey = Encoding.UTF8.GetBytes("benchmark-token-key");
    private static readonly DateTimeOffset Now = new(2026, 1, 15, 12, 0, 0, TimeSpan.Zero);
    private static readonly Func<string, string> Tokenizer =
        value => Convert.ToHexStringLower(HMACSHA256.HashData(TokenKey, Encoding.UTF8.GetBytes(value)));

    private byte[][] _adt = [];
    private byte[][] _dft = [];
    private byte[] _adtStream = [];

    [GlobalSetup]
    public void Setup()
    {
        var generator = new Hl7Generator(2026);
        Hl7AdtEvent[] mix = [Hl7AdtEvent.A01, Hl7AdtEvent.A03, Hl7AdtEvent.A08, Hl7AdtEvent.A04, Hl7AdtEvent.A02];
        _adt = Enumerable.Range(0, MessageCount).Select(i => generator.NextAdt(mix[i % mix.Length]).ToBytes()).ToArray();
        _dft = Enumerable.Range(0, MessageCount).Select(_ => generator.NextDft().ToBytes()).ToArray();
        _adtStream = _adt.SelectMany(message => MllpFrameEncoder.Encode(message)).ToArray();
    }

    [Benchmark(OperationsPerInvoke = MessageCount)]
    public int Adt_parse_only()
    {
        var segments = 0;
        foreach (var message in _adt)
        {
            segments += Hl7Parser.Parse(message).Message!.SegmentCount;
        }

        return segments;
    }

    [Benchmark(OperationsPerInvoke = MessageCount)]
    public int Adt_read_facts_ack_frame()
    {
        var bytes = 0;
        foreach (var message in _adt)
        {
            var result = Hl7Reader.Read(message, Tokenizer);
            var ack = Hl7AckBuilder.Build(result, Now);
            bytes += MllpFrameEncoder.Encode(ack).Length + result.Facts.Count;
        }

        return bytes;
    }

    [Benchmark(OperationsPerInvoke = MessageCount)]
    public int Dft_read_facts_ack_frame()
    {
        var bytes = 0;
        foreach (var message in _dft)
        {
            var result = Hl7Reader.Read(message, Tokenizer);
            var ack = Hl7AckBuilder.Build(result, Now);
            bytes += MllpFrameEncoder.Encode(ack).Length + result.Facts.Count;
        }

        return bytes;
    }

    /// <summary>As a connection sees it: frames out of one buffer (1,000 frames back to back), read, ACK framed into a pipe-like writer.</summary>
    [Benchmark(OperationsPerInvoke = MessageCount)]
    public long Adt_mllp_decode_read_ack_encode()
    {
        var decoder = new MllpFrameDecoder();
        var output = new System.Buffers.ArrayBufferWriter<byte>(256 * 1024);
        var buffer = new System.Buffers.ReadOnlySequence<byte>(_adtStream);
        while (true)
        {
            var decoded = decoder.Decode(ref buffer, isCompleted: true);
            if (decoded.Status != MllpDecodeStatus.Frame)
            {
                break;
            }

            var result = Hl7Reader.Read(decoded.Payload, Tokenizer);
            MllpFrameEncoder.Write(output, Hl7AckBuilder.Build(result, Now));
        }

        return output.WrittenCount;
    }
}
