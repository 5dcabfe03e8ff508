namespace HealthFlow.X12.Tests;

/// <summary>
/// Every file of the third-party corpus (see shared/corpus/MANIFEST.md): valid files parse with the right totals,
/// malformed ones get the precise error. The files stay outside the repository.
/// </summary>
public sealed class CorpusTests
{
    /// <param name="Sets">Transaction sets found.</param>
    /// <param name="Accepted">Whether every set is accepted.</param>
    /// <param name="Claims">835 CLP or 837 CLM count, or claim-level (HL PT) STC count of a 277CA.</param>
    /// <param name="Errors">Qualified error codes that must all be reported.</param>
    private sealed record Expectation(int Sets, bool Accepted, int Claims, params string[] Errors);

    private static readonly Dictionary<string, Expectation> Expected = new()
    {
        ["ims-x12_277_x212.txt"] = new(1, false, 8, "TA105-001"),
        ["ims-x12_277CA_accepted.txt"] = new(1, true, 1),
        ["ims-x12_277CA_rejected.txt"] = new(1, true, 1),
        ["ims-x12_999_accepted.txt"] = new(1, false, 0, "TA105-001"),
        ["ims-x12_999_accepted_ta1.txt"] = new(1, true, 0),
        ["ims-x12_999_rejected.txt"] = new(1, true, 0),
        ["ims-x12_bad_first_line.txt"] = new(1, false, 2, "TA105-011", "IK502-4"),
        ["ims-x12_bad_segment_identifier.txt"] = new(1, false, 2, "IK304-1", "IK502-4"),
        ["ims-x12_complex.txt"] = new(2, false, 6, "AK905-5", "IK502-4"),
        ["ims-x12_many_claims.txt"] = new(1, false, 820, "IK502-4"),
        ["ims-x12_missing_elements.txt"] = new(1, false, 2, "IK403-1", "IK304-8"),
        ["ims-x12_missing_last_isa.txt"] = new(1, false, 2, "TA105-023"),
        ["ims-x12_missing_last_st.txt"] = new(1, false, 2, "IK502-2"),
        ["ims-x12_multiple_gs.txt"] = new(3, false, 6, "TA105-021", "IK502-4"),
        ["ims-x12_multiple_isa.txt"] = new(2, false, 4, "IK502-4"),
        ["ims-x12_multiple_st.txt"] = new(2, false, 4, "AK905-5", "IK502-23"),
        ["ims-x12_multiple_transactions.txt"] = new(312, false, 624, "IK502-4"),
        ["ims-x12_no_isa_line.txt"] = new(0, false, 0, "NOT_X12"),
        ["ims-x12_segments_out_of_order.txt"] = new(1, false, 2, "IK304-7"),
        ["ims-x12_valid.txt"] = new(1, false, 2, "IK502-4"),
        ["ims-x12_valid_different_separators.txt"] = new(1, false, 2, "IK502-4"),
        ["ims-x223-test.txt"] = new(1, false, 1, "IK502-4"),
        ["k835-blue_cross_nc_sample.txt"] = new(0, false, 0, "NOT_X12"),
        ["k835-emedny_sample.txt"] = new(1, true, 3),
        ["k835-united_healthcare_legacy_sample.txt"] = new(1, true, 2),
        ["lfh-claim-level-status.276"] = new(1, false, 0, "IK502-1"),
        ["lfh-claim-level-status.277"] = new(1, true, 4),
        ["lfh-cob-contractural-adjustment.835"] = new(1, false, 1, "IK403-1"),
        ["lfh-demo.ambulance.example5.837"] = new(1, true, 1),
        ["lfh-demo.autoaccident.837"] = new(1, true, 1),
        ["lfh-demo.cob.example3.B.837"] = new(1, true, 1),
        ["lfh-demo.drug.example10.2.837"] = new(1, true, 1),
        ["lfh-demo.example1.837"] = new(1, true, 1),
        ["lfh-institutional-claim.837i"] = new(1, true, 1),
        ["lfh-managed-care.835"] = new(1, false, 2, "IK403-8"),
        ["lfh-medicare-part-a.835"] = new(1, true, 2),
        ["lfh-out-of-network-repriced-claim.837i"] = new(1, true, 1),
        ["lfh-ppo-repriced-claim.837i"] = new(1, true, 1),
        ["lfh-secondary-payment.835"] = new(1, false, 2, "IK403-1"),
        ["lfh-subscriber-health-benefit-check-error.271"] = new(1, false, 0, "IK502-1", "IK502-3"),
        ["lfh-subscriber-health-benefit-check.270"] = new(1, false, 0, "IK502-1"),
        ["lfh-subscriber-health-benefit-check.271"] = new(1, false, 0, "IK502-1"),
        ["lfh-tertiary-payment.835"] = new(1, false, 1, "IK403-1"),
        ["lfh-two-claims-single-provider.837i"] = new(1, true, 2),
        ["pyx12-834_lui_id_5010.999.txt"] = new(4, true, 0),
        ["pyx12-835_mult_loops.txt"] = new(1, true, 1),
        ["tp-multi-line-not-delimited.edi"] = new(1, true, 3),
        ["tp-profee-multiple.edi"] = new(156, true, 468),
        ["uhin-TA1.edi"] = new(0, false, 0, "TA105-011", "TA105-017"),
    };

    [CorpusFact]
    public void Every_corpus_file_parses_with_its_totals_or_its_precise_error()
    {
        var folder = CorpusFolder.Find()!;
        var files = Directory.GetFiles(folder).OrderBy(f => f, StringComparer.Ordinal).ToList();
        Assert.Equal(49, files.Count);
        var failures = new List<string>();
        foreach (var file in files)
        {
            var name = Path.GetFileName(file);
            if (!Expected.TryGetValue(name, out var expected))
            {
                failures.Add($"{name}: no expectation recorded");
                continue;
            }

            using var stream = File.OpenRead(file);
            var result = X12Parser.Parse(stream, X12TestFiles.Options);
            var sets = result.TransactionSets.Select(t => t.Set).ToList();
            var claims = sets.Sum(s => (s.Remittance?.Claims.Count ?? 0) + (s.ClaimBatch?.Claims.Count ?? 0)
                                        + (s.ClaimStatusReport?.Statuses.Count(c => c.Level == "PT" || s.Kind == X12TransactionKind.ClaimStatus277) ?? 0));
            var codes = X12TestFiles.Codes(result);
            var problems = new List<string>();
            if (sets.Count != expected.Sets)
            {
                problems.Add($"sets {sets.Count} != {expected.Sets}");
            }

            if (result.AllAccepted != expected.Accepted)
            {
                problems.Add($"accepted {result.AllAccepted} != {expected.Accepted} ({string.Join(",", codes)})");
            }

            if (claims != expected.Claims)
            {
                problems.Add($"claims {claims} != {expected.Claims}");
            }

            problems.AddRange(expected.Errors.Where(e => !codes.Contains(e)).Select(e => $"missing error {e} (got {string.Join(",", codes.Distinct())})"));
            if (expected.Accepted && codes.Count > 0)
            {
                problems.Add($"unexpected errors {string.Join(",", codes)}");
            }

            if (problems.Count > 0)
            {
                failures.Add($"{name}: {string.Join("; ", problems)}");
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [CorpusFact]
    public void Corpus_remittances_balance_to_the_cent()
    {
        var folder = CorpusFolder.Find()!;
        foreach (var name in new[] { "lfh-medicare-part-a.835", "k835-emedny_sample.txt", "tp-profee-multiple.edi", "pyx12-835_mult_loops.txt", "lfh-managed-care.835" })
        {
            var result = X12Parser.Parse(File.ReadAllBytes(Path.Combine(folder, name)), X12TestFiles.Options);
            foreach (var (_, _, set) in result.TransactionSets)
            {
                Assert.True(set.Remittance!.IsBalanced, $"{name} {set.ControlNumber}: difference {set.Remittance.Difference}");
            }
        }
    }

    [CorpusFact]
    public void Medicare_part_a_remittance_reads_payment_claims_and_negative_plb()
    {
        var result = X12Parser.Parse(File.ReadAllBytes(Path.Combine(CorpusFolder.Find()!, "lfh-medicare-part-a.835")), X12TestFiles.Options);
        var remittance = X12TestFiles.SingleSet(result).Remittance!;
        Assert.Equal(150000.00m, remittance.PaymentAmount);
        Assert.Equal("150000.00", remittance.PaymentAmount.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal("12345", remittance.TraceNumber);
        Assert.Equal<decimal>([138018.40m, 11980.33m], remittance.Claims.Select(c => c.Paid));
        var plb = Assert.Single(remittance.ProviderAdjustments);
        Assert.Equal(("CV", "CP", -1.27m), (plb.Reason, plb.Reference, plb.Amount));
        Assert.All(remittance.Claims, c => Assert.True(c.IsBalanced));
    }

    [CorpusFact]
    public void Corpus_partner_acknowledgements_are_read()
    {
        var folder = CorpusFolder.Find()!;
        var withTa1 = X12Parser.Parse(File.ReadAllBytes(Path.Combine(folder, "ims-x12_999_accepted_ta1.txt")), X12TestFiles.Options);
        var ta1 = Assert.Single(withTa1.Interchanges[0].ReceivedAcknowledgements);
        Assert.Equal(("101", X12AckStatus.Accepted, "000"), (ta1.ControlNumber, ta1.Status, ta1.NoteCode));
        var ack = X12TestFiles.SingleSet(withTa1).Acknowledgement!;
        Assert.Equal(X12AckStatus.Rejected, ack.Status);
        var response = Assert.Single(ack.TransactionSets);
        Assert.Equal(["5"], response.SyntaxErrorCodes);
        Assert.Equal(2, response.SegmentErrors.Count);
        Assert.All(response.SegmentErrors, e => Assert.Equal(("CLM", "6"), (e.SegmentId, e.ErrorCode)));

        var uhin = X12Parser.Parse(File.ReadAllBytes(Path.Combine(folder, "uhin-TA1.edi")), X12TestFiles.Options);
        var received = Assert.Single(uhin.Interchanges[0].ReceivedAcknowledgements);
        Assert.Equal((X12AckStatus.Rejected, "024"), (received.Status, received.NoteCode));
    }

    [CorpusFact]
    public void Every_corpus_file_gets_a_valid_acknowledgement_and_a_report_without_names()
    {
        var folder = CorpusFolder.Find()!;
        string[] names = ["JOHANN", "BACH", "SUBMITTED LAST", "CORRECTED FIRST", "CLILNAME", "666666666A", "LL99999L", "XX99999X", "00001612"];
        foreach (var file in Directory.GetFiles(folder))
        {
            var result = X12Parser.Parse(File.ReadAllBytes(file), X12TestFiles.Options);
            using var ack = new MemoryStream();
            X12Acknowledgements.WriteResponses(result, new X12AckEnvelope(1, 1, DateTimeOffset.UnixEpoch), ack);
            var reparsed = X12Parser.Parse(ack.ToArray(), X12TestFiles.Options);
            Assert.True(result.Interchanges.Count == 0 || (reparsed.AllAccepted && reparsed.Interchanges.Count == result.Interchanges.Count),
                $"{Path.GetFileName(file)}: {string.Join(",", X12TestFiles.Codes(reparsed))}");

            using var json = new MemoryStream();
            using (var writer = new System.Text.Json.Utf8JsonWriter(json))
            {
                X12InspectReport.Write(result, writer);
            }

            var text = System.Text.Encoding.UTF8.GetString(json.ToArray());
            Assert.All(names, name => Assert.DoesNotContain(name, text, StringComparison.Ordinal));
        }
    }
}
