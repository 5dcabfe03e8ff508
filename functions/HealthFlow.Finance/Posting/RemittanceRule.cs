using HealthFlow.Finance.Events;
using HealthFlow.Finance.Journals;
using HealthFlow.Finance.Mapping;

namespace HealthFlow.Finance.Posting;

/// <summary>
/// The caller's match of one claim payment (CLP01) to its claim: the facility that billed it and the payer it was billed
/// to (whose insurance AR it relieves). The legal entity and currency follow from the facility in master data.
/// </summary>
public sealed record ClaimMatch(string Facility, string Payer)
{
    /// <summary>
    /// For a CLP02 = 22 reversal: the journals of the claim payment it reverses, when the caller has them (from the
    /// ledger). Then the reversal is their exact mirror. When null, the mirror is derived from the reversal's own
    /// negative amounts.
    /// </summary>
    public IReadOnlyList<Journal>? OriginalJournals { get; init; }

    /// <summary>For a derived reversal: the TRN02 of the 835 that carried the original payment, so <see cref="Journal.ReversalOf"/> names its journal.</summary>
    public string? OriginalTraceNumber { get; init; }

    /// <summary>
    /// True when this claim payment was posted to unapplied cash by an earlier build (it was unmatched then): the rule
    /// keeps the unapplied-cash journal (same key, already posted) and reclassifies it to insurance AR instead of
    /// posting cash again.
    /// </summary>
    public bool WasUnapplied { get; init; }

    /// <summary>
    /// The match a submitted claim gives: its facility (as named by the claim, else the facility of its billing provider
    /// NPI, which is all an 837 says) and its payer; null when neither identifies a facility.
    /// </summary>
    public static ClaimMatch? FromClaim(ClaimSubmitted claim, MasterDataSet masterData) =>
        (claim.Facility ?? masterData.FindPayeeFacility(claim.BillingProviderNpi, null)?.Code) is { } facility
            ? new ClaimMatch(facility, claim.Payer)
            : null;
}

/// <summary>
/// RemittanceToGl's posting rule: one 835 (<see cref="RemittanceReceived"/>) becomes balanced journals per claim
/// payment and kind, plus one for its provider-level adjustments.
/// </summary>
/// <remarks>
/// <para><b>Balance first.</b> BPR02 must equal Σ CLP04 − Σ PLB (and the reader must have found it balanced); otherwise
/// the result is a single blocking <see cref="UnbalancedRemittance"/> with the difference BPR02 − (Σ CLP04 − Σ PLB) and no journals.</para>
/// <para><b>Per claim payment</b> matched to its claim (<see cref="ClaimMatch"/>), in the claim facility's legal entity:
/// cash Dr undeposited funds (BPR04 = CHK) or bank clearing (ACH, FWT, BOP, NON) / Cr insurance AR for CLP04; then every
/// CAS adjustment (claim and service-line level) by its master-data rule: contractual Dr contractual allowance /
/// Cr insurance AR; patient responsibility Dr patient AR / Cr insurance AR; denial written off Dr denial write-off /
/// Cr insurance AR; denial to a work queue posts nothing and gives a <see cref="DenialRoutedToWorkQueue"/>; administrative
/// and bad debt Dr their account / Cr insurance AR; informational (OA-23 prior payer, CO-18 duplicate) posts nothing.
/// One journal per claim payment and kind (<see cref="JournalKinds"/>), key <c>remit:{payer}:{trn02}:{clp01}:{kind}</c>.
/// A journal never mixes legal entities: the claims of one 835 that belong to two legal entities give separate journals.</para>
/// <para><b>Unmatched claim payment</b>: cash is real, so it posts Dr cash / Cr unapplied cash in the payee facility's legal
/// entity and gives a non-blocking <see cref="UnmatchedClaim"/>; its adjustments wait for the match
/// (<see cref="ClaimMatch.WasUnapplied"/>).</para>
/// <para><b>Reversal (CLP02 = 22)</b>: the payer repeats the original claim payment with every amount negated. Given
/// <see cref="ClaimMatch.OriginalJournals"/>, each is mirrored exactly (<see cref="JournalReversal.Reverse"/>). Otherwise the
/// same rules run on the negative amounts and a negative posting swaps debit and credit, which is the mirror of the
/// original's lines; <see cref="Journal.ReversalOf"/> is the original's journal id when
/// <see cref="ClaimMatch.OriginalTraceNumber"/> is known, else <c>claim:{payer}:{clp01}</c>. Either way a payment and its
/// reversal net to zero on every account. A correction (the new CLP02 = 1..3 for the same claim in the same 835) posts as a
/// normal claim payment.</para>
/// <para><b>PLB</b> (X12 835: a positive amount reduces the payment, a negative one increases it; BPR02 = Σ CLP04 − Σ PLB):
/// one journal per 835 in the payee facility's legal entity; a positive amount posts Dr the reason's account / Cr cash, a
/// negative one Dr cash / Cr the account. So L6 interest (negative) is Dr cash / Cr interest income; WO overpayment
/// recovery (positive) Dr insurance AR / Cr cash; FB forward balance (positive) Dr payer offsets clearing / Cr cash, and a
/// negative FB (the payer paying back an earlier withholding) the opposite. Σ cash lines of an 835 = BPR02.</para>
/// <para>Rounding: amounts are rounded to the currency's decimals half away from zero when added (835 amounts have two
/// decimals, so this is exact for USD). Every unmapped lookup is a <see cref="MissingMapping"/>; any blocking issue
/// means no journals at all for the 835, so a rerun after the fix yields the same keys.</para>
/// </remarks>
public static class RemittanceRule
{
    /// <param name="masterData">Validated master data.</param>
    /// <param name="remittance">The 835.</param>
    /// <param name="matches">Matches by CLP01 (patient control number); a claim payment without an entry is unmatched.</param>
    /// <param name="fallbackPostingDate">Posting date when the 835 carries no payment date (BPR16).</param>
    /// <param name="source">Receipt and correlation to stamp on the journals; the remittance's correlation id when null.</param>
    /// <param name="protectIdentifier">
    /// Applied to CLP01 wherever it would enter a journal (idempotency key, <see cref="Journal.ReversalOf"/>), e.g.
    /// <see cref="PatientTokenizer.Tokenize"/>: a patient control number is often the patient account number, which
    /// must not reach the ERP (invariant 6). Null keeps CLP01 as sent. Must be stable: keys derive from it.
    /// Issues (for the internal workbench) keep CLP01 as sent.
    /// </param>
    public static PostingResult Build(
        MasterDataSet masterData,
        RemittanceReceived remittance,
        IReadOnlyDictionary<string, ClaimMatch> matches,
        DateOnly fallbackPostingDate,
        JournalSource? source = null,
        Func<string, string>? protectIdentifier = null)
    {
        protectIdentifier ??= static id => id;
        var issues = new List<PostingIssue>();
        var difference = BalanceDifference(remittance);
        if (difference != 0m || !remittance.Balanced)
        {
            issues.Add(new UnbalancedRemittance(remittance.Payer, remittance.TraceNumber, difference != 0m ? difference : remittance.Difference));
            return JournalFactory.Result([], issues);
        }

        var journalSource = source ?? new JournalSource(remittance.CorrelationId, remittance.CorrelationId);
        var postingDate = remittance.PaymentDate ?? fallbackPostingDate;
        var remitPayer = masterData.FindPayer(remittance.Payer) ?? masterData.FindPayer(remittance.PayerId);
        if (remitPayer is null)
            issues.Add(new MissingMapping("payer", remittance.Payer));

        Facility? payee = null;
        var needsPayee = remittance.ProviderAdjustments.Count > 0
            || remittance.Claims.Any(c => !matches.TryGetValue(c.PatientControlNumber, out var m) || m.WasUnapplied);
        if (needsPayee)
        {
            payee = masterData.FindPayeeFacility(remittance.PayeeNpi, remittance.Payee);
            if (payee is null)
                issues.Add(new MissingMapping("payee", remittance.PayeeNpi ?? remittance.Payee));
        }

        var journals = new List<Journal>();
        var occurrences = new Dictionary<(string, bool), int>();
        foreach (var claim in remittance.Claims)
        {
            var occurrenceKey = (claim.PatientControlNumber, claim.IsReversal);
            occurrences[occurrenceKey] = occurrences.GetValueOrDefault(occurrenceKey) + 1;
            var claimId = protectIdentifier(claim.PatientControlNumber.Trim());
            var claimRef = occurrences[occurrenceKey] == 1 ? claimId : $"{claimId}#{occurrences[occurrenceKey]}";
            var context = new ClaimContext(masterData, remittance, claim, claimId, claimRef, postingDate, journalSource, remitPayer, payee, issues, journals);
            if (!matches.TryGetValue(claim.PatientControlNumber, out var match))
                PostUnmatched(context);
            else
                PostMatched(context, match);
        }

        if (remittance.ProviderAdjustments.Count > 0 && remitPayer is not null && payee is not null)
            PostProviderAdjustments(masterData, remittance, remitPayer, payee, postingDate, journalSource, issues, journals);

        JournalFactory.Validate(journals, masterData.DecimalsOf, issues);
        return JournalFactory.Result(journals, issues);
    }

    /// <summary>BPR02 − (Σ CLP04 − Σ PLB): zero for a balanced 835.</summary>
    public static decimal BalanceDifference(RemittanceReceived remittance)
    {
        var paid = 0m;
        foreach (var claim in remittance.Claims)
            paid = checked(paid + claim.Paid);
        var plb = 0m;
        foreach (var adjustment in remittance.ProviderAdjustments)
            plb = checked(plb + adjustment.Amount);
        return checked(remittance.PaymentAmount.Amount - (paid - plb));
    }

    /// <summary>The cash account an 835 debits in a legal entity: undeposited funds for a check, bank clearing otherwise.</summary>
    public static string CashAccount(LegalEntity legalEntity, string? paymentMethod) =>
        string.Equals(paymentMethod, "CHK", StringComparison.OrdinalIgnoreCase) ? legalEntity.UndepositedFundsAccount : legalEntity.BankClearingAccount;

    private static void PostUnmatched(ClaimContext c)
    {
        c.Issues.Add(new UnmatchedClaim(c.Remittance.Payer, c.Remittance.TraceNumber, c.Claim.PatientControlNumber, c.Claim.Paid) { ClaimId = c.Claim.PatientControlNumber });
        if (c.Payee is null || c.RemitPayer is null)
            return;
        c.Journals.AddRange(UnappliedCash(c));
    }

    private static IEnumerable<Journal> UnappliedCash(ClaimContext c)
    {
        var entity = c.MasterData.LegalEntityOf(c.Payee!);
        var draft = new JournalDraft(c.MasterData.DecimalsOf(entity.Currency));
        draft.Add(CashAccount(entity, c.Remittance.PaymentMethod), entity.UnappliedCashAccount, c.Claim.Paid, "unapplied");
        if (draft.IsEmpty)
            yield break;
        var key = Key(c, JournalKinds.UnappliedCash);
        yield return JournalFactory.Create(key, entity.Code, entity.Currency, c.PostingDate, JournalKinds.UnappliedCash, ReversalOf(c, null, JournalKinds.UnappliedCash),
            c.Source, draft.Lines(c.Payee!.DefaultCostCenter, c.Payee.Code, c.RemitPayer!.Code));
    }

    private static void PostMatched(ClaimContext c, ClaimMatch match)
    {
        var facility = c.MasterData.FindFacility(match.Facility);
        if (facility is null)
            c.Issues.Add(new MissingMapping("facility", match.Facility) { ClaimId = c.Claim.PatientControlNumber });
        var payer = c.MasterData.FindPayer(match.Payer);
        if (payer is null)
            c.Issues.Add(new MissingMapping("payer", match.Payer) { ClaimId = c.Claim.PatientControlNumber });

        if (c.Claim.IsReversal && match.OriginalJournals is { Count: > 0 } originals)
        {
            foreach (var original in originals.OrderBy(o => o.IdempotencyKey, StringComparer.Ordinal))
            {
                var key = JournalIds.ClaimPayment(c.Remittance.Payer, c.Remittance.TraceNumber, c.ClaimRef, "reversal-of:" + original.JournalId);
                c.Journals.Add(JournalReversal.Reverse(original, c.PostingDate, c.Source, key));
            }

            return;
        }

        if (facility is null || payer is null)
            return;

        var entity = c.MasterData.LegalEntityOf(facility);
        var decimals = c.MasterData.DecimalsOf(entity.Currency);
        var drafts = new Dictionary<string, JournalDraft>(StringComparer.Ordinal);
        JournalDraft Draft(string kind) => drafts.TryGetValue(kind, out var d) ? d : drafts[kind] = new JournalDraft(decimals);

        if (match.WasUnapplied)
        {
            if (c.Payee is not null && c.RemitPayer is not null)
            {
                var payeeEntity = c.MasterData.LegalEntityOf(c.Payee);
                if (!string.Equals(payeeEntity.Code, entity.Code, StringComparison.Ordinal))
                {
                    c.Issues.Add(new SourceProblem($"claim:{c.Claim.PatientControlNumber}", $"unapplied cash sits in {payeeEntity.Code} but the claim belongs to {entity.Code}: an intercompany reclass is needed") { ClaimId = c.Claim.PatientControlNumber });
                    return;
                }

                c.Journals.AddRange(UnappliedCash(c));
            }

            Draft(JournalKinds.UnappliedReclass).Add(entity.UnappliedCashAccount, payer.InsuranceArAccount, c.Claim.Paid, "unapplied reclass");
        }
        else
        {
            Draft(JournalKinds.Cash).Add(CashAccount(entity, c.Remittance.PaymentMethod), payer.InsuranceArAccount, c.Claim.Paid, "cash");
        }

        var workQueue = new Dictionary<(string Group, string Carc), decimal>();
        var workQueueOrder = new List<(string Group, string Carc)>();
        foreach (var (adjustment, remarks) in Adjustments(c.Claim))
        {
            var rule = c.MasterData.FindAdjustmentRule(adjustment.Group, adjustment.Reason, remarks);
            if (rule is null)
            {
                c.Issues.Add(new MissingMapping("adjustment", $"{adjustment.Group.Trim().ToUpperInvariant()}-{adjustment.Reason.Trim()}") { ClaimId = c.Claim.PatientControlNumber });
                continue;
            }

            var memo = $"{adjustment.Group.Trim().ToUpperInvariant()}-{adjustment.Reason.Trim()}";
            if (rule.Category == AdjustmentCategory.Denial && rule.Denial == DenialDisposition.WorkQueue)
            {
                var key = (adjustment.Group.Trim().ToUpperInvariant(), adjustment.Reason.Trim());
                if (!workQueue.ContainsKey(key))
                    workQueueOrder.Add(key);
                workQueue[key] = checked(workQueue.GetValueOrDefault(key) + adjustment.Amount);
                continue;
            }

            var kind = JournalKinds.Of(rule.Category, rule.Denial);
            if (kind is null)
                continue;
            var debit = rule.Category == AdjustmentCategory.PatientResponsibility
                ? payer.PatientArAccount
                : c.MasterData.AdjustmentAccount(payer, rule.Category)!;
            Draft(kind).Add(debit, payer.InsuranceArAccount, adjustment.Amount, memo);
        }

        foreach (var key in workQueueOrder)
        {
            c.Issues.Add(new DenialRoutedToWorkQueue(c.Remittance.Payer, c.Remittance.TraceNumber, c.Claim.PatientControlNumber, key.Group, key.Carc, workQueue[key])
            {
                ClaimId = c.Claim.PatientControlNumber,
            });
        }

        foreach (var kind in KindOrder)
        {
            if (!drafts.TryGetValue(kind, out var draft) || draft.IsEmpty)
                continue;
            var key = Key(c, kind);
            c.Journals.Add(JournalFactory.Create(key, entity.Code, entity.Currency, c.PostingDate, kind, ReversalOf(c, match, kind), c.Source,
                draft.Lines(facility.DefaultCostCenter, facility.Code, payer.Code)));
        }
    }

    private static readonly string[] KindOrder =
    [
        JournalKinds.Cash, JournalKinds.UnappliedReclass, JournalKinds.ContractualAllowance, JournalKinds.PatientResponsibility,
        JournalKinds.DenialWriteOff, JournalKinds.AdministrativeAdjustment, JournalKinds.BadDebt,
    ];

    /// <summary>Claim-level CAS first, then each service line's, each with the remark codes that apply to it.</summary>
    internal static IEnumerable<(Adjustment Adjustment, IReadOnlyList<string> Remarks)> Adjustments(ClaimPayment claim)
    {
        foreach (var adjustment in claim.Adjustments)
            yield return (adjustment, claim.RemarkCodes);
        foreach (var line in claim.ServiceLines)
        {
            IReadOnlyList<string> remarks = line.RemarkCodes.Count == 0 ? claim.RemarkCodes : [.. line.RemarkCodes, .. claim.RemarkCodes];
            foreach (var adjustment in line.Adjustments)
                yield return (adjustment, remarks);
        }
    }

    private static string Key(ClaimContext c, string kind) =>
        JournalIds.ClaimPayment(c.Remittance.Payer, c.Remittance.TraceNumber, c.ClaimRef, c.Claim.IsReversal ? "reversal:" + kind : kind);

    private static string? ReversalOf(ClaimContext c, ClaimMatch? match, string kind)
    {
        if (!c.Claim.IsReversal)
            return null;
        if (match?.OriginalTraceNumber is { } trace)
            return JournalIds.For(JournalIds.ClaimPayment(c.Remittance.Payer, trace, c.ClaimId, kind));
        return $"claim:{c.Remittance.Payer.Trim()}:{c.ClaimId}";
    }

    private static void PostProviderAdjustments(
        MasterDataSet masterData, RemittanceReceived remittance, Payer remitPayer, Facility payee, DateOnly postingDate,
        JournalSource source, List<PostingIssue> issues, List<Journal> journals)
    {
        var entity = masterData.LegalEntityOf(payee);
        var draft = new JournalDraft(masterData.DecimalsOf(entity.Currency));
        var cash = CashAccount(entity, remittance.PaymentMethod);
        foreach (var adjustment in remittance.ProviderAdjustments)
        {
            var rule = masterData.FindProviderAdjustmentRule(adjustment.Reason);
            if (rule is null)
            {
                issues.Add(new MissingMapping("plb", adjustment.Reason.Trim()));
                continue;
            }

            // X12: a positive PLB amount is withheld from the payment (cash goes down), a negative one is added to it.
            var account = rule.ToInsuranceAr ? remitPayer.InsuranceArAccount : rule.Account!;
            draft.Add(account, cash, adjustment.Amount, "PLB " + rule.Reason);
        }

        if (draft.IsEmpty)
            return;
        var key = JournalIds.ProviderAdjustments(remittance.Payer, remittance.TraceNumber);
        journals.Add(JournalFactory.Create(key, entity.Code, entity.Currency, postingDate, JournalKinds.ProviderAdjustment, null, source,
            draft.Lines(payee.DefaultCostCenter, payee.Code, remitPayer.Code)));
    }

    private sealed record ClaimContext(
        MasterDataSet MasterData,
        RemittanceReceived Remittance,
        ClaimPayment Claim,
        string ClaimId,
        string ClaimRef,
        DateOnly PostingDate,
        JournalSource Source,
        Payer? RemitPayer,
        Facility? Payee,
        List<PostingIssue> Issues,
        List<Journal> Journals);
}
