using System.Text;
using HealthFlow.Ledger.Storage;

namespace HealthFlow.Ledger.Tests;

/// <summary>
/// The ledger's promises as one suite, run on both blob stores (<see cref="FileLedgerTests"/>,
/// <see cref="AzureLedgerTests"/>). Damage is done with <see cref="RewriteAsync"/>, which goes around the
/// store's retention policy the way a disk fault or an attacker would.
/// </summary>
public abstract class LedgerContract
{
    protected static readonly LedgerOptions SmallSegments = new() { SegmentMaxBytes = 4096 };

    /// <summary>A writable store on this test's storage (same folder or container every call); dispose it before the next.</summary>
    protected abstract IBlobStore OpenStore();

    /// <summary>Replaces a blob's bytes, ignoring retention.</summary>
    protected abstract Task RewriteAsync(string name, byte[] bytes);

    /// <summary>Removes a blob, ignoring retention.</summary>
    protected abstract Task RemoveAsync(string name);

    protected static LedgerEntry Entry(string stream, string key, string correlation = "", int size = 64) =>
        new(stream, "TestRecorded", key, correlation, "", Encoding.UTF8.GetBytes(key.PadRight(size, '.')));

    protected static string Segment(int segment) => $"ledger/p0/{segment:D10}.seg";

    protected static async Task<byte[]> ReadBlobAsync(IBlobStore store, string name)
    {
        var info = await store.GetInfoAsync(name) ?? throw new InvalidOperationException($"{name} is missing");
        var bytes = new byte[info.Length];
        var filled = 0;
        while (filled < bytes.Length)
            filled += await store.ReadAsync(name, filled, bytes.AsMemory(filled));
        return bytes;
    }

    private async Task<byte[]> ReadBlobAsync(string name)
    {
        var store = OpenStore();
        try
        {
            return await ReadBlobAsync(store, name);
        }
        finally
        {
            (store as IDisposable)?.Dispose();
        }
    }

    private async Task<LedgerVerification> VerifyAsync(LedgerOptions? options = null)
    {
        var store = OpenStore();
        try
        {
            return await LedgerVerifier.VerifyAsync(store, options);
        }
        finally
        {
            (store as IDisposable)?.Dispose();
        }
    }

    private async Task AppendAsync(int count, LedgerOptions? options = null, int size = 64)
    {
        var store = OpenStore();
        try
        {
            await using var ledger = await BlobLedger.OpenAsync(store, options);
            for (var i = 0; i < count; i++)
                await ledger.AppendAsync(Entry("s", $"k{i}", size: size));
        }
        finally
        {
            (store as IDisposable)?.Dispose();
        }
    }

    /// <summary>Runs <paramref name="use"/> on a fresh store over this test's storage, then disposes the store.</summary>
    protected async Task WithStoreAsync(Func<IBlobStore, Task> use)
    {
        var store = OpenStore();
        try
        {
            await use(store);
        }
        finally
        {
            (store as IDisposable)?.Dispose();
        }
    }

    [Fact]
    public Task Appended_records_read_back_by_position_stream_and_correlation() => WithStoreAsync(async store =>
    {
        await using var ledger = await BlobLedger.OpenAsync(store);
        var first = await ledger.AppendAsync(Entry("raw/acme", "a", "r1"));
        var second = await ledger.AppendAsync(Entry("topic/claims", "b", "r1"));
        var third = await ledger.AppendAsync(Entry("raw/acme", "c", "r2"));

        Assert.Equal([first + 1, first + 2], new[] { second, third });
        Assert.Equal("b", (await ledger.ReadAsync(second)).Key);
        Assert.Equal(["a", "c"], await ledger.ReadStreamAsync("raw/acme").Select(r => r.Key).ToListAsync());
        Assert.Equal(["a", "b"], await ledger.ReadCorrelationAsync("r1").Select(r => r.Key).ToListAsync());
        Assert.Equal(["c"], await ledger.ReadStreamAsync("raw/acme", third).Select(r => r.Key).ToListAsync());
    });

    [Fact]
    public async Task Records_survive_reopening_and_the_chain_continues()
    {
        await WithStoreAsync(async store =>
        {
            await using var ledger = await BlobLedger.OpenAsync(store, SmallSegments);
            for (var i = 0; i < 100; i++)
                await ledger.AppendAsync(Entry("s", $"k{i}", $"c{i % 7}"));
        });
        await WithStoreAsync(async store =>
        {
            await using var ledger = await BlobLedger.OpenAsync(store, SmallSegments);
            Assert.Null(ledger.Fault);
            var seq = await ledger.AppendAsync(Entry("s", "after"));
            Assert.Equal(ledger.Head - 1, seq);
            var keys = await ledger.ReadStreamAsync("s").Select(r => r.Key).ToListAsync();
            Assert.Equal([.. Enumerable.Range(0, 100).Select(i => $"k{i}"), "after"], keys);
            Assert.Equal(14, await ledger.ReadCorrelationAsync("c3").CountAsync()); // i % 7 == 3 for i < 100
        });
        var verification = await VerifyAsync(SmallSegments);
        Assert.True(verification.Verified, verification.Fault?.ToString());
        Assert.True(verification.Segments > 3, "small segments must have rolled over");
    }

    [Fact]
    public Task Concurrent_appends_get_dense_unique_sequence_numbers() => WithStoreAsync(async store =>
    {
        await using var ledger = await BlobLedger.OpenAsync(store);
        var seqs = await Task.WhenAll(Enumerable.Range(0, 64).Select(w => Task.Run(async () =>
        {
            var mine = new List<long>();
            for (var i = 0; i < 20; i++)
                mine.Add(await ledger.AppendAsync(Entry("s", $"w{w}-{i}")));
            return mine;
        })));
        Assert.Equal(Enumerable.Range(1, 64 * 20).Select(i => (long)i), seqs.SelectMany(s => s).Order());
        foreach (var mine in seqs)
            Assert.Equal(mine.Order(), mine); // one writer's appends keep their order
    });

    [Fact]
    public Task Batch_is_contiguous_and_in_order() => WithStoreAsync(async store =>
    {
        await using var ledger = await BlobLedger.OpenAsync(store);
        var first = await ledger.AppendBatchAsync([Entry("s", "x"), Entry("s", "y"), Entry("s", "z")]);
        Assert.Equal(["x", "y", "z"], await ledger.ReadAllAsync(first).Select(r => r.Key).ToListAsync());
    });

    [Fact]
    public Task A_record_over_the_size_limit_is_refused_to_its_caller_and_fails_no_other_append() => WithStoreAsync(async files =>
    {
        var store = new HeldBlobStore(files);
        await using var ledger = await BlobLedger.OpenAsync(store);
        store.Hold();
        var first = ledger.AppendAsync(Entry("s", "first")).AsTask();
        await store.Held; // the writer is inside the first commit, so what follows queues up for the next one
        var others = Enumerable.Range(0, 8).Select(i => ledger.AppendAsync(Entry("s", $"k{i}")).AsTask()).ToArray();
        var tooLarge = new LedgerEntry("s", "TestRecorded", "big", "", "", new byte[RecordCodec.MaxRecordBytes]);
        var refused = Assert.ThrowsAsync<ArgumentException>(async () => await ledger.AppendAsync(tooLarge));
        store.Release();
        await refused;
        await Task.WhenAll([first, .. others]);
        Assert.Equal(["first", .. Enumerable.Range(0, 8).Select(i => $"k{i}")], await ledger.ReadStreamAsync("s").Select(r => r.Key).ToListAsync());
    });

    [Fact]
    public async Task A_flipped_byte_is_named_by_verify_and_refuses_appends_until_repaired()
    {
        await AppendAsync(200, SmallSegments);
        var bytes = await ReadBlobAsync(Segment(1));
        var at = bytes.Length / 2;
        bytes[at] ^= 0x20;
        await RewriteAsync(Segment(1), bytes);

        var verification = await VerifyAsync(SmallSegments);
        Assert.False(verification.Verified);
        Assert.Equal(Segment(1), verification.Fault!.Segment);
        Assert.True(verification.Fault.Offset <= at);

        await WithStoreAsync(async store =>
        {
            await using (var ledger = await BlobLedger.OpenAsync(store, SmallSegments))
            {
                Assert.NotNull(ledger.Fault);
                await Assert.ThrowsAsync<LedgerBrokenException>(async () => await ledger.AppendAsync(Entry("s", "refused")));
                Assert.Equal("k0", (await ledger.ReadAsync(1)).Key); // records before the break stay readable
            }
            Assert.NotNull(await BlobLedger.RepairAsync(store, "test: accepted loss after flipped byte", SmallSegments));
            await using (var ledger = await BlobLedger.OpenAsync(store, SmallSegments))
            {
                Assert.Null(ledger.Fault);
                await ledger.AppendAsync(Entry("s", "after-repair"));
            }
        });
        var after = await VerifyAsync(SmallSegments);
        Assert.True(after.Verified, after.Fault?.ToString());
        Assert.Contains(after.Notes, n => n.Contains("repair", StringComparison.Ordinal));
    }

    /// <summary>How many byte positions the every-byte test damages (all on the file store, a sample on Azure).</summary>
    protected virtual int FlipPositions => int.MaxValue;

    [Fact]
    public async Task Every_flipped_byte_of_a_segment_is_detected()
    {
        await AppendAsync(5, size: 16);
        var original = await ReadBlobAsync(Segment(0));
        var step = Math.Max(1, original.Length / Math.Min(FlipPositions, original.Length));
        for (var at = 0; at < original.Length; at += step)
        {
            var damaged = (byte[])original.Clone();
            damaged[at] ^= 0x01;
            await RewriteAsync(Segment(0), damaged);
            var verification = await VerifyAsync();
            // A flip in the last record's length field can make it look torn (never acknowledged); anything else is a fault.
            Assert.True(!verification.Verified || verification.Notes.Any(n => n.Contains("torn", StringComparison.Ordinal)), $"flip at byte {at} went unnoticed");
        }
        await RewriteAsync(Segment(0), original);
    }

    /// <summary>Adds the first 60 bytes of a copy of segment 0's last record, as a crash between write and fsync can leave.</summary>
    private async Task TearTailAsync()
    {
        var bytes = await ReadBlobAsync(Segment(0));
        var last = 0;
        for (var at = 0; at < bytes.Length; at += BitConverter.ToInt32(bytes, at) + 4)
            last = at;
        await RewriteAsync(Segment(0), [.. bytes, .. bytes.AsSpan(last, 60)]);
    }

    [Fact]
    public async Task A_torn_tail_is_cut_off_at_start_up_and_appends_go_on()
    {
        await AppendAsync(10);
        await TearTailAsync();

        await WithStoreAsync(async store =>
        {
            await using var ledger = await BlobLedger.OpenAsync(store);
            Assert.Null(ledger.Fault);
            Assert.Contains(ledger.RecoveryNotes, n => n.Contains("torn tail of 60 bytes", StringComparison.Ordinal));
            await ledger.AppendAsync(Entry("s", "after"));
            Assert.Equal([.. Enumerable.Range(0, 10).Select(i => $"k{i}"), "after"], await ledger.ReadStreamAsync("s").Select(r => r.Key).ToListAsync());
        });
        var verification = await VerifyAsync();
        Assert.True(verification.Verified, verification.Fault?.ToString());
        Assert.Contains(verification.Notes, n => n.Contains("60 bytes", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_missing_segment_is_named()
    {
        await AppendAsync(200, SmallSegments);
        await RemoveAsync(Segment(2));
        var verification = await VerifyAsync(SmallSegments);
        Assert.Equal(Segment(2), verification.Fault?.Segment);
        Assert.Contains("missing", verification.Fault!.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_removed_record_breaks_the_chain_where_it_was()
    {
        await AppendAsync(5, size: 100);
        var bytes = await ReadBlobAsync(Segment(0));
        var offsets = new List<int>();
        for (var at = 0; at < bytes.Length; at += BitConverter.ToInt32(bytes, at) + 4)
            offsets.Add(at);
        // Cut record 2 out of the middle (record 0 is the segment's opening record).
        await RewriteAsync(Segment(0), [.. bytes[..offsets[2]], .. bytes[offsets[3]..]]);

        var verification = await VerifyAsync();
        Assert.Equal(offsets[2], verification.Fault?.Offset);
        Assert.Equal(3, verification.Fault!.Seq);
    }

    [Fact]
    public Task Two_writers_on_one_partition_both_succeed_without_interleaving() => WithStoreAsync(async store =>
    {
        await using (var one = await BlobLedger.OpenAsync(store, SmallSegments))
        await using (var two = await BlobLedger.OpenAsync(store, SmallSegments))
        {
            await Task.WhenAll(
                Task.Run(async () => { for (var i = 0; i < 100; i++) await one.AppendAsync(Entry("one", $"a{i}")); }),
                Task.Run(async () => { for (var i = 0; i < 100; i++) await two.AppendAsync(Entry("two", $"b{i}")); }));
        }
        var verification = await LedgerVerifier.VerifyAsync(store, SmallSegments);
        Assert.True(verification.Verified, verification.Fault?.ToString());
        await using var third = await BlobLedger.OpenAsync(store, SmallSegments);
        Assert.Equal(Enumerable.Range(0, 100).Select(i => $"a{i}"), await third.ReadStreamAsync("one").Select(r => r.Key).ToListAsync());
        Assert.Equal(Enumerable.Range(0, 100).Select(i => $"b{i}"), await third.ReadStreamAsync("two").Select(r => r.Key).ToListAsync());
    });

    [Fact]
    public Task A_shared_ledger_reads_another_writers_appends_after_a_refresh() => WithStoreAsync(async store =>
    {
        var shared = new LedgerOptions { SegmentMaxBytes = 4096, SharedWithOtherWriters = true };
        await using var one = await BlobLedger.OpenAsync(store, shared);
        await using var two = await BlobLedger.OpenAsync(store, shared);
        for (var i = 0; i < 50; i++)
            await one.AppendAsync(Entry("one", $"a{i}")); // across segment roll-overs (4 KB segments)

        Assert.Equal(one.Head, await two.RefreshAsync());
        Assert.Equal(Enumerable.Range(0, 50).Select(i => $"a{i}"), await two.ReadStreamAsync("one").Select(r => r.Key).ToListAsync());

        // A position named by another instance (a claim-check) is read without an explicit refresh.
        var late = await one.AppendAsync(Entry("one", "late"));
        Assert.Equal("late", (await two.ReadAsync(late)).Key);

        // The follower links its own appends after what it read.
        Assert.Equal(late + 1, await two.AppendAsync(Entry("two", "b0")));
        Assert.True((await LedgerVerifier.VerifyAsync(store, shared)).Verified);
    });

    [Fact]
    public Task A_follower_reads_the_seal_of_a_segment_another_writer_rolls_over_while_it_catches_up() => WithStoreAsync(async store =>
    {
        var shared = new LedgerOptions { SegmentMaxBytes = 4096, SharedWithOtherWriters = true };
        await using var one = await BlobLedger.OpenAsync(store, shared);
        for (var i = 0; i < 5; i++)
            await one.AppendAsync(Entry("one", $"a{i}"));
        var follower = new HeldBlobStore(store);
        await using var two = await BlobLedger.OpenAsync(follower, shared);

        // The follower has scanned segment 0 to its end; before it looks for segment 1, the other writer seals segment 0
        // and opens segment 1 (a record too big for what is left of segment 0).
        var rolledOver = false;
        follower.BeforeGetInfo = async name =>
        {
            if (name != Segment(1) || rolledOver)
                return;
            rolledOver = true;
            await one.AppendAsync(Entry("one", "big", size: 3500));
        };
        var head = await two.RefreshAsync();

        Assert.True(rolledOver);
        Assert.Equal(one.Head, head);
        Assert.Null(two.Fault);
        Assert.Equal([.. Enumerable.Range(0, 5).Select(i => $"a{i}"), "big"], await two.ReadStreamAsync("one").Select(r => r.Key).ToListAsync());
    });

    [Fact]
    public Task A_ledger_not_shared_does_not_look_for_other_writers() => WithStoreAsync(async store =>
    {
        await using var one = await BlobLedger.OpenAsync(store, SmallSegments);
        await using var reader = await BlobLedger.OpenReadOnlyAsync(store, SmallSegments);
        var head = reader.Head;
        await one.AppendAsync(Entry("one", "a0"));
        Assert.Equal(head, await reader.RefreshAsync());
    });

    [Fact]
    public Task A_scan_of_recent_records_serves_them_from_memory_without_reading_the_store() => WithStoreAsync(async store =>
    {
        var counted = new HeldBlobStore(store);
        await using var ledger = await BlobLedger.OpenAsync(counted);
        for (var i = 0; i < 20; i++)
            await ledger.AppendAsync(Entry(i % 2 == 0 ? "even" : "odd", $"k{i}"));
        var looks = 0;
        counted.BeforeGetInfo = _ => { Interlocked.Increment(ref looks); return Task.CompletedTask; };

        var scanned = await ledger.ScanAsync(ledger.Head - 10, new LedgerScanFilter(["even"])).Select(r => r.Key).ToListAsync();

        Assert.Equal(["k10", "k12", "k14", "k16", "k18"], scanned);
        Assert.Equal(0, looks);
    });

    [Fact]
    public Task A_scan_returns_exactly_the_records_read_by_position_across_segments_and_encrypted_payloads() => WithStoreAsync(async store =>
    {
        using var protector = new PayloadProtector([.. Enumerable.Range(0, 32).Select(i => (byte)i)]);
        await using var ledger = await BlobLedger.OpenAsync(store, SmallSegments);
        for (var i = 0; i < 120; i++)
        {
            var entry = Entry(i % 3 == 0 ? "raw/acme" : "topic/claims", $"k{i}", $"c{i % 5}", size: 40 + (i * 13 % 300));
            await ledger.AppendAsync(i % 3 == 0 ? entry with { Type = "RawReceived", Payload = protector.Protect(entry.Payload.Span) } : entry);
        }

        Assert.True(await ledger.ReadStreamAsync("$ledger").CountAsync() > 6, "small segments must have rolled over");
        // The writer has its records in memory; a reader opened afterwards scans the segments, reading ahead on another thread.
        await using var reader = await BlobLedger.OpenReadOnlyAsync(store, SmallSegments);
        foreach (var scanned in new[] { ledger, reader })
        {
            Assert.Equal(await ledger.ReadAllAsync().Select(Fields).ToListAsync(), await scanned.ScanAsync().Select(Fields).ToListAsync());
            Assert.Equal(await ledger.ReadAllAsync(57).Select(Fields).ToListAsync(), await scanned.ScanAsync(57).Select(Fields).ToListAsync());
            var claimsAndRaw = new LedgerScanFilter(["topic/claims", "raw/acme"]);
            Assert.Equal(await ledger.ReadAllAsync().Where(r => r.Stream != "$ledger").Select(Fields).ToListAsync(),
                await scanned.ScanAsync(0, claimsAndRaw).Select(Fields).ToListAsync());
            var raw = await scanned.ScanAsync(0, new LedgerScanFilter(null, ["RawReceived"])).ToListAsync();
            Assert.Equal(await ledger.ReadStreamAsync("raw/acme").Select(Fields).ToListAsync(), raw.Select(Fields));
            Assert.Equal(Entry("raw/acme", "k3", size: 40 + (3 * 13 % 300)).Payload.ToArray(), protector.Unprotect(raw[1].Payload.Span));
            Assert.Empty(await scanned.ScanAsync(0, new LedgerScanFilter(["topic/claims"], ["RawReceived"])).ToListAsync());
        }
    });

    [Fact]
    public Task A_filtered_scan_reads_only_the_stretches_of_the_ledger_that_hold_its_streams() => WithStoreAsync(async inner =>
    {
        var store = new HeldBlobStore(inner);
        await using (var ledger = await BlobLedger.OpenAsync(store))
        {
            for (var i = 0; i < 12; i++)
            {
                await ledger.AppendAsync(Entry("wanted", $"w{i}"));
                await ledger.AppendAsync(Entry("wanted", $"w{i}-again"));
                await ledger.AppendAsync(Entry("bulk", $"b{i}", size: 300_000)); // one wide gap
                for (var j = 0; j < 3; j++)
                    await ledger.AppendAsync(Entry("chatter", $"c{i}-{j}")); // narrow gaps, read through
            }
        }

        await using var reader = await BlobLedger.OpenReadOnlyAsync(store); // its scans read the segment, not a cache
        var all = await reader.ReadAllAsync().ToListAsync();
        var before = store.BytesRead;
        var wanted = await reader.ScanAsync(0, new LedgerScanFilter(["wanted", "chatter"])).Select(Fields).ToListAsync();

        Assert.Equal(all.Where(r => r.Stream is "wanted" or "chatter").Select(Fields), wanted);
        Assert.True(store.BytesRead - before < 300_000, $"read {store.BytesRead - before} bytes for 60 small records beside 3.6 MB of others");
        Assert.Equal(all.Where(r => r.Stream is "wanted" or "bulk").Select(Fields), await reader.ScanAsync(0, new LedgerScanFilter(["bulk", "wanted"])).Select(Fields).ToListAsync());
        Assert.Equal(all.Skip(20).Where(r => r.Stream == "wanted").Select(Fields), await reader.ScanAsync(20, new LedgerScanFilter(["wanted", "none"])).Select(Fields).ToListAsync());
        Assert.Empty(await reader.ScanAsync(0, new LedgerScanFilter(["none"])).ToListAsync());
    });

    [Fact]
    public Task A_scan_decodes_each_record_once_and_a_decode_failure_comes_after_the_records_before_it() => WithStoreAsync(async store =>
    {
        await using var ledger = await BlobLedger.OpenAsync(store, SmallSegments);
        for (var i = 0; i < 50; i++)
            await ledger.AppendAsync(Entry(i % 2 == 0 ? "s" : "t", $"k{i}"));
        await using var reader = await BlobLedger.OpenReadOnlyAsync(store, SmallSegments);
        var keys = Enumerable.Range(0, 25).Select(i => $"k{2 * i}").ToList();
        foreach (var scanned in new[] { ledger, reader }) // records in memory, records read ahead from the segments
        {
            var decoded = new System.Collections.Concurrent.ConcurrentQueue<string>(); // records read ahead are decoded on several threads
            Assert.Equal(keys, await scanned.ScanAsync(0, new LedgerScanFilter(["s"]), r => { decoded.Enqueue(r.Key); return r.Key; }).ToListAsync());
            Assert.Equal(keys.Order(StringComparer.Ordinal), decoded.Order(StringComparer.Ordinal));

            var before = new List<string>();
            await Assert.ThrowsAsync<FormatException>(async () =>
            {
                await foreach (var key in scanned.ScanAsync(0, new LedgerScanFilter(["s"]), r => r.Key == "k30" ? throw new FormatException() : r.Key))
                    before.Add(key);
            });
            Assert.Equal(keys.Take(15), before);
        }
    });

    [Fact]
    public async Task A_scan_returns_the_records_before_damaged_bytes_then_names_them()
    {
        await AppendAsync(40, SmallSegments);
        await WithStoreAsync(async store =>
        {
            await using var reader = await BlobLedger.OpenReadOnlyAsync(store, SmallSegments);
            var bytes = await ReadBlobAsync(store, Segment(1));
            var firstOfSegment = BitConverter.ToInt64(bytes, 5); // the first record's sequence number
            var second = BitConverter.ToInt32(bytes, 0) + 4;
            bytes[second + 30] ^= 0x20; // a byte of the second record's type
            await RewriteAsync(Segment(1), bytes);

            var scanned = new List<long>();
            var failure = await Assert.ThrowsAsync<InvalidDataException>(async () =>
            {
                await foreach (var record in reader.ScanAsync())
                    scanned.Add(record.Seq);
            });

            Assert.Contains(Segment(1), failure.Message, StringComparison.Ordinal);
            Assert.Equal(Enumerable.Range(0, (int)firstOfSegment).Select(i => (long)i).Append(firstOfSegment), scanned);
        });
    }

    [Fact]
    public async Task A_scan_that_trusts_the_walk_returns_what_a_checked_scan_returns_and_still_names_bytes_that_do_not_frame()
    {
        await AppendAsync(40, SmallSegments);
        await WithStoreAsync(async store =>
        {
            await using var checking = await BlobLedger.OpenReadOnlyAsync(store, SmallSegments);
            await using var trusting = await BlobLedger.OpenReadOnlyAsync(store, new LedgerOptions { SegmentMaxBytes = SmallSegments.SegmentMaxBytes, ScansCheckHashes = false });
            Assert.Equal(await checking.ScanAsync().Select(Fields).ToListAsync(), await trusting.ScanAsync().Select(Fields).ToListAsync());
            Assert.Equal(await checking.ScanAsync(3, new LedgerScanFilter(["s"])).Select(Fields).ToListAsync(),
                await trusting.ScanAsync(3, new LedgerScanFilter(["s"])).Select(Fields).ToListAsync());

            // Bytes changed after the walk: a field length that no longer adds up is still named, without any hash.
            var bytes = await ReadBlobAsync(store, Segment(1));
            var firstOfSegment = BitConverter.ToInt64(bytes, 5);
            var second = BitConverter.ToInt32(bytes, 0) + 4;
            bytes[second + 21] ^= 0x40; // the second record's stream length
            await RewriteAsync(Segment(1), bytes);

            var scanned = new List<long>();
            var failure = await Assert.ThrowsAsync<InvalidDataException>(async () =>
            {
                await foreach (var record in trusting.ScanAsync())
                    scanned.Add(record.Seq);
            });
            Assert.Contains(Segment(1), failure.Message, StringComparison.Ordinal);
            Assert.Equal(Enumerable.Range(0, (int)firstOfSegment + 1).Select(i => (long)i), scanned);
        });
    }

    [Fact]
    public async Task The_first_of_several_damaged_records_in_a_large_chunk_is_named_by_verify_and_scans()
    {
        // Hundreds of kilobytes of records in one segment: their hashes are checked in parallel, in parts, yet the damage
        // named is the first, and a scan returns every record before it.
        await WithStoreAsync(async store =>
        {
            await using var ledger = await BlobLedger.OpenAsync(store);
            foreach (var batch in Enumerable.Range(0, 3000).Chunk(500))
                await ledger.AppendBatchAsync([.. batch.Select(i => Entry("s", $"k{i}", size: 200))]);
        });
        var bytes = await ReadBlobAsync(Segment(0));
        var offsets = new List<int>(); // offsets[seq]: record 0 opens the segment
        for (var at = 0; at < bytes.Length; at += BitConverter.ToInt32(bytes, at) + 4)
            offsets.Add(at);
        const long FirstDamaged = 900;
        bytes[offsets[2400] + 100] ^= 0x04;
        bytes[offsets[(int)FirstDamaged] + 100] ^= 0x04;

        await WithStoreAsync(async store =>
        {
            await using var reader = await BlobLedger.OpenReadOnlyAsync(store);
            await RewriteAsync(Segment(0), bytes);

            var scanned = new List<long>();
            var failure = await Assert.ThrowsAsync<InvalidDataException>(async () =>
            {
                await foreach (var record in reader.ScanAsync(0, new LedgerScanFilter(["s"])))
                    scanned.Add(record.Seq);
            });
            Assert.Contains($"offset {offsets[(int)FirstDamaged]}:", failure.Message, StringComparison.Ordinal);
            Assert.Equal(Enumerable.Range(1, (int)FirstDamaged - 1).Select(i => (long)i), scanned);

            // A decoder reads the scan's bytes in place, in parts on several threads: never those of a record whose hash fails.
            var decoded = new System.Collections.Concurrent.ConcurrentBag<long>();
            await Assert.ThrowsAsync<InvalidDataException>(async () =>
            {
                await foreach (var _ in reader.ScanAsync(0, new LedgerScanFilter(["s"]), r => { decoded.Add(r.Seq); return r.Seq; })) { }
            });
            Assert.DoesNotContain(FirstDamaged, decoded);
            Assert.DoesNotContain(2400L, decoded);
        });
        var verification = await VerifyAsync();
        Assert.Equal(offsets[(int)FirstDamaged], verification.Fault?.Offset);
        Assert.Equal(FirstDamaged, verification.Fault!.Seq);
        Assert.Contains("hash", verification.Fault.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public Task A_decode_failure_in_a_large_chunk_comes_after_every_record_before_it() => WithStoreAsync(async store =>
    {
        await using var ledger = await BlobLedger.OpenAsync(store);
        foreach (var batch in Enumerable.Range(0, 3000).Chunk(500))
            await ledger.AppendBatchAsync([.. batch.Select(i => Entry("s", $"k{i}", size: 200))]);
        await using var reader = await BlobLedger.OpenReadOnlyAsync(store);

        // Hundreds of kilobytes in one chunk are decoded in parts on several threads: k2000 fails in a later part than k1234.
        var received = new List<string>();
        var failure = await Assert.ThrowsAsync<FormatException>(async () =>
        {
            await foreach (var key in reader.ScanAsync(0, new LedgerScanFilter(["s"]), r => r.Key is "k1234" or "k2000" ? throw new FormatException($"cannot decode {r.Key}") : r.Key))
                received.Add(key);
        });

        Assert.Equal("cannot decode k1234", failure.Message);
        Assert.Equal(Enumerable.Range(0, 1234).Select(i => $"k{i}"), received);
    });

    [Fact]
    public async Task A_scan_stops_at_a_torn_tail_where_reads_stop_and_skips_it_once_cut_off()
    {
        await AppendAsync(10);
        await TearTailAsync();

        await WithStoreAsync(async store =>
        {
            await using var reader = await BlobLedger.OpenReadOnlyAsync(store);
            Assert.Equal(11, reader.Head);
            Assert.Equal(await reader.ReadAllAsync().Select(Fields).ToListAsync(), await reader.ScanAsync().Select(Fields).ToListAsync());
        });
        await WithStoreAsync(async store =>
        {
            await using var ledger = await BlobLedger.OpenAsync(store);
            await ledger.AppendAsync(Entry("s", "after"));
            var scanned = await ledger.ScanAsync().Select(Fields).ToListAsync();
            Assert.Equal(await ledger.ReadAllAsync().Select(Fields).ToListAsync(), scanned);
            Assert.Equal([.. Enumerable.Range(0, 10).Select(i => $"k{i}"), "after"], await ledger.ScanAsync(0, new LedgerScanFilter(["s"])).Select(r => r.Key).ToListAsync());
        });
    }

    [Fact]
    public Task A_scan_decodes_text_fields_that_repeat_change_and_grow_as_reads_do() => WithStoreAsync(async store =>
    {
        // A scan reuses the string of a field equal to the record before's; reads decode every field afresh.
        var long80 = new string('c', 80);
        string[][] fields = [["a", "T", "r1", "x"], ["a", "T", "r1", "x"], ["b", "U", "r", "x"], ["a", "T", "", long80], ["a", "é", long80, long80 + "d"], ["b", "é", "r1", ""]];
        await using (var ledger = await BlobLedger.OpenAsync(store))
            await ledger.AppendBatchAsync([.. fields.Select((f, i) => new LedgerEntry(f[0], f[1], $"k{i}", f[2], f[3], new byte[] { (byte)i }))]);
        await using var reader = await BlobLedger.OpenReadOnlyAsync(store);
        Assert.Equal(await reader.ReadAllAsync().Select(Fields).ToListAsync(), await reader.ScanAsync().Select(Fields).ToListAsync());
        Assert.Equal(fields.Select(f => string.Join('|', f)), await reader.ScanAsync(0, new LedgerScanFilter(["a", "b"]))
            .Select(r => string.Join('|', r.Stream, r.Type, r.CorrelationId, r.CausationId)).ToListAsync());
    });

    /// <summary>Everything a record holds, comparable.</summary>
    private static string Fields(LedgerRecord record) => string.Join('|', record.Seq, record.Time.UtcTicks, record.Stream, record.Type, record.Key,
        record.CorrelationId, record.CausationId, Convert.ToHexString(record.Payload.Span), Convert.ToHexString(record.PrevHash), Convert.ToHexString(record.Hash));

    [Fact]
    public Task Wait_for_append_completes_when_a_record_arrives() => WithStoreAsync(async store =>
    {
        await using var ledger = await BlobLedger.OpenAsync(store);
        var waiting = ledger.WaitForAppendAsync(ledger.Head);
        Assert.False(waiting.IsCompleted);
        await ledger.AppendAsync(Entry("s", "k"));
        await waiting.WaitAsync(TimeSpan.FromSeconds(10));
    });

    [Fact]
    public Task Wait_for_a_stream_completes_on_its_own_records_not_other_streams() => WithStoreAsync(async store =>
    {
        await using var ledger = await BlobLedger.OpenAsync(store);
        var earlier = await ledger.AppendAsync(Entry("s", "k0"));
        Assert.True(ledger.WaitForAppendAsync("s", earlier).IsCompleted);
        var from = ledger.Head;
        var waiting = ledger.WaitForAppendAsync("s", from);
        var other = ledger.WaitForAppendAsync("t", from);
        await ledger.AppendAsync(Entry("t", "k1"));
        await other.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(waiting.IsCompleted);
        await ledger.AppendBatchAsync([Entry("u", "k2"), Entry("s", "k3")]);
        await waiting.WaitAsync(TimeSpan.FromSeconds(10));
    });
}

/// <summary>The ledger suite on the embedded file store, plus what only a local process can do: SIGKILL it.</summary>
public sealed class FileLedgerTests : LedgerContract, IDisposable
{
    private readonly TemporaryFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    protected override IBlobStore OpenStore() => FileBlobStore.OpenWritable(_folder.Path);

    protected override Task RewriteAsync(string name, byte[] bytes) => File.WriteAllBytesAsync(PathOf(name), bytes);

    protected override Task RemoveAsync(string name)
    {
        File.Delete(PathOf(name));
        return Task.CompletedTask;
    }

    private string PathOf(string name) => Path.Combine(_folder.Path, name.Replace('/', Path.DirectorySeparatorChar));

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

        var options = new LedgerOptions { SegmentMaxBytes = 256 * 1024 };
        using var store = FileBlobStore.OpenWritable(_folder.Path);
        await using var ledger = await BlobLedger.OpenAsync(store, options);
        Assert.Null(ledger.Fault);
        foreach (var (seq, key) in acked)
            Assert.Equal(key, (await ledger.ReadAsync(seq)).Key);
        var verification = await LedgerVerifier.VerifyAsync(store, options);
        Assert.True(verification.Verified, verification.Fault?.ToString());
    }
}

/// <summary>The ledger suite on the Azure Blob store against Azurite, a fresh container per test.</summary>
[Collection(Storage.AzuriteCollection.Name)]
public sealed class AzureLedgerTests(Storage.AzuriteFixture azurite) : LedgerContract
{
    private readonly string _container = "ledger" + Guid.NewGuid().ToString("N");
    private bool _created;

    protected override int FlipPositions => 40;

    protected override IBlobStore OpenStore()
    {
        var store = AzureBlobStore.FromConnectionString(azurite.ConnectionString, _container);
        if (!_created)
        {
            store.EnsureContainerAsync().GetAwaiter().GetResult();
            _created = true;
        }
        return store;
    }

    protected override async Task RewriteAsync(string name, byte[] bytes)
    {
        var store = Unprotected();
        await store.DeleteAsync(name);
        await store.CreateIfAbsentAsync(name);
        if (bytes.Length > 0)
            await store.AppendAsync(name, 0, bytes);
    }

    protected override async Task RemoveAsync(string name) => await Unprotected().DeleteAsync(name);

    // Damage goes around retention, as a disk fault or an attacker with the account key would.
    private AzureBlobStore Unprotected() => AzureBlobStore.FromConnectionString(azurite.ConnectionString, _container, RetentionPolicy.None);
}
