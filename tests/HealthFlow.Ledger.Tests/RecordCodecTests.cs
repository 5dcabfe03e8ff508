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

    [Theory]
    [InlineData(1)]
    [InlineData(64)]
    [InlineData(700)]
    public void A_reused_commit_buffer_chains_commits_of_any_size_exactly_as_the_documented_format(int count)
    {
        // Payloads of 0 to 199 bytes put prevHash in one SHA-256 block or across two.
        var entries = Enumerable.Range(0, count)
            .Select(i => new LedgerEntry("stream/" + i, "Record", "", "corr", "", RandomNumberGenerator.GetBytes((i * 7) % 200)))
            .ToArray();
        var previous = SHA256.HashData("earlier record"u8);
        var commit = new CommitBuffer();
        for (var round = 0; round < 3; round++) // one buffer reused, as the write loop does
        {
            commit.Start(100 * round, previous, Time);
            foreach (var entry in entries)
                commit.Add(entry);
            var bytes = commit.Bytes.ToArray();

            var expected = new List<byte>();
            var prev = previous;
            for (var i = 0; i < count; i++)
            {
                var record = Expected(entries[i], (100 * round) + i, prev);
                expected.AddRange(record);
                prev = record[^32..];
            }
            Assert.Equal(expected, bytes);
            Assert.Equal(prev, commit.LastHash);
            previous = prev;
        }
    }

    [Theory]
    [InlineData('€', 21_845, true)] // 65,535 UTF-8 bytes: the limit
    [InlineData('€', 21_846, false)]
    [InlineData('a', 65_535, true)] // more characters than are safe unseen, so they are counted
    [InlineData('a', 65_536, false)]
    public void Text_fields_are_limited_by_their_UTF8_bytes_not_their_characters(char character, int count, bool accepted)
    {
        var entry = new LedgerEntry("stream", "Type", "", new string(character, count), "", Array.Empty<byte>());
        var output = new ArrayBufferWriter<byte>();
        var check = Record.Exception(() => RecordCodec.CheckEncodable(entry));
        var encode = Record.Exception(() => RecordCodec.Encode(entry, 0, Time, RecordCodec.Genesis, output, new byte[32]));
        Assert.Equal(accepted, check is null);
        Assert.Equal(accepted, encode is null);
        if (!accepted)
        {
            Assert.IsType<ArgumentException>(check);
            Assert.IsType<ArgumentException>(encode);
            Assert.Equal(0, output.WrittenCount);
        }
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
