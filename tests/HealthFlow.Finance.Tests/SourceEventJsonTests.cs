using System.Text;
using System.Text.Json;
using FsCheck;
using FsCheck.Fluent;
using HealthFlow.Finance.Events;

namespace HealthFlow.Finance.Tests;

/// <summary>SourceEventJson reads every event exactly as EventJson (the serializer) does: claims and 835s as written on its fast paths (the exact bytes, then the tokens), anything else off them.</summary>
public sealed class SourceEventJsonTests
{
    private static readonly Arbitrary<int> Seeds = Gen.Choose(0, int.MaxValue).ToArbitrary();

    private static string Reserialized(CanonicalEvent @event) => Encoding.UTF8.GetString(EventJson.Serialize(@event));

    private static void AssertReadAsTheSerializerReads(string json)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        var expected = EventJson.Deserialize(bytes);
        var read = SourceEventJson.Deserialize(bytes);
        Assert.Equal(expected.GetType(), read.GetType());
        Assert.Equal(Reserialized(expected), Reserialized(read));
    }

    [Fact]
    public void Generated_remittances_read_as_the_serializer_reads_them()
    {
        var property = Prop.ForAll(Seeds, seed =>
        {
            var (remittance, _) = RemittanceGenerator.Create(seed);
            var json = Reserialized(remittance);
            // The exact bytes' reader takes every one without an escape; the token loop takes all.
            var readers = json.Contains('\\', StringComparison.Ordinal) ? [SourceEventJson.TryReadTokens] : new[] { SourceEventJson.TryReadExact, SourceEventJson.TryReadTokens };
            foreach (var read in readers.Select(reader => reader(Encoding.UTF8.GetBytes(json), null)))
            {
                if (read is not RemittanceReceived || Reserialized(read) != json)
                    throw new InvalidOperationException($"seed {seed}: {json} read as {(read is null ? "(not the written shape)" : Reserialized(read))}");
            }

            return true;
        });

        Check.One(Config.QuickThrowOnFailure.WithMaxTest(200), property);
    }

    [Fact]
    public void Generated_claims_read_as_the_serializer_reads_them()
    {
        var property = Prop.ForAll(Seeds, seed =>
        {
            var json = Reserialized(Claim(seed));
            // The exact bytes' reader takes every one without an escape; the token loop takes all.
            var readers = json.Contains('\\', StringComparison.Ordinal) ? [SourceEventJson.TryReadTokens] : new[] { SourceEventJson.TryReadExact, SourceEventJson.TryReadTokens };
            foreach (var read in readers.Select(reader => reader(Encoding.UTF8.GetBytes(json), null)))
            {
                if (read is not ClaimSubmitted || Reserialized(read) != json)
                    throw new InvalidOperationException($"seed {seed}: {json} read as {(read is null ? "(not the written shape)" : Reserialized(read))}");
            }

            return true;
        });

        Check.One(Config.QuickThrowOnFailure.WithMaxTest(200), property);
    }

    [Theory]
    // Off the fast path: another spelling, an amount as a string, an unknown property, nulls the serializer decides on,
    // a property twice, optional parts present and absent.
    [InlineData("""{"type":"ClaimSubmitted","IdempotencyKey":"k","correlationId":"c","causationId":"x","claimId":"PCN1","claimKind":"837I","payer":"ACME","totalCharge":{"amount":1.5,"currency":"USD"}}""")]
    [InlineData("""{"type":"ClaimSubmitted","idempotencyKey":"k","correlationId":"c","causationId":"x","claimId":"PCN1","claimKind":"837I","payer":"ACME","totalCharge":{"amount":"1.50","currency":"USD"}}""")]
    [InlineData("""{"type":"ClaimSubmitted","idempotencyKey":"k","correlationId":"c","causationId":"x","claimId":"PCN1","claimKind":"837I","payer":"ACME","totalCharge":{"amount":1,"currency":"USD"},"extra":[1,{"a":2}]}""")]
    [InlineData("""{"type":"ClaimSubmitted","idempotencyKey":"k","correlationId":"c","causationId":"x","claimId":null,"claimKind":"837I","payer":"ACME","totalCharge":{"amount":1,"currency":"USD"},"diagnosisCodes":null}""")]
    [InlineData("""{"type":"ClaimSubmitted","idempotencyKey":"k","correlationId":"c","causationId":"x","claimId":"P","claimKind":"837I","payer":"ACME","totalCharge":{"amount":1,"currency":"USD"},"lines":[{"number":1,"quantity":2,"charge":{"amount":1,"currency":"USD"},"serviceDate":null},{"number":2,"quantity":1.5,"charge":{"amount":0,"currency":"USD"}}]}""")]
    [InlineData("""{"type":"ClaimSubmitted","idempotencyKey":"k","correlationId":"c","causationId":"x","claimId":"P","claimKind":"837I","payer":"ACME","totalCharge":{"amount":1,"currency":"USD"},"lines":[{"number":1,"charge":{"amount":1,"currency":"USD"}}]}""")]
    [InlineData("""{"type":"ClaimSubmitted","idempotencyKey":"k","idempotencyKey":"k2","correlationId":"c","causationId":"x","claimId":"P","claimKind":"837I","payer":"ACME","totalCharge":{"amount":1,"currency":"USD"}}""")]
    [InlineData("""{"type":"RemittanceReceived","idempotencyKey":"k","correlationId":"c","causationId":"x","payer":"P","payee":"E","traceNumber":"T","paymentAmount":{"amount":0,"currency":"USD"},"balanced":true,"paymentDate":null,"claims":[{"patientControlNumber":"A","status":"1","charge":2,"paid":1,"isReversal":true,"adjustments":[{"group":"CO","reason":"45","amount":1}],"serviceLines":[{"charge":2,"paid":1,"adjustments":[]}]}]}""")]
    [InlineData("""{"type":"RemittanceReceived","idempotencyKey":"k","correlationId":"c","causationId":"x","payer":"P","payee":"E","traceNumber":"T","paymentAmount":{"amount":0,"currency":"USD"},"balanced":true,"claims":[{"patientControlNumber":"A","status":"1","charge":2,"paid":1,"adjustments":[{"group":null,"reason":"45","amount":1}],"serviceLines":[{"charge":2,"paid":1}]}]}""")]
    [InlineData("""{"type":"RemittanceReceived","idempotencyKey":"k","correlationId":"c","causationId":"x","payer":"P","payee":"E","traceNumber":"T","paymentAmount":{"amount":0,"currency":"USD"},"balanced":true,"providerAdjustments":[{"reason":"L6","amount":-1.25},{"reason":"WO","reference":"R1","amount":3}],"difference":0.5}""")]
    [InlineData("""{"type":"PaymentReceived","idempotencyKey":"k","correlationId":"c","causationId":"x","payer":"P","paymentId":"T","amount":{"amount":5,"currency":"USD"}}""")]
    public void Other_shapes_read_as_the_serializer_reads_them(string json) => AssertReadAsTheSerializerReads(json);

    [Theory]
    [InlineData("""{"type":"ClaimSubmitted","idempotencyKey":"k","correlationId":"c","causationId":"x","claimKind":"837I","payer":"ACME","totalCharge":{"amount":1,"currency":"USD"}}""")]
    [InlineData("""{"type":"RemittanceReceived","idempotencyKey":"k","correlationId":"c","causationId":"x","payer":"P","payee":"E","traceNumber":"T","paymentAmount":{"amount":0,"currency":"USD"},"balanced":null}""")]
    [InlineData("""{"type":"RemittanceReceived","idempotencyKey":"k","correlationId":"c","causationId":"x","payer":"P","payee":"E","traceNumber":"T","paymentAmount":{"amount":0,"currency":"USD"},"balanced":true} x""")]
    [InlineData("""{"type":"RemittanceReceived","idempotencyKey":"k","correlationId":"c","causationId":"x","payer":"P","payee":"E","traceNumber":"T","paymentAmount":null,"balanced":true}""")]
    [InlineData("""{"type":"RemittanceReceived","idempotencyKey":"k","correlationId":"c","causationId":"x","payer":"P","payee":"E","traceNumber":"T","paymentAmount":{"amount":0,"currency":"USD"},"balanced":true,"paymentDate":"20.01.2026"}""")]
    [InlineData("""{"type":"RemittanceReceived","idempotencyKey":"k","correlationId":"c","causationId":"x","payer":"P","payee":"E","traceNumber":"T","paymentAmount":{"amount":0,"currency":"USD"},"balanced":true,"paymentDate":"2026-01-20T00:00:00"}""")]
    [InlineData("""{"idempotencyKey":"k","type":"RemittanceReceived","correlationId":"c","causationId":"x","payer":"P","payee":"E","traceNumber":"T","paymentAmount":{"amount":0,"currency":"USD"},"balanced":true}""")]
    [InlineData("""{"type":"Unknown","idempotencyKey":"k"}""")]
    public void What_the_serializer_refuses_is_refused(string json)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        var serializer = Record.Exception(() => EventJson.Deserialize(bytes));
        var read = Record.Exception(() => SourceEventJson.Deserialize(bytes));
        Assert.True(serializer is JsonException or NotSupportedException, serializer?.ToString() ?? "the serializer read it");
        Assert.Equal(serializer!.GetType(), read?.GetType());
    }

    /// <summary>A claim with any of its optional parts, lines and diagnosis codes (strings with escapes included).</summary>
    private static ClaimSubmitted Claim(int seed)
    {
        var random = new Random(seed);
        string? Maybe(string value) => random.Next(3) == 0 ? null : value;
        var lines = Enumerable.Range(1, random.Next(0, 5)).Select(n => new ClaimLine(n, Maybe("0450"), Maybe("99285"), random.Next(1, 400) / 4m,
            new Money(random.Next(0, 1_000_000) / 100m, "USD"), random.Next(2) == 0 ? null : new DateOnly(2026, 1, random.Next(1, 29)))).ToList();
        return new ClaimSubmitted
        {
            IdempotencyKey = $"x12:ZZ:SENDER:{seed}:1:0001:PCN{seed}",
            CorrelationId = $"rcpt-{seed}",
            CausationId = $"x12:ZZ:SENDER:{seed}",
            ClaimId = random.Next(4) == 0 ? $"PCN \"{seed}\"\\é" : $"PCN{seed}",
            ClaimKind = random.Next(2) == 0 ? "837I" : "837P",
            Facility = Maybe("RMC"),
            EncounterId = Maybe($"V{seed}"),
            BillingProviderNpi = Maybe("1234567893"),
            Payer = "ACME HEALTH PLAN",
            PatientToken = Maybe("pt_0123456789abcdef0123456789abcdef"),
            TotalCharge = new Money(lines.Sum(l => l.Charge.Amount), "USD"),
            FrequencyCode = Maybe("1"),
            DiagnosisCodes = [.. Enumerable.Range(0, random.Next(0, 4)).Select(i => $"I{i}10")],
            Lines = lines,
        };
    }
}
