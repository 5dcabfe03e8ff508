using System.Text;
using System.Text.Json;
using HealthFlow.Finance.Batching;
using HealthFlow.Finance.Events;
using HealthFlow.Finance.Mapping;
using HealthFlow.Finance.Posting;
using HealthFlow.Ledger;
using HealthFlow.Ledger.Storage;
using HealthFlow.Pipeline.Workflows;
using static HealthFlow.Pipeline.Tests.Workflows.WorkflowSamples;
using HealthFlow.Pipeline.Tests.Support;

namespace HealthFlow.Pipeline.Tests.Workflows;

/// <summary>The claim-check of planned posts: batch members go to the ledger once and come back as written.</summary>
public sealed class PlannedPostMembersTests : FileLedgerTest
{
    [Fact]
    public async Task The_members_of_each_batch_come_back_as_written_in_this_process_and_after_a_restart_and_a_journal_posted_as_is_needs_no_record()
    {
        var master = MasterData.LoadEmbedded().Value!;
        var journals = RemittanceRule.Build(master, Remittance("TRN-1", "PCN-1"), new Dictionary<string, ClaimMatch> { ["PCN-1"] = new("RMC", "ACME") },
            new DateOnly(2026, 11, 21)).Journals;
        var batches = JournalBatcher.Batch(journals, master);
        var head = Ledger.Head;
        var plannedPosts = new PlannedPostMembers(Ledger);

        var posts = await plannedPosts.WriteAsync(batches, journals.ToDictionary(j => j.IdempotencyKey), "rcpt-1", "remit:ACME:TRN-1", CancellationToken.None);

        var batch = Assert.Single(batches);
        var post = Assert.Single(posts);
        Assert.Equal((head + 1, head, journals.Count), (Ledger.Head, post.MembersAt, post.MemberCount));
        var written = journals.OrderBy(j => j.IdempotencyKey, StringComparer.Ordinal).Select(j => JsonSerializer.SerializeToUtf8Bytes(j, EventJson.Options)).ToList();
        Assert.Equal(string.Join("\n", written.Select(Encoding.UTF8.GetString)), Encoding.UTF8.GetString((await Ledger.ReadAsync(post.MembersAt)).Payload.Span));
        // Kept from the write here; read from the ledger record by a process that did not write it.
        foreach (var reader in new[] { plannedPosts, new PlannedPostMembers(Ledger) })
        {
            var members = await reader.ReadAsync(post, CancellationToken.None);
            Assert.Equal(batch.MemberKeys, members.Select(m => m.Journal.IdempotencyKey));
            Assert.Equal(written, members.Select(m => m.Json.ToArray()));
            Assert.All(members, m => Assert.Equal(JsonSerializer.SerializeToUtf8Bytes(m.Journal, EventJson.Options), m.Json.ToArray()));
        }

        var asIs = await plannedPosts.ReadAsync(PlannedPost.Of(journals[0]), CancellationToken.None);
        Assert.Same(journals[0], Assert.Single(asIs).Journal);
        Assert.Equal(head + 1, Ledger.Head);
    }

    [Fact]
    public async Task A_post_whose_position_holds_another_record_is_refused()
    {
        var master = MasterData.LoadEmbedded().Value!;
        var journals = RemittanceRule.Build(master, Remittance("TRN-2", "PCN-2"), new Dictionary<string, ClaimMatch> { ["PCN-2"] = new("RMC", "ACME") },
            new DateOnly(2026, 11, 21)).Journals;
        var seq = await Ledger.AppendAsync(new LedgerEntry("elsewhere", "Other", "key", "rcpt-2", "", new byte[] { 1 }));
        var batch = Assert.Single(JournalBatcher.Batch(journals, master));

        await Assert.ThrowsAsync<InvalidOperationException>(() => new PlannedPostMembers(Ledger).ReadAsync(new PlannedPost(batch.Journal, journals.Count, seq), CancellationToken.None));
        await Assert.ThrowsAsync<InvalidOperationException>(() => new PlannedPostMembers(Ledger).ReadAsync(new PlannedPost(batch.Journal, journals.Count, seq + 1), CancellationToken.None));
        // A post from a history written before members were claim-checked names none.
        await Assert.ThrowsAsync<InvalidOperationException>(() => new PlannedPostMembers(Ledger).ReadAsync(new PlannedPost(batch.Journal, 0), CancellationToken.None));
    }
}
