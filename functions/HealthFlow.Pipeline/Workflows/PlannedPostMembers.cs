using System.Buffers;
using System.Text.Json;
using HealthFlow.Finance.Batching;
using HealthFlow.Finance.Events;
using HealthFlow.Finance.Journals;
using HealthFlow.Ledger;

namespace HealthFlow.Pipeline.Workflows;

/// <summary>
/// The member journals of planned micro-batches, claim-checked in the ledger: one record per post in stream
/// <see cref="Stream"/> (key = the batch's idempotency key), written once by the build, read by the post. Without it the
/// members of an 835 (a few journals per claim payment) would travel in the orchestration history twice, as the build's
/// result and as the posts' inputs, and be read again on every replay.
/// </summary>
/// <remarks>
/// <para>The payload is the members as JSON lines, each line the exact bytes the post records in
/// <see cref="WorkflowReadModels.JournalStream"/> once the ERP accepts. A build run twice (at least once) writes its
/// records twice; the plan in the history names one of them and the other is never read.</para>
/// <para>The ledger is the truth; the members a build wrote are also kept here, as written, until their post takes them, so
/// that a post in the same process neither reads the record back nor parses its journals again (the two were a tenth of
/// the remittance's CPU). A post after a restart, on another instance, or once its members were evicted (oldest first,
/// beyond <see cref="KeptBytes"/> or <see cref="KeptRecords"/>: a build whose plan lost the race is never posted) reads the record.</para>
/// </remarks>
public sealed class PlannedPostMembers(ILedger ledger)
{
    public const string Stream = "workflow/planned-posts";

    public const string RecordType = "PlannedPostMembers";

    /// <summary>How many payload bytes of written, not yet posted members are kept in memory at most.</summary>
    public const long KeptBytes = 64L << 20;

    /// <summary>How many of the latest records are kept at most (taken or not: the write order holds them all).</summary>
    public const int KeptRecords = 4096;

    private readonly LedgerHandOver<Written> _written = new(KeptRecords, KeptBytes, written => written.Members.Payload.Length);

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    /// <summary>Records the members of every batch in one commit; a journal posted as is needs no record.</summary>
    public async Task<IReadOnlyList<PlannedPost>> WriteAsync(IReadOnlyList<JournalBatch> batches, IReadOnlyDictionary<string, Journal> journals,
        string correlationId, string instanceId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batches);
        ArgumentNullException.ThrowIfNull(journals);
        var batched = batches.Where(b => !b.IsRealTime).Select(b => (b.Journal.IdempotencyKey, Members: JsonLines(b.MemberKeys.Select(k => journals[k])))).ToList();
        var first = batched.Count == 0 ? 0 : await ledger.AppendBatchAsync(
            [.. batched.Select(b => new LedgerEntry(Stream, RecordType, b.IdempotencyKey, correlationId, instanceId, b.Members.Payload))],
            cancellationToken);
        for (var i = 0; i < batched.Count; i++)
            _written.Keep(first + i, new Written(batched[i].IdempotencyKey, batched[i].Members));

        var next = first;
        return [.. batches.Select(b => b.IsRealTime ? PlannedPost.Of(b.Journal) : new PlannedPost(b.Journal, b.MemberKeys.Count, next++))];
    }

    /// <summary>The members of <paramref name="post"/>, each with its JSON.</summary>
    /// <exception cref="InvalidOperationException">The record at <see cref="PlannedPost.MembersAt"/> is not this post's.</exception>
    public async Task<IReadOnlyList<PlannedMember>> ReadAsync(PlannedPost post, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(post);
        if (post.MembersAt == PlannedPost.Itself)
        {
            return post.MemberCount == 1
                ? [new PlannedMember(post.Journal, JsonSerializer.SerializeToUtf8Bytes(post.Journal, EventJson.Options))]
                : throw new InvalidOperationException($"Post {post.Journal.JournalId} names no members (planned by an older build): replay its source (healthflow replay).");
        }

        if (_written.TryTake(post.MembersAt, out var kept) && kept.Key == post.Journal.IdempotencyKey && kept.Members.Members.Count == post.MemberCount)
            return kept.Members.Members;

        if (post.MembersAt >= ledger.Head)
            await ledger.RefreshAsync(cancellationToken); // written by another instance (Azure)
        var record = post.MembersAt < ledger.Head ? await ledger.ReadAsync(post.MembersAt, cancellationToken) : null;
        if (record is null || record.Stream != Stream || record.Key != post.Journal.IdempotencyKey)
            throw new InvalidOperationException($"Ledger record {post.MembersAt} does not hold the members of post {post.Journal.JournalId}.");

        var members = new List<PlannedMember>(post.MemberCount);
        var rest = record.Payload;
        while (!rest.IsEmpty)
        {
            var end = rest.Span.IndexOf((byte)'\n');
            var line = end < 0 ? rest : rest[..end];
            members.Add(new PlannedMember(JournalJson.Deserialize(line.Span)!, line));
            rest = end < 0 ? ReadOnlyMemory<byte>.Empty : rest[(end + 1)..];
        }

        return members.Count == post.MemberCount
            ? members
            : throw new InvalidOperationException($"Ledger record {post.MembersAt} holds {members.Count} members of post {post.Journal.JournalId}, not {post.MemberCount}.");
    }

    /// <summary>The journals as JSON lines, written once into a reused buffer and copied out at their size, each line a slice of the payload.</summary>
    private static MemberLines JsonLines(IEnumerable<Journal> journals)
    {
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(1 << 16);
        buffer.ResetWrittenCount();
        var ends = new List<(Journal Journal, int Start, int End)>();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = EventJson.Options.Encoder, Indented = false }))
        {
            foreach (var journal in journals)
            {
                if (ends.Count > 0)
                {
                    buffer.Write("\n"u8);
                    writer.Reset(buffer);
                }

                var start = buffer.WrittenCount;
                JsonSerializer.Serialize(writer, journal, EventJson.Options);
                writer.Flush();
                ends.Add((journal, start, buffer.WrittenCount));
            }
        }

        var payload = buffer.WrittenSpan.ToArray();
        return new MemberLines(payload, [.. ends.Select(e => new PlannedMember(e.Journal, payload.AsMemory(e.Start, e.End - e.Start)))]);
    }

    private sealed record MemberLines(byte[] Payload, IReadOnlyList<PlannedMember> Members);

    private sealed record Written(string Key, MemberLines Members);
}

/// <summary>A member journal of a post and its JSON (the payload of its <see cref="WorkflowReadModels.JournalStream"/> record).</summary>
public sealed record PlannedMember(Journal Journal, ReadOnlyMemory<byte> Json);
