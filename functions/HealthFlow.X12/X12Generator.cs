using System.Globalization;

namespace HealthFlow.X12;

/// <summary>
/// Generates realistic, valid 5010 interchanges (835 and 837P/837I) from a seed: same seed, same bytes.
/// For tests, benchmarks and demos; all names and ids are synthetic.
/// </summary>
/// <remarks>
/// Every 835 it writes balances (BPR02 = Σ CLP04 − Σ PLB; each CLP03 − CLP04 = Σ CAS) and every envelope count
/// is right, so any error a parser reports on generated input is a parser bug or a deliberate mutation.
/// Mix per claim: about 70% paid with contractual (CO-45) and patient responsibility (PR-1/2/3) adjustments,
/// 12% denied (CLP02 = 4), 8% reversals (CLP02 = 22, negated amounts), the rest secondary payments; a PLB with
/// interest (L6, negative), a recoupment (WO) or a forward balance (FB) appears in about a third of the sets.
/// </remarks>
public sealed class X12Generator(int seed)
{
    private static readonly string[] Procedures = ["99213", "99214", "99203", "80053", "85025", "71046", "93000", "36415", "97110", "G0439"];
    private static readonly string[] RevenueCodes = ["0250", "0300", "0320", "0450", "0636", "0730", "0120", "0360"];
    private static readonly string[] Payers = ["ACME HEALTH PLAN", "BLUE RIVER MUTUAL", "STATE MEDICAID", "MEDICARE PART B", "UNITED CARE"];
    private static readonly string[] Diagnoses = ["E119", "I10", "J069", "M545", "Z0000", "R0789", "K219", "E785", "N390", "F329"];
    private static readonly string[] LastNames = ["SMITH", "GARCIA", "NGUYEN", "OKAFOR", "MULLER", "ROSSI", "TANAKA", "KOWALSKI"];
    private static readonly string[] FirstNames = ["ALEX", "MARIA", "SAM", "LINH", "CHIDI", "ANNA", "KENJI", "EVA"];

    private readonly Random _random = new(seed);
    private int _claimCounter;
    // Interchange control numbers continue across calls, so every interchange a generator writes is distinct (ISA13).
    private int _interchangeCounter;
    // Payments Write835For kept for Write835Corrections to reverse and pay again.
    private readonly List<((string Name, string Id) Payer, Claim Billed, GeneratedClaim Payment)> _toCorrect = [];

    /// <summary>Writes 835 interchanges until at least <paramref name="targetBytes"/> are written.</summary>
    /// <param name="output">Destination; left open.</param>
    /// <param name="targetBytes">Approximate size to reach.</param>
    /// <param name="claimsPerTransactionSet">Claims per ST (memory of a streaming reader is bounded by one set).</param>
    /// <param name="setsPerInterchange">ST sets per GS/ISA.</param>
    /// <param name="delimiters">Delimiters; standard when null.</param>
    /// <returns>Counts of what was written, for assertions.</returns>
    public GeneratedTotals Write835(Stream output, long targetBytes, int claimsPerTransactionSet = 50, int setsPerInterchange = 20, X12Delimiters? delimiters = null)
    {
        var start = output.CanSeek ? output.Position : 0;
        var totals = new GeneratedTotals();
        using var writer = new X12Writer(output, delimiters ?? X12Delimiters.Standard);
        do
        {
            BeginRemittanceInterchange(writer);
            for (var set = 1; set <= setsPerInterchange; set++)
            {
                var claims = new List<GeneratedClaim>(claimsPerTransactionSet);
                for (var i = 0; i < claimsPerTransactionSet; i++)
                {
                    claims.Add(CreateClaimPayment());
                }

                WriteRemittance(writer, set, claims, payer: null, totals);
            }

            EndInterchange(writer, totals);
        }
        while ((output.CanSeek ? output.Position - start : long.MaxValue) < targetBytes);

        return totals;
    }

    /// <summary>
    /// Writes one 835 interchange that pays <paramref name="claims"/> (claims an 837 batch billed): one transaction set per
    /// payer (N1*PR and REF*2U from the claim's NM1*PR), CLP01 = CLM01, lines as billed. The mix is <see cref="Write835"/>'s
    /// without reversals, which need a payment to reverse: about one paid claim in ten is kept for
    /// <see cref="Write835Corrections"/>.
    /// </summary>
    public GeneratedTotals Write835For(Stream output, IEnumerable<Claim> claims, X12Delimiters? delimiters = null)
    {
        var sets = new List<((string Name, string Id) Payer, List<GeneratedClaim> Claims)>();
        foreach (var group in claims.GroupBy(c => (Name: c.PayerName ?? "UNKNOWN PAYER", Id: c.PayerId ?? "UNKNOWN")).OrderBy(g => g.Key.Id, StringComparer.Ordinal))
        {
            var payments = new List<GeneratedClaim>();
            foreach (var billed in group)
            {
                var payment = Adjudicate(billed);
                payments.Add(payment);
                if (payment.Status == "1" && _random.Next(10) == 0)
                {
                    _toCorrect.Add((group.Key, billed, payment));
                }
            }

            sets.Add((group.Key, payments));
        }

        return WriteRemittanceInterchange(output, sets, delimiters);
    }

    /// <summary>
    /// Writes one 835 interchange that corrects the payments <see cref="Write835For"/> kept: per payer, each payment
    /// reversed (CLP02 = 22, the payment with every amount negated) and paid again with the contractual allowance of its
    /// first line cut by a tenth (an underpayment corrected), so each set pays a little more and BPR02 stays positive.
    /// </summary>
    public GeneratedTotals Write835Corrections(Stream output, X12Delimiters? delimiters = null)
    {
        var sets = _toCorrect
            .GroupBy(c => c.Payer)
            .Select(g => (g.Key, g.SelectMany(c => new[] { Negated(c.Payment), Underpaid(c.Payment) }).ToList()))
            .ToList();
        _toCorrect.Clear();
        return WriteRemittanceInterchange(output, sets, delimiters);
    }

    private GeneratedTotals WriteRemittanceInterchange(Stream output, List<((string Name, string Id) Payer, List<GeneratedClaim> Claims)> sets, X12Delimiters? delimiters)
    {
        var totals = new GeneratedTotals();
        using var writer = new X12Writer(output, delimiters ?? X12Delimiters.Standard);
        BeginRemittanceInterchange(writer);
        for (var set = 0; set < sets.Count; set++)
        {
            WriteRemittance(writer, set + 1, sets[set].Claims, sets[set].Payer, totals);
        }

        EndInterchange(writer, totals);
        return totals;
    }

    private void BeginRemittanceInterchange(X12Writer writer)
    {
        var interchange = ++_interchangeCounter;
        writer.BeginInterchange(Header(interchange));
        writer.BeginGroup("HP", "PAYERSYS", "HOSPITAL", "20260115", "0930", interchange.ToString(CultureInfo.InvariantCulture), "005010X221A1");
    }

    private static void EndInterchange(X12Writer writer, GeneratedTotals totals)
    {
        writer.EndGroup();
        writer.EndInterchange();
        writer.Flush();
        totals.Interchanges++;
    }

    /// <summary>Convenience: an 835 of about <paramref name="targetBytes"/> in memory.</summary>
    public byte[] Generate835(long targetBytes, int claimsPerTransactionSet = 50)
    {
        using var stream = new MemoryStream();
        Write835(stream, targetBytes, claimsPerTransactionSet);
        return stream.ToArray();
    }

    /// <summary>Writes one interchange with one 837 transaction set of <paramref name="claimCount"/> claims.</summary>
    public ClaimBatch Write837(Stream output, ClaimKind kind, int claimCount, X12Delimiters? delimiters = null)
    {
        var batch = CreateClaimBatch(kind, claimCount);
        using var writer = new X12Writer(output, delimiters ?? X12Delimiters.Standard);
        var interchange = ++_interchangeCounter;
        writer.BeginInterchange(Header(interchange));
        writer.BeginGroup("HC", "HOSPITAL", "CLEARINGHOUSE", "20260115", "0930", interchange.ToString(CultureInfo.InvariantCulture), ClaimBatchWriter.VersionOf(kind));
        ClaimBatchWriter.Write(writer, batch, "0001");
        writer.EndGroup();
        writer.EndInterchange();
        return batch;
    }

    /// <summary>A claim batch with synthetic, already-tokenised persons.</summary>
    public ClaimBatch CreateClaimBatch(ClaimKind kind, int claimCount)
    {
        var claims = new List<Claim>(claimCount);
        for (var i = 0; i < claimCount; i++)
        {
            var lines = new List<ServiceLine>();
            var lineCount = _random.Next(1, 5);
            for (var l = 1; l <= lineCount; l++)
            {
                lines.Add(new ServiceLine
                {
                    LineNumber = l,
                    RevenueCode = kind == ClaimKind.Institutional ? Pick(RevenueCodes) : null,
                    ProcedureQualifier = "HC",
                    ProcedureCode = Pick(Procedures),
                    Modifiers = _random.Next(5) == 0 ? ["25"] : [],
                    Charge = Money(_random.Next(2_000, 90_000)),
                    UnitCode = "UN",
                    Quantity = _random.Next(1, 4),
                    DiagnosisPointers = kind == ClaimKind.Professional ? [1] : [],
                    ServiceDate = new DateOnly(2026, 1, 1).AddDays(_random.Next(0, 14)),
                });
            }

            var diagnoses = new List<Diagnosis> { new("ABK", Pick(Diagnoses)) };
            if (_random.Next(2) == 0)
            {
                diagnoses.Add(new Diagnosis("ABF", Pick(Diagnoses)));
            }

            var payer = _random.Next(Payers.Length);
            claims.Add(new Claim
            {
                ControlNumber = NewPatientControlNumber(),
                TotalCharge = lines.Sum(l => l.Charge),
                FacilityCode = kind == ClaimKind.Institutional ? "13" : "11",
                FacilityCodeQualifier = kind == ClaimKind.Institutional ? "A" : "B",
                FrequencyCode = _random.Next(10) == 0 ? "7" : "1",
                BillingProviderName = "GENERAL HOSPITAL",
                BillingProviderNpi = "1234567893",
                BillingProviderTaxId = "123456789",
                PayerName = Payers[payer],
                PayerId = $"PAYER{payer:D2}",
                PayerResponsibility = "P",
                Subscriber = new PersonTokens("IL", $"tok-name-{_random.Next():x8}", "MI", $"tok-id-{_random.Next():x8}"),
                Patient = _random.Next(4) == 0 ? new PersonTokens("QC", $"tok-name-{_random.Next():x8}", null, null) : null,
                Diagnoses = diagnoses,
                ServiceLines = lines,
            });
        }

        return new ClaimBatch
        {
            Kind = kind,
            ReferenceId = "BATCH" + _random.Next(100_000, 999_999).ToString(CultureInfo.InvariantCulture),
            CreatedOn = new DateOnly(2026, 1, 15),
            ClaimOrEncounter = "CH",
            SubmitterName = "GENERAL HOSPITAL",
            ReceiverName = "CLEARINGHOUSE",
            Claims = claims,
        };
    }

    private static X12InterchangeHeader Header(int controlNumber) =>
        new("ZZ", "PAYERSYS", "ZZ", "HOSPITAL", "260115", "0930", controlNumber, false, "T");

    /// <summary>One 835 transaction set; <paramref name="payer"/> null picks one (N1*PR name, REF*2U PAYER01).</summary>
    private void WriteRemittance(X12Writer writer, int setNumber, List<GeneratedClaim> claims, (string Name, string Id)? payer, GeneratedTotals totals)
    {
        var plb = new List<(string Reason, string? Reference, long Cents)>();
        var roll = _random.Next(9);
        if (roll == 0)
        {
            plb.Add(("L6", null, -_random.Next(100, 5_000)));
        }
        else if (roll == 1)
        {
            plb.Add(("WO", "RECOUP" + _random.Next(1000, 9999).ToString(CultureInfo.InvariantCulture), _random.Next(1_000, 20_000)));
        }
        else if (roll == 2)
        {
            plb.Add(("FB", "FWDBAL", _random.Next(500, 5_000)));
            plb.Add(("L6", null, -_random.Next(100, 900)));
        }

        if (claims.Sum(c => c.PaidCents) - plb.Sum(p => p.Cents) < 0)
        {
            // A payer never pays a negative amount; what would make it negative is carried to a later 835 instead.
            plb.Clear();
        }

        var paidCents = claims.Sum(c => c.PaidCents) - plb.Sum(p => p.Cents);
        var method = paidCents > 0 ? "ACH" : "NON";
        // TRN02 identifies a payment for its payer, so it must never repeat: seed, interchange and set make it unique.
        var trace = $"TRC{seed & 0xFFFFFF:X6}{_interchangeCounter:D6}{setNumber:D4}";
        writer.BeginTransactionSet("835", setNumber.ToString("D4", CultureInfo.InvariantCulture), null);
        writer.WriteSegment("BPR", paidCents > 0 ? "I" : "H", MoneyText(paidCents), "C", method, method == "ACH" ? "CCP" : null,
            method == "ACH" ? "01" : null, method == "ACH" ? "999999992" : null, method == "ACH" ? "DA" : null, method == "ACH" ? "123456" : null,
            method == "ACH" ? "1512345678" : null, null, method == "ACH" ? "01" : null, method == "ACH" ? "999988880" : null,
            method == "ACH" ? "DA" : null, method == "ACH" ? "98765" : null, "20260115");
        writer.WriteSegment("TRN", "1", trace, "1512345678");
        writer.WriteSegment("DTM", "405", "20260114");
        var (payerName, payerId) = payer ?? (Pick(Payers), "PAYER01");
        writer.WriteSegment("N1", "PR", payerName);
        writer.WriteSegment("N3", "100 INSURANCE WAY");
        writer.WriteSegment("N4", "HARTFORD", "CT", "06101");
        writer.WriteSegment("REF", "2U", payerId);
        writer.WriteSegment("PER", "BL", "PROVIDER SERVICES", "TE", "8005551212");
        writer.WriteSegment("N1", "PE", "GENERAL HOSPITAL", "XX", "1234567893");
        writer.WriteSegment("REF", "TJ", "123456789");
        writer.WriteSegment("LX", "1");
        foreach (var claim in claims)
        {
            writer.WriteSegment("CLP", claim.ControlNumber, claim.Status, MoneyText(claim.ChargeCents), MoneyText(claim.PaidCents),
                claim.PatientResponsibilityCents == 0 ? null : MoneyText(claim.PatientResponsibilityCents), "12", claim.PayerControlNumber, "11", "1");
            foreach (var (group, reason, cents) in claim.ClaimAdjustments)
            {
                writer.WriteSegment("CAS", group, reason, MoneyText(cents));
            }

            writer.WriteSegment("NM1", "QC", "1", Pick(LastNames), Pick(FirstNames), null, null, null, "MI", "MBR" + _random.Next(10_000_000, 99_999_999).ToString(CultureInfo.InvariantCulture));
            writer.WriteSegment("DTM", "232", "20260105");
            writer.WriteSegment("DTM", "233", "20260106");
            foreach (var line in claim.Lines)
            {
                writer.WriteSegment("SVC", writer.Composite("HC", line.Procedure), MoneyText(line.ChargeCents), MoneyText(line.PaidCents), null, "1");
                writer.WriteSegment("DTM", "472", "20260105");
                foreach (var (group, reason, cents) in line.Adjustments)
                {
                    writer.WriteSegment("CAS", group, reason, MoneyText(cents));
                }

                if (claim.Status == "4")
                {
                    writer.WriteSegment("LQ", "HE", "N130");
                }
            }

            totals.Claims++;
            totals.ServiceLines += claim.Lines.Count;
            if (claim.Status == "4")
            {
                totals.Denials++;
            }

            if (claim.Status == "22")
            {
                totals.Reversals++;
            }
        }

        if (plb.Count > 0)
        {
            var elements = new List<string?> { "1234567893", "20261231" };
            foreach (var (reason, reference, cents) in plb)
            {
                elements.Add(writer.Composite(reason, reference));
                elements.Add(MoneyText(cents));
            }

            writer.WriteSegment("PLB", [.. elements]);
            totals.ProviderAdjustments += plb.Count;
        }

        writer.EndTransactionSet();
        totals.TransactionSets++;
        totals.PaymentCents += paidCents;
    }

    private GeneratedClaim CreateClaimPayment()
    {
        var claim = new GeneratedClaim { ControlNumber = NewPatientControlNumber(), PayerControlNumber = NewPayerControlNumber() };
        var roll = _random.Next(100);
        claim.Status = roll < 70 ? "1" : roll < 82 ? "4" : roll < 90 ? "22" : "2";
        var lineCount = _random.Next(1, 5);
        for (var i = 0; i < lineCount; i++)
        {
            var charge = (long)_random.Next(2_000, 90_000);
            AddAdjudicatedLine(claim, Pick(Procedures), charge);
        }

        // A reversal repeats the original claim payment with every amount negated.
        return claim.Status == "22" ? Negated(Complete(claim)) : Complete(claim);
    }

    /// <summary>The payer's adjudication of a billed claim: as billed line by line, status from the same mix minus reversals.</summary>
    private GeneratedClaim Adjudicate(Claim billed)
    {
        var claim = new GeneratedClaim { ControlNumber = billed.ControlNumber, PayerControlNumber = NewPayerControlNumber() };
        var roll = _random.Next(100);
        claim.Status = roll < 76 ? "1" : roll < 89 ? "4" : "2";
        foreach (var line in billed.ServiceLines)
            AddAdjudicatedLine(claim, line.ProcedureCode ?? Procedures[0], decimal.ToInt64(line.Charge * 100));
        return Complete(claim);
    }

    private void AddAdjudicatedLine(GeneratedClaim claim, string procedure, long charge)
    {
        var line = new GeneratedLine { Procedure = procedure, ChargeCents = charge };
        if (claim.Status == "4")
        {
            line.Adjustments.Add(("CO", "50", charge));
        }
        else
        {
            var contractual = charge * _random.Next(10, 45) / 100;
            var patient = claim.Status == "2" ? 0 : charge * _random.Next(0, 15) / 100;
            line.PaidCents = charge - contractual - patient;
            line.Adjustments.Add(("CO", "45", contractual));
            if (patient > 0)
            {
                line.Adjustments.Add(("PR", _random.Next(2) == 0 ? "2" : "3", patient));
                claim.PatientResponsibilityCents += patient;
            }
        }

        claim.Lines.Add(line);
    }

    /// <summary>Sums the lines; secondary payments get a claim-level prior-payer adjustment that keeps the balance.</summary>
    private static GeneratedClaim Complete(GeneratedClaim claim)
    {
        claim.ChargeCents = claim.Lines.Sum(l => l.ChargeCents);
        claim.PaidCents = claim.Lines.Sum(l => l.PaidCents);

        // Some payers put a claim-level adjustment too (e.g. OA-23 prior payer impact); keep the balance.
        if (claim.Status == "2" && claim.PaidCents > 1_000)
        {
            var prior = claim.PaidCents / 10;
            claim.PaidCents -= prior;
            claim.ClaimAdjustments.Add(("OA", "23", prior));
        }

        return claim;
    }

    /// <summary>A CLP02 = 22 reversal: the payment repeated with every amount negated.</summary>
    private static GeneratedClaim Negated(GeneratedClaim payment) => Copy(payment, "22", sign: -1);

    /// <summary>The payment again, with a tenth of its first line's contractual allowance paid instead (charges unchanged, still balanced).</summary>
    private static GeneratedClaim Underpaid(GeneratedClaim payment)
    {
        var corrected = Copy(payment, "1", sign: 1);
        var first = corrected.Lines[0];
        var contractual = first.Adjustments.FindIndex(a => a is ("CO", "45", > 0));
        if (contractual >= 0)
        {
            var raise = Math.Max(1, first.Adjustments[contractual].Cents / 10);
            first.Adjustments[contractual] = first.Adjustments[contractual] with { Cents = first.Adjustments[contractual].Cents - raise };
            first.PaidCents += raise;
            corrected.PaidCents += raise;
        }

        return corrected;
    }

    /// <summary>A copy of a payment under <paramref name="status"/> with every amount multiplied by <paramref name="sign"/>.</summary>
    private static GeneratedClaim Copy(GeneratedClaim payment, string status, long sign)
    {
        List<(string Group, string Reason, long Cents)> Signed(List<(string Group, string Reason, long Cents)> adjustments) =>
            [.. adjustments.Select(a => a with { Cents = sign * a.Cents })];

        var copy = new GeneratedClaim
        {
            ControlNumber = payment.ControlNumber,
            PayerControlNumber = payment.PayerControlNumber,
            Status = status,
            ChargeCents = sign * payment.ChargeCents,
            PaidCents = sign * payment.PaidCents,
            PatientResponsibilityCents = sign * payment.PatientResponsibilityCents,
        };
        copy.ClaimAdjustments.AddRange(Signed(payment.ClaimAdjustments));
        foreach (var line in payment.Lines)
        {
            var lineCopy = new GeneratedLine { Procedure = line.Procedure, ChargeCents = sign * line.ChargeCents, PaidCents = sign * line.PaidCents };
            lineCopy.Adjustments.AddRange(Signed(line.Adjustments));
            copy.Lines.Add(lineCopy);
        }

        return copy;
    }

    /// <summary>
    /// CLM01/CLP01. A provider never reuses a patient control number, so generators of different seeds (two vendors of one
    /// soak) must not either, or their claims would replace each other in the claim index.
    /// </summary>
    private string NewPatientControlNumber() => $"PCN{seed & 0xFFFFFF:X6}{++_claimCounter:D8}";

    private string NewPayerControlNumber() => "PY" + _random.Next(100_000_000, 999_999_999).ToString(CultureInfo.InvariantCulture);

    private T Pick<T>(T[] values) => values[_random.Next(values.Length)];

    private static decimal Money(long cents)
    {
        var magnitude = Math.Abs(cents);

        // decimal's constructor takes the 96-bit mantissa as three int words; reinterpreting bits is intended.
        return new decimal(unchecked((int)(magnitude & 0xFFFF_FFFF)), (int)(magnitude >> 32), 0, cents < 0, 2);
    }

    private static decimal Money(int cents) => Money((long)cents);

    private static string MoneyText(long cents) => X12Writer.Amount(Money(cents));

    private sealed class GeneratedClaim
    {
        public string ControlNumber { get; init; } = "";

        public string PayerControlNumber { get; init; } = "";

        public string Status { get; set; } = "1";

        public long ChargeCents { get; set; }

        public long PaidCents { get; set; }

        public long PatientResponsibilityCents { get; set; }

        public List<GeneratedLine> Lines { get; } = [];

        public List<(string Group, string Reason, long Cents)> ClaimAdjustments { get; } = [];
    }

    private sealed class GeneratedLine
    {
        public string Procedure { get; init; } = "";

        public long ChargeCents { get; set; }

        public long PaidCents { get; set; }

        public List<(string Group, string Reason, long Cents)> Adjustments { get; } = [];
    }
}

/// <summary>What <see cref="X12Generator"/> wrote, to check a parser against.</summary>
public sealed class GeneratedTotals
{
    public int Interchanges { get; internal set; }

    public int TransactionSets { get; internal set; }

    public int Claims { get; internal set; }

    public int ServiceLines { get; internal set; }

    public int Denials { get; internal set; }

    public int Reversals { get; internal set; }

    public int ProviderAdjustments { get; internal set; }

    /// <summary>Σ BPR02 in cents.</summary>
    public long PaymentCents { get; internal set; }
}
