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
/// The payload is the members as JSON lines, each line the exact bytes the post records in
/// <see cref="WorkflowReadModels.JournalStream"/> once the ERP accepts. A build run twice (at least once) writes its
/// records twice; the plan in the history names one of them and the other is never read.
/// </remarks>
public static class PlannedPostMembers
{
    public const string Stream = "workflow/planned-posts";

    public const string RecordType = "PlannedPostMembers";

    /// <summary>Records the members of every batch in one commit; a journal posted as is needs no record.</summary>
    public static async Task<IReadOnlyList<PlannedPost>> WriteAsync(ILedger ledger, IReadOnlyList<JournalBatch> batches, IReadOnlyDictionary<string, Journal> journals,
        string correlationId, string instanceId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        ArgumentNullException.ThrowIfNull(batches);
        ArgumentNullException.ThrowIfNull(journals);
        var batched = batches.Where(b => !b.IsRealTime).ToList();
        var first = batched.Count == 0 ? 0 : await ledger.AppendBatchAsync(
            [.. batched.Select(b => new LedgerEntry(Stream, RecordType, b.Journal.IdempotencyKey, correlationId, instanceId, JsonLines(b.MemberKeys.Select(k => journals[k]))))],
            cancellationToken);
        var next = first;
        return [.. batches.Select(b => b.IsRealTime ? PlannedPost.Of(b.Journal) : new PlannedPost(b.Journal, b.MemberKeys.Count, next++))];
    }

    /// <summary>The members of <paramref name="post"/>, each with its JSON.</summary>
    /// <exception cref="InvalidOperationException">The record at <see cref="PlannedPost.MembersAt"/> is not this post's.</exception>
    public static async Task<IReadOnlyList<PlannedMember>> ReadAsync(ILedger ledger, PlannedPost post, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        ArgumentNullException.ThrowIfNull(post);
        if (post.MembersAt == PlannedPost.Itself)
        {
            return post.MemberCount == 1
                ? [new PlannedMember(post.Journal, JsonSerializer.SerializeToUtf8Bytes(post.Journal, EventJson.Options))]
                : throw new InvalidOperationException($"Post {post.Journal.JournalId} names no members (planned by an older build): replay its source (healthflow replay).");
        }

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

    private static byte[] JsonLines(IEnumerable<Journal> journals)
    {
        using var buffer = new MemoryStream();
        foreach (var journal in journals)
        {
            if (buffer.Length > 0)
                buffer.WriteByte((byte)'\n');
            JsonSerializer.Serialize(buffer, journal, EventJson.Options);
        }

        return buffer.ToArray();
    }
}

/// <summary>A member journal of a post and its JSON (the payload of its <see cref="WorkflowReadModels.JournalStream"/> record).</summary>
public sealed record PlannedMember(Journal Journal, ReadOnlyMemory<byte> Json);
