using System.Text;
using HealthFlow.Ledger.Storage;

namespace HealthFlow.Ledger.Tests.Storage;

/// <summary>
/// What every <see cref="IBlobStore"/> promises, as one suite: each implementation derives a class that only says
/// how to open a fresh, empty store with <see cref="RetentionPolicy.Default"/> (<c>ledger/</c> protected).
/// </summary>
public abstract class BlobStoreContract : IAsyncLifetime
{
    protected IBlobStore Store { get; private set; } = null!;

    /// <summary>Opens an empty store that no other test uses.</summary>
    protected abstract Task<IBlobStore> OpenEmptyStoreAsync();

    public async Task InitializeAsync() => Store = await OpenEmptyStoreAsync();

    public virtual Task DisposeAsync()
    {
        (Store as IDisposable)?.Dispose();
        return Task.CompletedTask;
    }

    protected static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    protected async Task<byte[]> ReadAllAsync(string name)
    {
        var info = await Store.GetInfoAsync(name) ?? throw new InvalidOperationException($"{name} is missing");
        var buffer = new byte[info.Length];
        var count = 0;
        while (count < buffer.Length)
        {
            var read = await Store.ReadAsync(name, count, buffer.AsMemory(count));
            Assert.NotEqual(0, read);
            count += read;
        }
        return buffer;
    }

    // ---- create ----

    [Fact]
    public async Task Create_makes_an_empty_blob_and_a_second_create_returns_false()
    {
        Assert.True(await Store.CreateIfAbsentAsync("seg/a"));
        Assert.False(await Store.CreateIfAbsentAsync("seg/a"));

        var info = await Store.GetInfoAsync("seg/a");
        Assert.NotNull(info);
        Assert.Equal(("seg/a", 0L), (info.Value.Name, info.Value.Length));
        Assert.False(string.IsNullOrEmpty(info.Value.ETag));
    }

    [Fact]
    public async Task Create_of_an_existing_blob_keeps_its_bytes()
    {
        await Store.CreateIfAbsentAsync("seg/a");
        await Store.AppendAsync("seg/a", 0, Bytes("kept"));

        Assert.False(await Store.CreateIfAbsentAsync("seg/a"));
        Assert.Equal(Bytes("kept"), await ReadAllAsync("seg/a"));
    }

    [Fact]
    public async Task Create_is_allowed_under_a_protected_prefix()
    {
        Assert.True(await Store.CreateIfAbsentAsync("ledger/p0/0000000000.seg"));
    }

    // ---- append ----

    [Fact]
    public async Task Append_at_the_expected_offset_extends_the_blob_and_reports_the_new_length()
    {
        await Store.CreateIfAbsentAsync("seg/a");

        Assert.Equal(new AppendResult(AppendStatus.Appended, 5), await Store.AppendAsync("seg/a", 0, Bytes("hello")));
        Assert.Equal(new AppendResult(AppendStatus.Appended, 11), await Store.AppendAsync("seg/a", 5, Bytes(" world")));

        Assert.Equal(Bytes("hello world"), await ReadAllAsync("seg/a"));
        Assert.Equal(11, (await Store.GetInfoAsync("seg/a"))!.Value.Length);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(99)]
    public async Task Append_at_a_stale_offset_is_a_conflict_with_the_current_length_and_writes_nothing(long staleOffset)
    {
        await Store.CreateIfAbsentAsync("seg/a");
        await Store.AppendAsync("seg/a", 0, Bytes("hello"));

        Assert.Equal(new AppendResult(AppendStatus.Conflict, 5), await Store.AppendAsync("seg/a", staleOffset, Bytes("XX")));
        Assert.Equal(Bytes("hello"), await ReadAllAsync("seg/a"));
    }

    [Fact]
    public async Task Append_to_a_missing_blob_is_not_found_and_creates_nothing()
    {
        Assert.Equal(AppendStatus.NotFound, (await Store.AppendAsync("seg/missing", 0, Bytes("x"))).Status);
        Assert.Null(await Store.GetInfoAsync("seg/missing"));
    }

    [Fact]
    public async Task Empty_append_only_checks_the_offset()
    {
        await Store.CreateIfAbsentAsync("seg/a");
        await Store.AppendAsync("seg/a", 0, Bytes("abc"));

        Assert.Equal(new AppendResult(AppendStatus.Appended, 3), await Store.AppendAsync("seg/a", 3, ReadOnlyMemory<byte>.Empty));
        Assert.Equal(new AppendResult(AppendStatus.Conflict, 3), await Store.AppendAsync("seg/a", 1, ReadOnlyMemory<byte>.Empty));
        Assert.Equal(AppendStatus.NotFound, (await Store.AppendAsync("seg/missing", 0, ReadOnlyMemory<byte>.Empty)).Status);
    }

    [Fact]
    public async Task Racing_appends_at_the_same_offset_have_exactly_one_winner()
    {
        await Store.CreateIfAbsentAsync("seg/race");
        await Store.AppendAsync("seg/race", 0, Bytes("head|"));
        const int writers = 8;
        var payloads = Enumerable.Range(0, writers).Select(i => Bytes(new string((char)('a' + i), 10 + i))).ToArray();

        var results = await Task.WhenAll(payloads.Select(p => Task.Run(() => Store.AppendAsync("seg/race", 5, p))));

        var winner = Assert.Single(results, r => r.Status == AppendStatus.Appended);
        var winning = payloads[Array.IndexOf(results, winner)];
        Assert.Equal(5 + winning.Length, winner.Length);
        Assert.All(results.Where(r => r.Status != AppendStatus.Appended), r => Assert.Equal(new AppendResult(AppendStatus.Conflict, winner.Length), r));
        Assert.Equal(Bytes("head|").Concat(winning).ToArray(), await ReadAllAsync("seg/race"));
    }

    [Fact]
    public async Task Writers_that_retry_on_conflict_never_interleave_or_lose_records()
    {
        await Store.CreateIfAbsentAsync("seg/many");
        const int writers = 4;
        const int recordsPerWriter = 10;

        async Task WriteAsync(int writer)
        {
            for (var i = 0; i < recordsPerWriter; i++)
            {
                // A record is "[writer:index]", so a torn or interleaved one cannot parse.
                var record = Bytes($"[{writer}:{i:D2}]");
                var offset = (await Store.GetInfoAsync("seg/many"))!.Value.Length;
                while (true)
                {
                    var result = await Store.AppendAsync("seg/many", offset, record);
                    if (result.Status == AppendStatus.Appended)
                        break;
                    Assert.Equal(AppendStatus.Conflict, result.Status);
                    Assert.True(result.Length > offset, "a conflict reports a length past the stale offset");
                    offset = result.Length;
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(() => WriteAsync(w))));

        var text = Encoding.UTF8.GetString(await ReadAllAsync("seg/many"));
        var records = text.Split(']', StringSplitOptions.RemoveEmptyEntries).Select(r => r + "]").ToList();
        Assert.Equal(writers * recordsPerWriter, records.Count);
        Assert.All(records, r => Assert.Matches(@"^\[\d:\d\d\]$", r));
        for (var w = 0; w < writers; w++)
        {
            // Each writer's records are all there, once, in its own order.
            var own = records.Where(r => r.StartsWith($"[{w}:", StringComparison.Ordinal)).ToList();
            Assert.Equal(Enumerable.Range(0, recordsPerWriter).Select(i => $"[{w}:{i:D2}]"), own);
        }
    }

    [Fact]
    public async Task Append_of_several_mebibytes_is_one_atomic_append()
    {
        // Above Append Block's old 4 MiB limit: the ledger's raw payloads can be this large.
        var payload = new byte[5 * 1024 * 1024 + 17];
        new Random(42).NextBytes(payload);
        await Store.CreateIfAbsentAsync("raw/big");

        Assert.Equal(new AppendResult(AppendStatus.Appended, payload.Length), await Store.AppendAsync("raw/big", 0, payload));
        Assert.Equal(payload, await ReadAllAsync("raw/big"));
    }

    [Fact]
    public async Task Append_changes_the_etag()
    {
        await Store.CreateIfAbsentAsync("seg/a");
        var before = (await Store.GetInfoAsync("seg/a"))!.Value.ETag;

        await Store.AppendAsync("seg/a", 0, Bytes("x"));

        Assert.NotEqual(before, (await Store.GetInfoAsync("seg/a"))!.Value.ETag);
    }

    // ---- read ----

    [Fact]
    public async Task Read_returns_the_requested_range()
    {
        await Store.CreateIfAbsentAsync("seg/a");
        await Store.AppendAsync("seg/a", 0, Bytes("0123456789"));
        var buffer = new byte[4];

        Assert.Equal(4, await Store.ReadAsync("seg/a", 3, buffer));
        Assert.Equal(Bytes("3456"), buffer);
    }

    [Fact]
    public async Task Read_near_the_end_returns_what_is_left_and_at_or_past_the_end_returns_zero()
    {
        await Store.CreateIfAbsentAsync("seg/a");
        await Store.AppendAsync("seg/a", 0, Bytes("0123456789"));
        var buffer = new byte[8];

        Assert.Equal(3, await Store.ReadAsync("seg/a", 7, buffer));
        Assert.Equal(Bytes("789"), buffer[..3]);
        Assert.Equal(0, await Store.ReadAsync("seg/a", 10, buffer));
        Assert.Equal(0, await Store.ReadAsync("seg/a", 1000, buffer));
    }

    [Fact]
    public async Task Read_of_an_empty_blob_or_into_an_empty_buffer_returns_zero()
    {
        await Store.CreateIfAbsentAsync("seg/empty");
        await Store.CreateIfAbsentAsync("seg/a");
        await Store.AppendAsync("seg/a", 0, Bytes("abc"));

        Assert.Equal(0, await Store.ReadAsync("seg/empty", 0, new byte[16]));
        Assert.Equal(0, await Store.ReadAsync("seg/a", 1, Memory<byte>.Empty));
    }

    [Fact]
    public async Task Read_of_a_missing_blob_throws_BlobNotFoundException()
    {
        var error = await Assert.ThrowsAsync<BlobNotFoundException>(() => Store.ReadAsync("seg/missing", 0, new byte[4]));
        Assert.Equal("seg/missing", error.BlobName);
        await Assert.ThrowsAsync<BlobNotFoundException>(() => Store.ReadAsync("seg/missing", 0, Memory<byte>.Empty));
    }

    [Fact]
    public async Task Info_of_a_missing_blob_is_null()
    {
        Assert.Null(await Store.GetInfoAsync("seg/missing"));
    }

    // ---- list ----

    [Fact]
    public async Task List_returns_only_names_under_the_prefix_in_ordinal_order()
    {
        // "Z" sorts before "a" only in ordinal order; '-' < '.' < '/' puts "a-c" and "a.b" before the "a/" folder.
        string[] inside = ["list/b", "list/a/x", "list/Z", "list/a.b", "list/a-c", "list/a/y/z"];
        string[] outside = ["list2/x", "lis", "other/list/y"];
        foreach (var name in inside.Concat(outside))
            await Store.CreateIfAbsentAsync(name);
        await Store.AppendAsync("list/b", 0, Bytes("four"));

        var listed = await Store.ListAsync("list/").ToListAsync();

        Assert.Equal(inside.Order(StringComparer.Ordinal), listed.Select(b => b.Name));
        Assert.Equal(["list/Z", "list/a-c", "list/a.b", "list/a/x", "list/a/y/z", "list/b"], listed.Select(b => b.Name));
        Assert.Equal(4, listed.Single(b => b.Name == "list/b").Length);
    }

    [Fact]
    public async Task List_by_a_partial_segment_matches_names_that_start_with_it()
    {
        foreach (var name in new[] { "ledger/p0/0000000001.seg", "ledger/p0/0000000002.seg", "ledger/p0/0000000010.seg", "ledger/p1/0000000001.seg" })
            await Store.CreateIfAbsentAsync(name);

        var listed = await Store.ListAsync("ledger/p0/000000000").Select(b => b.Name).ToListAsync();

        Assert.Equal(["ledger/p0/0000000001.seg", "ledger/p0/0000000002.seg"], listed);
    }

    [Fact]
    public async Task List_of_an_unused_prefix_is_empty()
    {
        await Store.CreateIfAbsentAsync("seg/a");

        Assert.Empty(await Store.ListAsync("nothing/").ToListAsync());
    }

    [Fact]
    public async Task List_reports_the_same_length_and_etag_as_info()
    {
        await Store.CreateIfAbsentAsync("seg/a");
        await Store.AppendAsync("seg/a", 0, Bytes("abc"));
        await Store.PutAsync("seg/b", Bytes("put"), ifMatch: null);

        var listed = await Store.ListAsync("seg/").ToListAsync();

        Assert.Equal([(await Store.GetInfoAsync("seg/a"))!.Value, (await Store.GetInfoAsync("seg/b"))!.Value], listed);
    }

    [Fact]
    public async Task Etag_from_a_listing_works_as_if_match()
    {
        await Store.PutAsync("cursor/x", Bytes("1"), ifMatch: null);
        var listed = Assert.Single(await Store.ListAsync("cursor/").ToListAsync());

        Assert.Equal(PutStatus.Written, (await Store.PutAsync("cursor/x", Bytes("2"), listed.ETag)).Status);
    }

    // ---- whole-blob get and conditional put ----

    [Fact]
    public async Task Put_with_no_etag_creates_only_a_new_blob()
    {
        var first = await Store.PutAsync("cursor/sub", Bytes("v1"), ifMatch: null);
        var second = await Store.PutAsync("cursor/sub", Bytes("v2"), ifMatch: null);

        Assert.Equal(PutStatus.Written, first.Status);
        Assert.False(string.IsNullOrEmpty(first.ETag));
        Assert.Equal(new PutResult(PutStatus.Conflict, null), second);
        var content = await Store.GetAsync("cursor/sub");
        Assert.Equal(Bytes("v1"), content!.Data.ToArray());
        Assert.Equal(first.ETag, content.ETag);
    }

    [Fact]
    public async Task Put_with_the_current_etag_replaces_the_blob_and_returns_a_new_etag()
    {
        var first = await Store.PutAsync("cursor/sub", Bytes("v1"), ifMatch: null);

        var second = await Store.PutAsync("cursor/sub", Bytes("version two"), first.ETag);

        Assert.Equal(PutStatus.Written, second.Status);
        Assert.NotEqual(first.ETag, second.ETag);
        var content = await Store.GetAsync("cursor/sub");
        Assert.Equal(Bytes("version two"), content!.Data.ToArray());
        Assert.Equal(second.ETag, content.ETag);
        Assert.Equal(second.ETag, (await Store.GetInfoAsync("cursor/sub"))!.Value.ETag);
    }

    [Fact]
    public async Task Put_with_a_stale_etag_is_a_conflict_and_writes_nothing()
    {
        var first = await Store.PutAsync("cursor/sub", Bytes("v1"), ifMatch: null);
        var second = await Store.PutAsync("cursor/sub", Bytes("v2"), first.ETag);

        Assert.Equal(new PutResult(PutStatus.Conflict, null), await Store.PutAsync("cursor/sub", Bytes("v3"), first.ETag));
        var content = await Store.GetAsync("cursor/sub");
        Assert.Equal(Bytes("v2"), content!.Data.ToArray());
        Assert.Equal(second.ETag, content.ETag);
    }

    [Fact]
    public async Task Put_with_an_etag_on_a_missing_blob_is_a_conflict()
    {
        var other = await Store.PutAsync("cursor/other", Bytes("x"), ifMatch: null);

        Assert.Equal(new PutResult(PutStatus.Conflict, null), await Store.PutAsync("cursor/missing", Bytes("v"), other.ETag));
        Assert.Null(await Store.GetAsync("cursor/missing"));
    }

    [Fact]
    public async Task Racing_puts_with_the_same_etag_have_exactly_one_winner()
    {
        var start = await Store.PutAsync("cursor/sub", Bytes("start"), ifMatch: null);

        var results = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => Task.Run(() => Store.PutAsync("cursor/sub", Bytes($"writer {i}"), start.ETag))));

        var winner = Assert.Single(results, r => r.Status == PutStatus.Written);
        Assert.All(results.Where(r => r.Status != PutStatus.Written), r => Assert.Equal(PutStatus.Conflict, r.Status));
        Assert.Equal(winner.ETag, (await Store.GetAsync("cursor/sub"))!.ETag);
    }

    [Fact]
    public async Task Put_of_an_empty_blob_round_trips()
    {
        Assert.Equal(PutStatus.Written, (await Store.PutAsync("cursor/empty", ReadOnlyMemory<byte>.Empty, ifMatch: null)).Status);

        var content = await Store.GetAsync("cursor/empty");
        Assert.Equal(0, content!.Data.Length);
        Assert.Equal(0, (await Store.GetInfoAsync("cursor/empty"))!.Value.Length);
    }

    [Fact]
    public async Task Get_of_an_append_blob_returns_its_bytes_and_info_etag()
    {
        await Store.CreateIfAbsentAsync("seg/a");
        await Store.AppendAsync("seg/a", 0, Bytes("abc"));

        var content = await Store.GetAsync("seg/a");

        Assert.Equal(Bytes("abc"), content!.Data.ToArray());
        Assert.Equal((await Store.GetInfoAsync("seg/a"))!.Value.ETag, content.ETag);
    }

    [Fact]
    public async Task Get_of_a_missing_blob_is_null()
    {
        Assert.Null(await Store.GetAsync("cursor/missing"));
    }

    [Fact]
    public async Task Put_creates_under_a_protected_prefix_but_never_replaces_there()
    {
        var created = await Store.PutAsync("ledger/manifest", Bytes("v1"), ifMatch: null);
        Assert.Equal(PutStatus.Written, created.Status);

        Assert.Equal(PutStatus.RetentionForbids, (await Store.PutAsync("ledger/manifest", Bytes("v2"), created.ETag)).Status);
        Assert.Equal(PutStatus.RetentionForbids, (await Store.PutAsync("ledger/manifest", Bytes("v2"), ifMatch: null)).Status);
        Assert.Equal(Bytes("v1"), (await Store.GetAsync("ledger/manifest"))!.Data.ToArray());
    }

    [Fact]
    public async Task Put_replaces_an_append_blob_that_is_not_protected()
    {
        await Store.CreateIfAbsentAsync("seg/a");
        await Store.AppendAsync("seg/a", 0, Bytes("old"));
        var etag = (await Store.GetInfoAsync("seg/a"))!.Value.ETag;

        Assert.Equal(PutStatus.Written, (await Store.PutAsync("seg/a", Bytes("new!"), etag)).Status);
        Assert.Equal(Bytes("new!"), await ReadAllAsync("seg/a"));
    }

    [Fact]
    public async Task Readers_see_a_replaced_blob_whole_old_or_whole_new_never_a_mix()
    {
        const int size = 256 * 1024;
        byte[][] versions = [Enumerable.Repeat((byte)'a', size).ToArray(), Enumerable.Repeat((byte)'b', size).ToArray()];
        var etag = (await Store.PutAsync("cursor/big", versions[0], ifMatch: null)).ETag;
        using var done = new CancellationTokenSource();

        async Task<int> ReadUntilDoneAsync()
        {
            var reads = 0;
            while (!done.IsCancellationRequested)
            {
                var content = await Store.GetAsync("cursor/big");
                Assert.NotNull(content);
                var data = content.Data.ToArray();
                Assert.Equal(size, data.Length);
                Assert.True(data.All(b => b == data[0]), "a read mixed two versions");
                reads++;
            }
            return reads;
        }

        var readers = Enumerable.Range(0, 3).Select(_ => Task.Run(ReadUntilDoneAsync)).ToArray();
        for (var i = 1; i <= 20; i++)
        {
            var put = await Store.PutAsync("cursor/big", versions[i % 2], etag);
            Assert.Equal(PutStatus.Written, put.Status);
            etag = put.ETag;
        }
        await done.CancelAsync();
        Assert.All(await Task.WhenAll(readers), reads => Assert.True(reads > 0));
    }

    [Fact]
    public async Task Writes_with_a_cancelled_token_throw_and_change_nothing()
    {
        await Store.CreateIfAbsentAsync("seg/a");
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Store.AppendAsync("seg/a", 0, Bytes("x"), cancelled.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Store.PutAsync("cursor/x", Bytes("x"), null, cancelled.Token));
        Assert.Equal(0, (await Store.GetInfoAsync("seg/a"))!.Value.Length);
        Assert.Null(await Store.GetInfoAsync("cursor/x"));
    }

    // ---- delete ----

    [Fact]
    public async Task Delete_removes_a_blob_and_a_second_delete_is_not_found()
    {
        await Store.PutAsync("cursor/sub", Bytes("v"), ifMatch: null);

        Assert.Equal(DeleteStatus.Deleted, await Store.DeleteAsync("cursor/sub"));
        Assert.Null(await Store.GetInfoAsync("cursor/sub"));
        Assert.Equal(DeleteStatus.NotFound, await Store.DeleteAsync("cursor/sub"));
        Assert.Empty(await Store.ListAsync("cursor/").ToListAsync());
    }

    [Fact]
    public async Task Delete_with_a_stale_etag_is_a_conflict_and_with_the_current_one_deletes()
    {
        var first = await Store.PutAsync("cursor/sub", Bytes("v1"), ifMatch: null);
        var second = await Store.PutAsync("cursor/sub", Bytes("v2"), first.ETag);

        Assert.Equal(DeleteStatus.Conflict, await Store.DeleteAsync("cursor/sub", first.ETag));
        Assert.NotNull(await Store.GetInfoAsync("cursor/sub"));
        Assert.Equal(DeleteStatus.Deleted, await Store.DeleteAsync("cursor/sub", second.ETag));
        Assert.Null(await Store.GetInfoAsync("cursor/sub"));
    }

    [Fact]
    public async Task Delete_under_a_protected_prefix_is_refused_and_keeps_the_blob()
    {
        await Store.CreateIfAbsentAsync("ledger/p0/0000000000.seg");
        await Store.AppendAsync("ledger/p0/0000000000.seg", 0, Bytes("record"));
        var etag = (await Store.GetInfoAsync("ledger/p0/0000000000.seg"))!.Value.ETag;

        Assert.Equal(DeleteStatus.RetentionForbids, await Store.DeleteAsync("ledger/p0/0000000000.seg"));
        Assert.Equal(DeleteStatus.RetentionForbids, await Store.DeleteAsync("ledger/p0/0000000000.seg", etag));
        Assert.Equal(DeleteStatus.RetentionForbids, await Store.DeleteAsync("ledger/never-existed"));
        Assert.Equal(Bytes("record"), await ReadAllAsync("ledger/p0/0000000000.seg"));
    }

    [Fact]
    public async Task A_deleted_name_can_be_created_again()
    {
        await Store.CreateIfAbsentAsync("seg/a");
        await Store.AppendAsync("seg/a", 0, Bytes("old"));
        await Store.DeleteAsync("seg/a");

        Assert.True(await Store.CreateIfAbsentAsync("seg/a"));
        Assert.Equal(0, (await Store.GetInfoAsync("seg/a"))!.Value.Length);
    }

    // ---- names ----

    public static TheoryData<string> InvalidNames => new()
    {
        "", "/abs", "a//b", "a/", "../up", "a/../b", "a/./b", ".", "sp ace", "tab\tx", "back\\slash", "ümlaut", "q?x", "h#x", "p%20",
        new string('a', BlobName.MaxLength + 1),
    };

    [Theory]
    [MemberData(nameof(InvalidNames))]
    public async Task Every_operation_refuses_an_invalid_name(string name)
    {
        await Assert.ThrowsAsync<ArgumentException>(() => Store.CreateIfAbsentAsync(name));
        await Assert.ThrowsAsync<ArgumentException>(() => Store.AppendAsync(name, 0, Bytes("x")));
        await Assert.ThrowsAsync<ArgumentException>(() => Store.ReadAsync(name, 0, new byte[1]));
        await Assert.ThrowsAsync<ArgumentException>(() => Store.GetInfoAsync(name));
        await Assert.ThrowsAsync<ArgumentException>(() => Store.GetAsync(name));
        await Assert.ThrowsAsync<ArgumentException>(() => Store.PutAsync(name, Bytes("x"), null));
        await Assert.ThrowsAsync<ArgumentException>(() => Store.DeleteAsync(name));
    }

    [Fact]
    public async Task The_longest_valid_name_works()
    {
        // Segments of 200 characters: one 1,020-character segment would exceed a file system's 255-byte name limit.
        var name = "seg/" + string.Join('/', Enumerable.Repeat(new string('n', 200), 5));
        name += new string('n', BlobName.MaxLength - name.Length);
        Assert.True(BlobName.IsValid(name));

        Assert.True(await Store.CreateIfAbsentAsync(name));
        Assert.Equal(AppendStatus.Appended, (await Store.AppendAsync(name, 0, Bytes("x"))).Status);
        Assert.Equal(name, Assert.Single(await Store.ListAsync("seg/").ToListAsync()).Name);
    }
}
