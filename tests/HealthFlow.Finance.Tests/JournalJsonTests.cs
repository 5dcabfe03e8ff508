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
    public void Journals_of_any_remittance_and_their_batches_read_as_the_serializer_reads_them_with_a_string_pool_or_without()
    {
        var strings = new Utf8StringPool(capacity: 64); // small, so that it also fills up
        var property = Prop.ForAll(Seeds, seed =>
        {
            var (remittance, matches) = RemittanceGenerator.Create(seed);
            var journals = RemittanceRule.Build(Sample, remittance, matches, Today).Journals;
            foreach (var journal in journals.Concat(JournalBatcher.Batch(journals, Sample).Select(b => b.Journal)))
            {
                var json = JsonSerializer.Serialize(journal, EventJson.Options);
                var bytes = Encoding.UTF8.GetBytes(json);
                // The exact bytes' reader takes every one without an escape, the token loop all, each with a pool or without.
                var exact = json.Contains('\\', StringComparison.Ordinal) ? [] : new[] { JournalJson.TryReadExact(bytes), JournalJson.TryReadExact(bytes, strings) };
                foreach (var read in exact.Concat([JournalJson.TryReadWritten(bytes), JournalJson.TryReadWritten(bytes, strings), JournalJson.Deserialize(bytes, strings)]))
                {
                    if (Reserialized(read) != json || read != journal with { Lines = read!.Lines } || !read.Lines.SequenceEqual(journal.Lines))
                        throw new InvalidOperationException($"seed {seed}: {json} read as {Reserialized(read)}");
                }
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
    [InlineData("""{"journalId":"JE-1","idempotencyKey":"k","legalEntity":"E\u002DW","currency":"USD","postingDate":"2026\u002D01-20","kind":"cash","source":{"receiptId":"r","correlationId":"c"},"lines":[{"account":"1120","debit":1,"credit":0}]}""")]
    [InlineData("""{"journalId":"JE-1","idempotencyKey":"k","legalEntity":"E","currency":"USD","postingDate":"2026-01-20","kind":"cash","reversalOf":null,"source":{"receiptId":"r","correlationId":"c"},"lines":[]}""")]
    [InlineData("""{"journalId":"JE-1","idempotencyKey":"k","legalEntity":"E","currency":"USD","postingDate":"2026-01-20","kind":"cash","reversalOf":"JE-0","source":{"receiptId":"r","correlationId":"c"},"lines":[{"account":"1120","debit":1.50,"credit":0,"memo":null},{"account":"1203","debit":0,"credit":-1.5,"facility":"RMC"}]}""")]
    [InlineData("""{ "journalId":"JE-1","idempotencyKey":"k","legalEntity":"E","currency":"USD","postingDate":"2026-01-20","kind":"cash","source":{"receiptId":"r","correlationId":"c"},"lines":[{"account":"1120","debit":1,"credit":0}]}""")]
    [InlineData("""{"journalId":"JE-1","idempotencyKey":"k\"q","legalEntity":"E","currency":"USD","postingDate":"2026-01-20","kind":"cash","source":{"receiptId":"r","correlationId":"c"},"lines":[{"account":"1120","debit":1,"credit":0}]}""")]
    [InlineData("""{"journalId":"JE-1","idempotencyKey":"k","legalEntity":"E","currency":"USD","postingDate":"2026-01-20","kind":"cash","source":{"receiptId":"r","correlationId":"c"},"lines":[{"account":"1120","debit":1E2,"credit":0}]}""")]
    [InlineData("""{"journalId":"JE-1","idempotencyKey":"k","legalEntity":"E","currency":"USD","postingDate":"2026-01-20","kind":"cash","source":{"receiptId":"r","correlationId":"c"},"lines":[{"account":"1120","credit":0,"debit":1}]}""")]
    public void Other_shapes_read_as_the_serializer_reads_them(string json)
    {
        Assert.Equal(Reserialized(BySerializer(json)), Reserialized(JournalJson.Deserialize(Encoding.UTF8.GetBytes(json))));
        Assert.Equal(Reserialized(BySerializer(json)), Reserialized(JournalJson.Deserialize(Encoding.UTF8.GetBytes(json), new Utf8StringPool())));
    }

    [Fact]
    public void Journals_read_with_one_string_pool_share_their_low_cardinality_strings()
    {
        var strings = new Utf8StringPool();
        var (remittance, matches) = RemittanceGenerator.Create(7);
        var read = RemittanceRule.Build(Sample, remittance, matches, Today).Journals
            .Select(j => JournalJson.Deserialize(JsonSerializer.SerializeToUtf8Bytes(j, EventJson.Options), strings)!).ToList();

        Assert.True(read.Count >= 2, "the remittance must give several journals");
        Assert.Same(read[0].Currency, read[^1].Currency);
        Assert.Same(read[0].LegalEntity, read.Last(j => j.LegalEntity == read[0].LegalEntity).LegalEntity);
        Assert.Same(read[0].Source.CorrelationId, read[^1].Source.CorrelationId);
        Assert.Same(read[0].Lines[0].Account, read.SelectMany(j => j.Lines).Last(l => l.Account == read[0].Lines[0].Account).Account);
        Assert.NotSame(read[0].IdempotencyKey, JournalJson.Deserialize(JsonSerializer.SerializeToUtf8Bytes(read[0], EventJson.Options), strings)!.IdempotencyKey);
    }

    [Fact]
    public void A_string_pool_returns_the_text_of_what_it_pools_and_declines_the_rest()
    {
        var strings = new Utf8StringPool(capacity: 1);

        Assert.True(strings.TryGet("RHS-SOUTH"u8, out var first));
        Assert.True(strings.TryGet("RHS-SOUTH"u8, out var again));
        Assert.True(strings.TryGet("Zürich"u8, out var second)); // the pool is full: right text, not pooled
        Assert.True(strings.TryGet("Zürich"u8, out var secondAgain));

        Assert.Equal("RHS-SOUTH", first);
        Assert.Same(first, again);
        Assert.Equal("Zürich", second);
        Assert.Equal(second, secondAgain);
        Assert.NotSame(second, secondAgain);
        Assert.False(strings.TryGet(Encoding.UTF8.GetBytes(new string('x', Utf8StringPool.MaxBytes + 1)), out _));
        Assert.False(strings.TryGet([0x41, 0xC3], out _)); // not valid UTF-8: the JSON reader says what that is
    }

    [Fact]
    public void A_string_pool_keeps_thousands_of_texts_of_every_length_apart()
    {
        var strings = new Utf8StringPool();
        // Texts of 0 to 64 bytes that differ in one byte only, among them ones sharing every 8-byte word but the last.
        var texts = Enumerable.Range(0, 5000).Select(i => (new string('A', i % 60) + i.ToString("x4", System.Globalization.CultureInfo.InvariantCulture))[..Math.Min(Utf8StringPool.MaxBytes, (i % 60) + 4)])
            .Append("").Append("é").Distinct().ToList();
        var first = texts.Select(t => strings.TryGet(Encoding.UTF8.GetBytes(t), out var s) ? s : null).ToList();
        var again = texts.Select(t => strings.TryGet(Encoding.UTF8.GetBytes(t), out var s) ? s : null).ToList();

        Assert.Equal<string?>(texts, first);
        for (var i = 0; i < texts.Count; i++)
            Assert.Same(first[i], again[i]);
    }

    [Theory]
    [InlineData("""{"journalId":"JE-1","legalEntity":"E","currency":"USD","postingDate":"2026-01-20","kind":"cash","source":{"receiptId":"r","correlationId":"c"},"lines":[]}""")]
    [InlineData("""{"journalId":"JE-1","idempotencyKey":"k","legalEntity":"E","currency":"USD","postingDate":"20.01.2026","kind":"cash","source":{"receiptId":"r","correlationId":"c"},"lines":[]}""")]
    [InlineData("""{"journalId":"JE-1","idempotencyKey":"k","legalEntity":"E","currency":"USD","postingDate":"2026-01-20","kind":"cash","source":{"receiptId":"r","correlationId":"c"},"lines":[]} x""")]
    [InlineData("""{"journalId":"JE-1","idempotencyKey":"k","legalEntity":"E","currency":"USD","postingDate":"2026-02-30","kind":"cash","source":{"receiptId":"r","correlationId":"c"},"lines":[]}""")]
    [InlineData("""{"journalId":"JE-1","idempotencyKey":"k","legalEntity":"E","currency":"USD","postingDate":"+026-01-20","kind":"cash","source":{"receiptId":"r","correlationId":"c"},"lines":[]}""")]
    public void What_the_serializer_refuses_is_refused(string json)
    {
        Assert.ThrowsAny<JsonException>(() => BySerializer(json));
        Assert.ThrowsAny<JsonException>(() => JournalJson.Deserialize(Encoding.UTF8.GetBytes(json)));
    }
}
