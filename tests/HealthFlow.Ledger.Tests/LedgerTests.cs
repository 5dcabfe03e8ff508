using System.Text;
using HealthFlow.Ledger.Storage;

namespace HealthFlow.Ledger.Tests;

public sealed class LedgerTests : IDisposable
{
    private readonly TemporaryFolder _folder = new();
    private static readonly LedgerOptions SmallSegments = new() { SegmentMaxBytes = 4096 };

    public void Dispose() => _folder.Dispose();

    private static LedgerEntry Entry(string stream, string key, string correlation = "", int size = 64) =>
        new(stream, "TestRecorded", key, correlation, "", Encoding.UTF8.GetBytes(key.PadRight(size, '.')));

    private string SegmentPath(int segment, string partition = "p0") =>
        Path.Combine(_folder.Path, "ledger", partition, $"{segment:D10}.seg");

    [Fact]
    public async Task Appended_records_read_back_by_position_stream_and_correlation()
    {
        using var store = FileBlobStore.OpenWritable(_folder.Path);
        await using var ledger = await BlobLedger.OpenAsync(store);
        var first = await ledger.AppendAsync(Entry("raw/acme", "a", "r1"));
        var second = await ledger.AppendAsync(Entry("topic/claims", "b", "r1"));
        var third = await ledger.AppendAsync(Entry("raw/acme", "c", "r2"));

        Assert.Equal([first + 1, first + 2], new[] { second, third });
        Assert.Equal("b", (await ledger.ReadAsync(second)).Key);
        Assert.Equal(["a", "c"], await ledger.ReadStreamAsync("raw/acme").Select(r => r.Key).ToListAsync());
        Assert.Equal(["a", "b"], await ledger.ReadCorrelationAsync("r1").Select(r => r.Key).ToListAsync());
        Assert.Equal(["c"], await ledger.ReadStreamAsync("raw/acme", third).Select(r => r.Key).ToListAsync());
    }

    [Fact]
    public async Task Records_survive_reopening_and_the_chain_continues()
    {
        using (var store = FileBlobStore.OpenWritable(_folder.Path))
        await using (var ledger = await BlobLedger.OpenAsync(store, SmallSegments))
        {
            for (var i = 0; i < 100; i++)
                await ledger.AppendAsync(Entry("s", $"k{i}", $"c{i % 7}"));
        }
        using (var store = FileBlobStore.OpenWritable(_folder.Path))
        await using (var ledger = await BlobLedger.OpenAsync(store, SmallSegments))
        {
            Assert.Null(ledger.Fault);
            var seq = await ledger.AppendAsync(Entry("s", "after"));
            Assert.Equal(ledger.Head - 1, seq);
            var keys = await ledger.ReadStreamAsync("s").Select(r => r.Key).ToListAsync();
            Assert.Equal([.. Enumerable.Range(0, 100).Select(i => $"k{i}"), "after"], keys);
            Assert.Equal(14, await ledger.ReadCorrelationAsync("c3").CountAsync()); // i % 7 == 3 for i < 100
        }
        using var reader = FileBlobStore.OpenReadOnly(_folder.Path);
        var verification = await LedgerVerifier.VerifyAsync(reader, SmallSegments);
        Assert.True(verification.Verified, verification.Fault?.ToString());
        Assert.True(verification.Segments > 3, "small segments must have rolled over");
    }

    [Fact]
    public async Task Concurrent_appends_get_dense_unique_sequence_numbers_in_few_commits()
    {
        using var store = FileBlobStore.OpenWritable(_folder.Path);
        await using var ledger = await BlobLedger.OpenAsync(store);
        var seqs = await Task.WhenAll(Enumerable.Range(0, 64).Select(w => Task.Run(async () =>
        {
            var mine = new List<long>();
            for (var i = 0; i < 50; i++)
                mine.Add(await ledger.AppendAsync(Entry("s", $"w{w}-{i}")));
            return mine;
        })));
        var all = seqs.SelectMany(s => s).Order().ToList();
        Assert.Equal(Enumerable.Range(1, 64 * 50).Select(i => (long)i), all);
        foreach (var mine in seqs)
            Assert.Equal(mine.Order(), mine); // one writer's appends keep their order
        var info = await store.GetInfoAsync("ledger/p0/0000000000.seg");
        Assert.NotNull(info);
    }

    [Fact]
    public async Task Batch_is_contiguous_and_in_order()
    {
        using var store = FileBlobStore.OpenWritable(_folder.Path);
        await using var ledger = await BlobLedger.OpenAsync(store);
        var first = await ledger.AppendBatchAsync([Entry("s", "x"), Entry("s", "y"), Entry("s", "z")]);
        Assert.Equal(["x", "y", "z"], await ledger.ReadAllAsync(first).Select(r => r.Key).ToListAsync());
    }

    [Fact]
    public async Task A_flipped_byte_is_named_by_verify_and_refuses_appends_until_repaired()
    {
        using (var store = FileBlobStore.OpenWritable(_folder.Path))
        await using (var ledger = await BlobLedger.OpenAsync(store, SmallSegments))
        {
            for (var i = 0; i < 200; i++)
                await ledger.AppendAsync(Entry("s", $"k{i}"));
        }
        // Flip one payload byte in the middle of segment 1.
        var path = SegmentPath(1);
        var bytes = await File.ReadAllBytesAsync(path);
        var at = bytes.Length / 2;
        bytes[at] ^= 0x20;
        await File.WriteAllBytesAsync(path, bytes);

        using (var reader = FileBlobStore.OpenReadOnly(_folder.Path))
        {
            var verification = await LedgerVerifier.VerifyAsync(reader, SmallSegments);
            Assert.False(verification.Verified);
            Assert.Equal("ledger/p0/0000000001.seg", verification.Fault!.Segment);
            Assert.True(verification.Fault.Offset <= at);
        }
        using (var store = FileBlobStore.OpenWritable(_folder.Path))
        {
            await using (var ledger = await BlobLedger.OpenAsync(store, SmallSegments))
            {
                Assert.NotNull(ledger.Fault);
                await Assert.ThrowsAsync<LedgerBrokenException>(async () => await ledger.AppendAsync(Entry("s", "refused")));
                Assert.Equal("k0", (await ledger.ReadAsync(1)).Key); // records before the break stay readable
            }
            var repaired = await BlobLedger.RepairAsync(store, "test: accepted loss after flipped byte", SmallSegments);
            Assert.NotNull(repaired);
            await using (var ledger = await BlobLedger.OpenAsync(store, SmallSegments))
            {
                Assert.Null(ledger.Fault);
                await ledger.AppendAsync(Entry("s", "after-repair"));
            }
        }
        using var verifier = FileBlobStore.OpenReadOnly(_folder.Path);
        var after = await LedgerVerifier.VerifyAsync(verifier, SmallSegments);
        Assert.True(after.Verified, after.Fault?.ToString());
        Assert.Contains(after.Notes, n => n.Contains("repair", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Every_single_flipped_byte_of_a_segment_is_detected()
    {
        using (var store = FileBlobStore.OpenWritable(_folder.Path))
        await using (var ledger = await BlobLedger.OpenAsync(store))
        {
            for (var i = 0; i < 5; i++)
                await ledger.AppendAsync(Entry("s", $"k{i}", size: 16));
        }
        var path = SegmentPath(0);
        var original = await File.ReadAllBytesAsync(path);
        for (var at = 0; at < original.Length; at++)
        {
            var damaged = (byte[])original.Clone();
            damaged[at] ^= 0x01;
            await File.WriteAllBytesAsync(path, damaged);
            using var reader = FileBlobStore.OpenReadOnly(_folder.Path);
            var verification = await LedgerVerifier.VerifyAsync(reader);
            // A flip in the last record's length field can make it look torn (never acknowledged); anything else is a fault.
            Assert.True(!verification.Verified || verification.Notes.Any(n => n.Contains("torn", StringComparison.Ordinal)), $"flip at byte {at} went unnoticed");
        }
        await File.WriteAllBytesAsync(path, original);
    }

    [Fact]
    public async Task A_torn_tail_is_cut_off_at_start_up_and_appends_go_on()
    {
        using (var store = FileBlobStore.OpenWritable(_folder.Path))
        await using (var ledger = await BlobLedger.OpenAsync(store))
        {
            for (var i = 0; i < 10; i++)
                await ledger.AppendAsync(Entry("s", $"k{i}"));
        }
        // The first 60 bytes of a record, as a crash between write and fsync can leave: copy the start of the last one.
        var path = SegmentPath(0);
        var bytes = await File.ReadAllBytesAsync(path);
        var last = 0;
        for (var at = 0; at < bytes.Length; at += BitConverter.ToInt32(bytes, at) + 4)
            last = at;
        await File.AppendAllBytesAsync(path, bytes.AsSpan(last, 60).ToArray());

        using (var store = FileBlobStore.OpenWritable(_folder.Path))
        await using (var ledger = await BlobLedger.OpenAsync(store))
        {
            Assert.Null(ledger.Fault);
            Assert.Contains(ledger.RecoveryNotes, n => n.Contains("torn tail of 60 bytes", StringComparison.Ordinal));
            await ledger.AppendAsync(Entry("s", "after"));
            Assert.Equal([.. Enumerable.Range(0, 10).Select(i => $"k{i}"), "after"], await ledger.ReadStreamAsync("s").Select(r => r.Key).ToListAsync());
        }
        using var reader = FileBlobStore.OpenReadOnly(_folder.Path);
        var verification = await LedgerVerifier.VerifyAsync(reader);
        Assert.True(verification.Verified, verification.Fault?.ToString());
        Assert.Contains(verification.Notes, n => n.Contains("60 bytes", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_missing_segment_is_named()
    {
        using (var store = FileBlobStore.OpenWritable(_folder.Path))
        await using (var ledger = await BlobLedger.OpenAsync(store, SmallSegments))
        {
            for (var i = 0; i < 200; i++)
                await ledger.AppendAsync(Entry("s", $"k{i}"));
        }
        File.Delete(SegmentPath(2));
        using var reader = FileBlobStore.OpenReadOnly(_folder.Path);
        var verification = await LedgerVerifier.VerifyAsync(reader, SmallSegments);
        Assert.Equal("ledger/p0/0000000002.seg", verification.Fault?.Segment);
        Assert.Contains("missing", verification.Fault!.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_removed_record_breaks_the_chain_where_it_was()
    {
        using (var store = FileBlobStore.OpenWritable(_folder.Path))
        await using (var ledger = await BlobLedger.OpenAsync(store))
        {
            for (var i = 0; i < 5; i++)
                await ledger.AppendAsync(Entry("s", $"k{i}", size: 100));
        }
        // Cut record 2 out of the middle (record 0 is the segment's opening record).
        var path = SegmentPath(0);
        var bytes = await File.ReadAllBytesAsync(path);
        var offsets = new List<int>();
        for (var at = 0; at < bytes.Length;)
        {
            offsets.Add(at);
            at += BitConverter.ToInt32(bytes, at) + 4;
        }
        var cut = bytes[..offsets[2]].Concat(bytes[offsets[3]..]).ToArray();
        await File.WriteAllBytesAsync(path, cut);

        using var verifier = FileBlobStore.OpenReadOnly(_folder.Path);
        var verification = await LedgerVerifier.VerifyAsync(verifier);
        Assert.Equal(offsets[2], verification.Fault?.Offset);
        Assert.Equal(3, verification.Fault!.Seq);
    }

    [Fact]
    public async Task Two_writers_on_one_partition_both_succeed_without_interleaving()
    {
        using var store = FileBlobStore.OpenWritable(_folder.Path);
        await using var one = await BlobLedger.OpenAsync(store, SmallSegments);
        await using var two = await BlobLedger.OpenAsync(store, SmallSegments);
        await Task.WhenAll(
            Task.Run(async () => { for (var i = 0; i < 150; i++) await one.AppendAsync(Entry("one", $"a{i}")); }),
            Task.Run(async () => { for (var i = 0; i < 150; i++) await two.AppendAsync(Entry("two", $"b{i}")); }));

        using var reader = FileBlobStore.OpenReadOnly(_folder.Path);
        var verification = await LedgerVerifier.VerifyAsync(reader, SmallSegments);
        Assert.True(verification.Verified, verification.Fault?.ToString());
        await using var third = await BlobLedger.OpenAsync(store, SmallSegments);
        Assert.Equal(Enumerable.Range(0, 150).Select(i => $"a{i}"), await third.ReadStreamAsync("one").Select(r => r.Key).ToListAsync());
        Assert.Equal(Enumerable.Range(0, 150).Select(i => $"b{i}"), await third.ReadStreamAsync("two").Select(r => r.Key).ToListAsync());
    }

    [Fact]
    public async Task Wait_for_append_completes_when_a_record_arrives()
    {
        using var store = FileBlobStore.OpenWritable(_folder.Path);
        await using var ledger = await BlobLedger.OpenAsync(store);
        var head = ledger.Head;
        var waiting = ledger.WaitForAppendAsync(head);
        Assert.False(waiting.IsCompleted);
        await ledger.AppendAsync(Entry("s", "k"));
        await waiting.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Nothing_acknowledged_is_lost_when_the_writer_is_killed()
    {
        if (!OperatingSystem.IsLinux())
            return;
        var acked = new Dictionary<long, string>();
        for (var round = 0; round < 3; round++)
        {
            using var child = LedgerCrashWriter.Start(_folder.Path, writers: 8);
            var target = acked.Count + 200 + Random.Shared.Next(800);
            while (acked.Count < target && await child.StandardOutput.ReadLineAsync() is { } line)
            {
                var parts = line.Split(' ');
                if (parts[0] == "acked")
                    acked[long.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture)] = parts[2];
            }
            child.Kill(); // SIGKILL on Unix: no flush, no finally
            await child.WaitForExitAsync();
        }

        using var store = FileBlobStore.OpenWritable(_folder.Path);
        await using var ledger = await BlobLedger.OpenAsync(store, new LedgerOptions { SegmentMaxBytes = 256 * 1024 });
        Assert.Null(ledger.Fault);
        foreach (var (seq, key) in acked)
            Assert.Equal(key, (await ledger.ReadAsync(seq)).Key);
        using var reader = FileBlobStore.OpenReadOnly(_folder.Path);
        var verification = await LedgerVerifier.VerifyAsync(reader, new LedgerOptions { SegmentMaxBytes = 256 * 1024 });
        Assert.True(verification.Verified, verification.Fault?.ToString());
    }
}
