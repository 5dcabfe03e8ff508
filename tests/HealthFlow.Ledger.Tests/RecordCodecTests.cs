using System.Buffers;
using System.Security.Cryptography;
using System.Text;

namespace HealthFlow.Ledger.Tests;

public sealed class RecordCodecTests
{
    private static readonly DateTimeOffset Time = new(2026, 11, 21, 23, 59, 59, TimeSpan.Zero);

    [Fact]
    public void Encoded_records_are_the_documented_format_chained_by_their_hashes()
    {
        // Multi-byte UTF-8 in the texts and an empty key: lengths are bytes, not characters.
        var first = new LedgerEntry("raw/x12", "Received", "", "corr-é", "caus-€", Encoding.UTF8.GetBytes("ISA*00*~"));
        var second = new LedgerEntry("journals", "Posted", "key-1", "corr-2", "", new byte[700]);
        var previous = SHA256.HashData("earlier record"u8);
        var commit = new CommitBuffer();
        commit.Start(41, previous, Time);
        commit.Add(first);
        commit.Add(second);

        var firstBytes = Expected(first, 41, previous);
        var secondBytes = Expected(second, 42, firstBytes[^32..]);
        Assert.Equal([.. firstBytes, .. secondBytes], commit.Bytes.ToArray());
        Assert.Equal(secondBytes[^32..], commit.LastHash);
        Assert.Equal(43, commit.NextSeq);
    }

    [Fact]
    public void A_text_field_over_65535_UTF8_bytes_is_refused_and_nothing_is_written()
    {
        var output = new ArrayBufferWriter<byte>();
        // 40,000 characters of two UTF-8 bytes each: within the limit as characters, over it as bytes.
        var entry = new LedgerEntry("stream", "Type", new string('é', 40_000), "", "", Array.Empty<byte>());
        Assert.Throws<ArgumentException>(() => RecordCodec.Encode(entry, 0, Time, RecordCodec.Genesis, output, new byte[32]));
        Assert.Equal(0, output.WrittenCount);
    }

    /// <summary>The record format as docs/LEDGER.md and <see cref="RecordCodec"/> describe it, written out field by field (BinaryWriter is little-endian).</summary>
    private static byte[] Expected(LedgerEntry entry, long seq, byte[] prevHash)
    {
        var body = new MemoryStream();
        using (var writer = new BinaryWriter(body))
        {
            writer.Write(RecordCodec.Version);
            writer.Write(seq);
            writer.Write(Time.UtcTicks);
            foreach (var text in new[] { entry.Stream, entry.Type, entry.Key, entry.CorrelationId, entry.CausationId })
            {
                var utf8 = Encoding.UTF8.GetBytes(text);
                writer.Write((ushort)utf8.Length);
                writer.Write(utf8);
            }
            writer.Write(entry.Payload.Length);
            writer.Write(entry.Payload.Span);
            writer.Write(prevHash);
        }
        var bodyBytes = body.ToArray();
        var frame = new MemoryStream();
        using (var writer = new BinaryWriter(frame))
        {
            writer.Write(bodyBytes.Length + 32); // the length prefix counts the bytes after it, hash included
            writer.Write(bodyBytes);
        }
        var hashed = frame.ToArray();
        return [.. hashed, .. SHA256.HashData(hashed)];
    }
}
