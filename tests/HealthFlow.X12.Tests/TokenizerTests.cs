using System.Text;

namespace HealthFlow.X12.Tests;

public sealed class TokenizerTests
{
    private static List<string> Segments(string text, out X12Delimiters delimiters)
    {
        using var reader = new X12SegmentReader(new MemoryStream(Encoding.Latin1.GetBytes(text)));
        var segments = new List<string>();
        delimiters = default;
        while (reader.Read() == X12ReadResult.Segment)
        {
            segments.Add(Encoding.Latin1.GetString(reader.Current.Raw));
            delimiters = reader.Delimiters;
        }

        return segments;
    }

    [Fact]
    public void Delimiters_come_from_the_fixed_width_isa()
    {
        var text = X12TestFiles.Interchange("HP", "005010X221A1", ("835", "0001", X12TestFiles.MinimalRemittanceBody))
            .Replace('*', '|').Replace(':', '>').Replace("~\n", "\r\n", StringComparison.Ordinal).Replace("|^|", "|!|", StringComparison.Ordinal);
        var segments = Segments(text, out var delimiters);
        Assert.Equal(new X12Delimiters((byte)'|', (byte)'!', (byte)'>', (byte)'\r'), delimiters);
        Assert.Equal("GS|HP|SENDER|RECEIVER|20260110|1200|1|X|005010X221A1", segments[1]);
        Assert.Equal(14, segments.Count);
    }

    [Fact]
    public void Newline_terminated_segments_and_no_line_breaks_both_tokenise()
    {
        var wrapped = X12TestFiles.Interchange("HP", "005010X221A1", ("835", "0001", X12TestFiles.MinimalRemittanceBody));
        var unwrapped = wrapped.Replace("\n", "", StringComparison.Ordinal);
        var newlineOnly = wrapped.Replace("~\n", "\n", StringComparison.Ordinal);
        var a = Segments(wrapped, out _);
        Assert.Equal(a, Segments(unwrapped, out _));
        Assert.Equal(a, Segments(newlineOnly, out var newline));
        Assert.Equal((byte)'\n', newline.Segment);
    }

    [Fact]
    public void Files_wrapped_at_a_fixed_width_read_like_unwrapped_ones()
    {
        var unwrapped = X12TestFiles.Interchange("HP", "005010X221A1", ("835", "0001", X12TestFiles.MinimalRemittanceBody)).Replace("\n", "", StringComparison.Ordinal);
        var wrapped = string.Join("\r\n", unwrapped.Chunk(80).Select(c => new string(c)));
        var a = X12TestFiles.Parse(unwrapped);
        var b = X12TestFiles.Parse(wrapped);
        Assert.True(b.AllAccepted, string.Join(",", X12TestFiles.Codes(b)));
        Assert.Equal(X12TestFiles.Json(X12TestFiles.SingleSet(a).Remittance), X12TestFiles.Json(X12TestFiles.SingleSet(b).Remittance));
    }

    [Fact]
    public void Elements_and_components_are_addressed_from_one()
    {
        using var reader = new X12SegmentReader(new MemoryStream(Encoding.Latin1.GetBytes(
            X12TestFiles.Interchange("HP", "005010X221A1", ("835", "0001", ["SVC*HC:99214:25*300.00*200.00**1"])))));
        X12ReadResult status;
        while ((status = reader.Read()) == X12ReadResult.Segment && !reader.Current.Is("SVC"u8))
        {
        }

        Assert.Equal(X12ReadResult.Segment, status);
        var svc = reader.Current;
        Assert.Equal(5, svc.ElementCount);
        Assert.Equal("HC", svc.Text(1, 1));
        Assert.Equal("25", svc.Text(1, 3));
        Assert.Null(svc.Text(1, 4));
        Assert.Null(svc.Text(4));
        Assert.Null(svc.Text(9));
        Assert.Equal("300.00", svc.Text(2));
    }

    [Fact]
    public void Segments_of_every_length_and_separator_count_split_as_their_text_does()
    {
        // Around the reader's one-block paths: lengths to 100 bytes, up to about 100 separators, runs of empty elements.
        var random = new Random(4);
        var body = new List<string>();
        for (var length = 2; length <= 100; length++)
        {
            for (var round = 0; round < 20; round++)
            {
                var separatorShare = random.NextDouble();
                var tail = Enumerable.Range(0, length - 2).Select(_ => random.NextDouble() < separatorShare ? '*' : (char)('A' + random.Next(26)));
                body.Add("ZZ" + string.Concat(tail));
            }
        }

        var bytes = Encoding.Latin1.GetBytes(X12TestFiles.Interchange("HP", "005010X221A1", ("835", "0001", [.. body])));
        using var reader = new X12SegmentReader(new MemoryStream(bytes));
        var checkedSegments = 0;
        while (reader.Read() == X12ReadResult.Segment)
        {
            var segment = reader.Current;
            var text = Encoding.Latin1.GetString(segment.Raw);
            if (!text.StartsWith("ZZ", StringComparison.Ordinal))
            {
                continue;
            }

            var parts = text.Split('*');
            Assert.Equal(body[checkedSegments++], text);
            Assert.Equal(parts.Length - 1, segment.ElementCount);
            for (var i = 0; i < parts.Length; i++)
            {
                Assert.Equal(parts[i], Encoding.Latin1.GetString(segment.Element(i)));
            }
        }

        Assert.Equal(body.Count, checkedSegments);
    }

    [Fact]
    public void Concatenated_interchanges_with_different_delimiters_each_use_their_own()
    {
        var first = X12TestFiles.Interchange("HP", "005010X221A1", ("835", "0001", X12TestFiles.MinimalRemittanceBody));
        var second = first.Replace('*', '|').Replace("~\n", "#", StringComparison.Ordinal);
        var result = X12TestFiles.Parse(first + second);
        Assert.Equal(2, result.Interchanges.Count);
        Assert.True(result.AllAccepted, string.Join(",", X12TestFiles.Codes(result)));
        Assert.Equal((byte)'#', result.Interchanges[1].Delimiters.Segment);
    }

    [Fact]
    public void Byte_order_mark_and_leading_whitespace_are_ignored()
    {
        var text = "\uFEFF".Normalize() + "\r\n  " + X12TestFiles.Interchange("HP", "005010X221A1", ("835", "0001", X12TestFiles.MinimalRemittanceBody));
        var bytes = Encoding.UTF8.GetBytes(text);
        var result = X12Parser.Parse(bytes, X12TestFiles.Options);
        Assert.True(result.AllAccepted, string.Join(",", X12TestFiles.Codes(result)));
    }

    [Fact]
    public void A_ten_megabyte_segment_is_reported_and_skipped_with_bounded_memory()
    {
        var body = X12TestFiles.MinimalRemittanceBody.ToList();
        body.Insert(5, "NTE*ADD*" + new string('X', 10 * 1024 * 1024));
        var result = X12TestFiles.Parse(X12TestFiles.Interchange("HP", "005010X221A1", ("835", "0001", [.. body])));
        var error = Assert.Single(result.AllErrors, e => e.Level == X12ErrorLevel.Element);
        Assert.Equal(("5", "NTE", 9), (error.Code, error.SegmentId, error.Position));
        Assert.False(result.AllAccepted);

        // The set still closes: everything after the long segment was read.
        Assert.Single(X12TestFiles.SingleSet(result).Remittance!.Claims);
    }

    [Fact]
    public void A_stream_that_delivers_a_few_bytes_at_a_time_gives_the_same_result()
    {
        using var generated = new MemoryStream();
        new X12Generator(5).Write835(generated, 1, claimsPerTransactionSet: 20, setsPerInterchange: 3);
        var bytes = generated.ToArray();
        var whole = X12Parser.Parse(bytes, X12TestFiles.Options);
        var trickled = X12Parser.Parse(new TricklingStream(bytes, seed: 9), X12TestFiles.Options);
        Assert.True(trickled.AllAccepted, string.Join(",", X12TestFiles.Codes(trickled)));
        Assert.Equal(
            X12TestFiles.Json(whole.TransactionSets.Select(t => t.Set.Remittance)),
            X12TestFiles.Json(trickled.TransactionSets.Select(t => t.Set.Remittance)));
        Assert.Equal(bytes.Length, trickled.BytesRead);
    }

    /// <summary>Returns 1–7 bytes per read, to exercise every buffer boundary of the reader.</summary>
    private sealed class TricklingStream(byte[] data, int seed) : Stream
    {
        private readonly Random _random = new(seed);
        private int _position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => data.Length;

        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = Math.Min(Math.Min(count, _random.Next(1, 8)), data.Length - _position);
            Array.Copy(data, _position, buffer, offset, n);
            _position += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
