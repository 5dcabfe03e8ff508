using FsCheck;
using FsCheck.Fluent;

namespace HealthFlow.X12.Tests;

/// <summary>
/// Generated interchanges and mutations of them: valid input parses clean and balanced; no input, however
/// broken, makes the parser throw, and the acknowledgement it produces is itself valid X12.
/// </summary>
public sealed class PropertyTests
{
    private enum MutationKind
    {
        FlipByte,
        DeleteRange,
        InsertJunk,
        Truncate,
        DuplicateRange,
        ReplaceWithDelimiter,
    }

    private sealed record Mutation(MutationKind Kind, int Position, int Length, byte Value);

    private static readonly Config Runs = Config.QuickThrowOnFailure.WithMaxTest(300);

    private static byte[] Generated835(int seed)
    {
        using var stream = new MemoryStream();
        new X12Generator(seed).Write835(stream, 1, claimsPerTransactionSet: 1 + (Math.Abs(seed) % 6), setsPerInterchange: 1 + (Math.Abs(seed) % 3));
        return stream.ToArray();
    }

    private static byte[] Generated837(int seed)
    {
        using var stream = new MemoryStream();
        new X12Generator(seed).Write837(stream, seed % 2 == 0 ? ClaimKind.Professional : ClaimKind.Institutional, 1 + (Math.Abs(seed) % 5));
        return stream.ToArray();
    }

    private static byte[] Apply(byte[] input, IEnumerable<Mutation> mutations)
    {
        var bytes = input.ToList();
        foreach (var mutation in mutations)
        {
            if (bytes.Count == 0)
            {
                break;
            }

            var at = mutation.Position % bytes.Count;
            var length = Math.Min(mutation.Length, bytes.Count - at);
            switch (mutation.Kind)
            {
                case MutationKind.FlipByte:
                    bytes[at] = mutation.Value;
                    break;
                case MutationKind.DeleteRange:
                    bytes.RemoveRange(at, length);
                    break;
                case MutationKind.InsertJunk:
                    bytes.InsertRange(at, Enumerable.Repeat(mutation.Value, mutation.Length));
                    break;
                case MutationKind.Truncate:
                    bytes.RemoveRange(at, bytes.Count - at);
                    break;
                case MutationKind.DuplicateRange:
                    bytes.InsertRange(at, bytes.GetRange(at, length));
                    break;
                case MutationKind.ReplaceWithDelimiter:
                    bytes[at] = "*:~^\n\r|"u8[mutation.Value % 7];
                    break;
                default:
                    break;
            }
        }

        return [.. bytes];
    }

    private static readonly Gen<Mutation> MutationGen =
        from kind in Gen.Elements(Enum.GetValues<MutationKind>())
        from position in Gen.Choose(0, int.MaxValue)
        from length in Gen.Choose(1, 40)
        from value in Gen.Choose(0, 255)
        select new Mutation(kind, position, length, (byte)value);

    [Fact]
    public void Generated_remittances_parse_clean_balanced_and_complete()
    {
        Check.One(Runs, Prop.ForAll(Arb.From(Gen.Choose(0, 1_000_000)), seed =>
        {
            using var stream = new MemoryStream();
            var totals = new X12Generator(seed).Write835(stream, 1, 1 + (seed % 6), 1 + (seed % 3));
            var result = X12Parser.Parse(stream.ToArray(), X12TestFiles.Options);
            var remittances = result.TransactionSets.Select(t => t.Set.Remittance!).ToList();
            return result.AllAccepted
                   && !result.AllErrors.Any()
                   && remittances.Sum(r => r.Claims.Count) == totals.Claims
                   && remittances.Sum(r => r.Claims.Sum(c => c.ServiceLines.Count)) == totals.ServiceLines
                   && remittances.All(r => r.IsBalanced && r.Claims.All(c => c.IsBalanced))
                   && remittances.Sum(r => r.PaymentAmount) * 100 == totals.PaymentCents;
        }));
    }

    [Fact]
    public void Remittances_for_billed_claims_pay_each_claim_once_per_payer_and_corrections_reverse_the_payment_exactly()
    {
        var generator = new X12Generator(17);
        var billed = generator.CreateClaimBatch(ClaimKind.Institutional, 60).Claims;
        using var payments = new MemoryStream();
        using var corrections = new MemoryStream();
        generator.Write835For(payments, billed);
        var correctionTotals = generator.Write835Corrections(corrections);

        var paid = X12Parser.Parse(payments.ToArray(), X12TestFiles.Options);
        var corrected = X12Parser.Parse(corrections.ToArray(), X12TestFiles.Options);
        Assert.True(paid.AllAccepted && corrected.AllAccepted);
        var remittances = paid.TransactionSets.Select(t => t.Set.Remittance!).ToList();
        Assert.All(remittances, r => Assert.True(r.IsBalanced));
        Assert.Equal(billed.Select(c => c.PayerId).Distinct().Order(StringComparer.Ordinal), remittances.Select(r => r.PayerId).Order(StringComparer.Ordinal));
        var payments835 = remittances.SelectMany(r => r.Claims).ToDictionary(c => c.PatientControlNumber);
        Assert.Equal(billed.Select(c => c.ControlNumber).Order(StringComparer.Ordinal), payments835.Keys.Order(StringComparer.Ordinal));
        Assert.All(billed, c => Assert.Equal(c.TotalCharge, payments835[c.ControlNumber].Charge));

        Assert.All(corrected.TransactionSets.Select(t => t.Set.Remittance!), r => Assert.True(r.IsBalanced && r.PaymentAmount > 0));
        var correctionClaims = corrected.TransactionSets.SelectMany(t => t.Set.Remittance!.Claims).ToList();
        Assert.True(correctionTotals.Reversals > 0);
        Assert.Equal(2 * correctionTotals.Reversals, correctionClaims.Count);
        foreach (var reversal in correctionClaims.Where(c => c.Status == "22"))
        {
            var original = payments835[reversal.PatientControlNumber];
            Assert.Equal(-original.Paid, reversal.Paid);
            Assert.Equal(-original.Charge, reversal.Charge);
            Assert.Contains(correctionClaims, c => c.PatientControlNumber == reversal.PatientControlNumber && c.Status == "1");
        }
    }

    [Fact]
    public void Generated_claims_round_trip_through_the_writer()
    {
        var identity = new X12ParseOptions { TokenizePhi = v => v };
        Check.One(Runs, Prop.ForAll(Arb.From(Gen.Choose(0, 1_000_000)), seed =>
        {
            using var stream = new MemoryStream();
            var batch = new X12Generator(seed).Write837(stream, seed % 2 == 0 ? ClaimKind.Professional : ClaimKind.Institutional, 1 + (seed % 7));
            var result = X12Parser.Parse(stream.ToArray(), identity);
            return result.AllAccepted
                   && X12TestFiles.Json(batch) == X12TestFiles.Json(Assert.Single(result.TransactionSets).Set.ClaimBatch);
        }));
    }

    [Fact]
    public void Mutated_input_never_throws_and_its_acknowledgement_is_valid_x12()
    {
        var arbitrary = Arb.From(
            from seed in Gen.Choose(0, 1_000_000)
            from use837 in Gen.Elements(false, true)
            from mutations in Gen.ListOf(MutationGen).Resize(4)
            select (seed, use837, mutations));
        Check.One(Runs, Prop.ForAll(arbitrary, input =>
        {
            var original = input.use837 ? Generated837(input.seed) : Generated835(input.seed);
            var mutated = Apply(original, input.mutations);
            var result = X12Parser.Parse(mutated, X12TestFiles.Options);

            // Reports and acknowledgements must come out of any result, and our own 999/TA1 must parse clean.
            using var json = new MemoryStream();
            using (var writer = new System.Text.Json.Utf8JsonWriter(json))
            {
                X12InspectReport.Write(result, writer);
            }

            using var ack = new MemoryStream();
            X12Acknowledgements.WriteResponses(result, new X12AckEnvelope(1, 1, DateTimeOffset.UnixEpoch), ack);
            var ackResult = X12Parser.Parse(ack.ToArray(), X12TestFiles.Options);
            var ackIsValid = result.Interchanges.Count == 0 || (!ackResult.AllErrors.Any() && ackResult.Interchanges.Count == result.Interchanges.Count);
            var unchangedIsAccepted = !mutated.AsSpan().SequenceEqual(original) || result.AllAccepted;
            return ackIsValid && unchangedIsAccepted;
        }));
    }
}
