using System.Text.Json;
using HealthFlow.Finance.Events;
using HealthFlow.Finance.Journals;
using HealthFlow.Finance.Mapping;
using HealthFlow.Finance.Posting;
using HealthFlow.Pipeline.ReadModels;
using static HealthFlow.Pipeline.Tests.Workflows.WorkflowSamples;

namespace HealthFlow.Pipeline.Tests.Replay;

public sealed class JournalFactsTests
{
    [Fact]
    public void The_journal_facts_read_off_a_recorded_journal_are_the_journal_s_own()
    {
        var masterData = MasterData.LoadEmbedded().Value!;
        var built = RemittanceRule.Build(masterData, Remittance("TRN-7601", "PCN-7601"), new Dictionary<string, ClaimMatch> { ["PCN-7601"] = new("RMC", "ACME") }, new DateOnly(2026, 11, 21));
        var reversal = JournalReversal.Reverse(built.Journals[0], new DateOnly(2026, 11, 22), new JournalSource("rcpt-x", "rcpt-x"));

        Assert.True(built.Journals.Count >= 2);
        foreach (var journal in built.Journals.Append(reversal))
        {
            var facts = JournalFacts.Read(JsonSerializer.SerializeToUtf8Bytes(journal, EventJson.Options));

            Assert.Equal((journal.JournalId, journal.IdempotencyKey, journal.Kind, journal.LegalEntity, journal.Currency, journal.PostingDate, journal.ReversalOf, journal.Source.CorrelationId),
                (facts.JournalId, facts.IdempotencyKey, facts.Kind, facts.LegalEntity, facts.Currency, facts.PostingDate, facts.ReversalOf, facts.CorrelationId));
            Assert.Equal(journal.Lines.Select(l => (l.Account, l.Debit, l.Credit, l.Facility, l.Payer)), facts.Lines.Select(l => (l.Account, l.Debit, l.Credit, l.Facility, l.Payer)));
        }
    }

    [Fact]
    public void A_journal_record_without_its_key_is_refused()
    {
        Assert.Throws<InvalidDataException>(() => JournalFacts.Read("""{"journalId":"JE-1","kind":"cash","legalEntity":"RHS","currency":"USD","postingDate":"2026-11-21","source":{"correlationId":"c"},"lines":[]}"""u8));
    }
}
