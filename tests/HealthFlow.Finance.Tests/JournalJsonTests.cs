using System.Text;
using System.Text.Json;
using FsCheck;
using FsCheck.Fluent;
using HealthFlow.Finance.Batching;
using HealthFlow.Finance.Events;
using HealthFlow.Finance.Journals;
using HealthFlow.Finance.Posting;
using static HealthFlow.Finance.Tests.TestData;

namespace HealthFlow.Finance.Tests;

/// <summary>JournalJson reads every journal exactly as the serializer does, on its fast path and off it.</summary>
public sealed class JournalJsonTests
{
    private static readonly Arbitrary<int> Seeds = Gen.Choose(0, int.MaxValue).ToArbitrary();

    private static string Reserialized(Journal? journal) => JsonSerializer.Serialize(journal, EventJson.Options);

    private static Journal? BySerializer(string json) => JsonSerializer.Deserialize<Journal>(json, EventJson.Options);

    [Fact]
    public void Journals_of_any_remittance_and_their_batches_read_as_the_serializer_reads_them()
    {
        var property = Prop.ForAll(Seeds, seed =>
        {
            var (remittance, matches) = RemittanceGenerator.Create(seed);
            var journals = RemittanceRule.Build(Sample, remittance, matches, Today).Journals;
            foreach (var journal in journals.Concat(JournalBatcher.Batch(journals, Sample).Select(b => b.Journal)))
            {
                var json = JsonSerializer.Serialize(journal, EventJson.Options);
                var read = JournalJson.Deserialize(Encoding.UTF8.GetBytes(json));
                if (Reserialized(read) != json || read != journal with { Lines = read!.Lines } || !read.Lines.SequenceEqual(journal.Lines))
                    throw new InvalidOperationException($"seed {seed}: {json} read as {Reserialized(read)}");
            }
            return true;
        });

        Check.One(Config.QuickThrowOnFailure.WithMaxTest(200), property);
    }

    [Theory]
    [InlineData("""{"JournalId":"JE-1","idempotencyKey":"k","legalEntity":"E","currency":"USD","postingDate":"2026-01-20","kind":"cash","source":{"receiptId":"r","correlationId":"c"},"lines":[{"account":"1120","debit":1,"credit":0}]}""")]
    [InlineData("""{"journalId":"JE-1","idempotencyKey":"k","legalEntity":"E","currency":"USD","postingDate":"2026-01-20","kind":"cash","source":{"receiptId":"r","correlationId":"c"},"lines":[{"account":"1120","debit":"1.50","credit":0}]}""")]
    [InlineData("""{"journalId":"JE-1","idempotencyKey":"k","legalEntity":"E","currency":"USD","postingDate":"2026-01-20","kind":"cash","extra":[1,{"a":2}],"source":{"receiptId":"r","correlationId":"c"},"lines":[{"account":"1120","debit":1,"credit":0,"memo":null}]}""")]
    [InlineData("""{"journalId":"JE-1","idempotencyKey":"k","legalEntity":"E","currency":"USD","postingDate":"2026-01-20","kind":"cash","source":{"receiptId":"r"},"lines":[{"account":"1120","credit":2}]}""")]
    [InlineData("""{"journalId":"JE-1","journalId":"JE-2","idempotencyKey":"k","legalEntity":"E","currency":"USD","postingDate":"2026-01-20","kind":"cash","source":{"receiptId":"r","correlationId":"c"},"lines":[]}""")]
    public void Other_shapes_read_as_the_serializer_reads_them(string json) =>
        Assert.Equal(Reserialized(BySerializer(json)), Reserialized(JournalJson.Deserialize(Encoding.UTF8.GetBytes(json))));

    [Theory]
    [InlineData("""{"journalId":"JE-1","legalEntity":"E","currency":"USD","postingDate":"2026-01-20","kind":"cash","source":{"receiptId":"r","correlationId":"c"},"lines":[]}""")]
    [InlineData("""{"journalId":"JE-1","idempotencyKey":"k","legalEntity":"E","currency":"USD","postingDate":"20.01.2026","kind":"cash","source":{"receiptId":"r","correlationId":"c"},"lines":[]}""")]
    [InlineData("""{"journalId":"JE-1","idempotencyKey":"k","legalEntity":"E","currency":"USD","postingDate":"2026-01-20","kind":"cash","source":{"receiptId":"r","correlationId":"c"},"lines":[]} x""")]
    public void What_the_serializer_refuses_is_refused(string json)
    {
        Assert.ThrowsAny<JsonException>(() => BySerializer(json));
        Assert.ThrowsAny<JsonException>(() => JournalJson.Deserialize(Encoding.UTF8.GetBytes(json)));
    }
}
