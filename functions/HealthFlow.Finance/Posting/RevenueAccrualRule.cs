using HealthFlow.Finance.Events;
using HealthFlow.Finance.Journals;
using HealthFlow.Finance.Mapping;

namespace HealthFlow.Finance.Posting;

/// <summary>
/// DischargeToBill's posting rule: a discharged encounter's final charges become one gross revenue and AR accrual journal.
/// </summary>
/// <remarks>
/// <para>Net charges = Σ <see cref="ChargePosted"/> − Σ <see cref="ChargeCredited"/> of the encounter, grouped by service
/// line (from the UB-04 revenue code) and cost center (from the charge's department, else the encounter's). Journal:
/// Dr insurance AR of the encounter's payer (its payer class's account; self-pay when the encounter has no payer) for the
/// total, Cr the service line's gross revenue account per group, with the facility and payer on every line and the cost
/// center on revenue lines (the facility's default cost center on the AR line). A group whose credits exceed its charges
/// becomes a debit; an encounter whose net is zero gives no journal.</para>
/// <para>Rounding: each charge is rounded to the currency's decimals (half away from zero) before it is added; the AR
/// line is the sum of the rounded revenue lines, so the journal balances exactly.</para>
/// <para>Every unmapped value (facility, payer, department, revenue code, and the provider unless providers.json has a
/// <c>defaultDimension</c>) is reported as a
/// <see cref="MissingMapping"/>, all of them at once, and nothing posts until they are fixed.</para>
/// <para>Key <c>discharge:{facility}:{encounter}:accrual</c> (source values as sent); posting date = the discharge date
/// in the discharge's own offset, else <c>fallbackPostingDate</c> (the orchestration's deterministic current date).</para>
/// </remarks>
public static class RevenueAccrualRule
{
    /// <param name="masterData">Validated master data.</param>
    /// <param name="discharge">The discharge.</param>
    /// <param name="charges">The encounter's charge events (posted and credited); all must belong to the discharge's facility and encounter.</param>
    /// <param name="fallbackPostingDate">Posting date when the discharge carries no time.</param>
    /// <param name="revision">0 for the first accrual; n &gt; 0 for a re-accrual after the previous one was reversed (late charges).</param>
    /// <param name="source">Receipt and correlation to stamp on the journal; the discharge's correlation id when null.</param>
    /// <param name="protectIdentifier">
    /// Applied to the encounter (visit) number in the idempotency key, e.g. <see cref="PatientTokenizer.Tokenize"/>: a
    /// visit number is an account number and must not reach the ERP (invariant 6). Null keeps it as sent. Must be stable.
    /// </param>
    /// <exception cref="ArgumentException">A charge of another encounter was passed (a caller bug).</exception>
    public static PostingResult Build(
        MasterDataSet masterData,
        EncounterDischarged discharge,
        IEnumerable<ChargeEvent> charges,
        DateOnly fallbackPostingDate,
        int revision = 0,
        JournalSource? source = null,
        Func<string, string>? protectIdentifier = null)
    {
        var issues = new List<PostingIssue>();
        var dimensions = new Dictionary<string, string>(StringComparer.Ordinal);
        var facility = masterData.FindFacility(discharge.Facility);
        if (facility is null)
            issues.Add(new MissingMapping("facility", discharge.Facility));

        var payerKey = discharge.Payer ?? masterData.SelfPayPayer;
        var payer = masterData.FindPayer(payerKey);
        if (payer is null)
            issues.Add(new MissingMapping("payer", payerKey ?? "(none)"));

        if (discharge.AttendingProvider is not null)
        {
            var provider = masterData.FindProvider(discharge.AttendingProvider);
            if (provider is not null)
                dimensions["provider"] = provider.Dimension;
            else if (masterData.DefaultProviderDimension is { } fallback)
                dimensions["provider"] = fallback;
            else
                issues.Add(new MissingMapping("provider", discharge.AttendingProvider));
        }

        var legalEntity = facility is null ? null : masterData.LegalEntityOf(facility);
        var decimals = legalEntity is null ? 2 : masterData.DecimalsOf(legalEntity.Currency);

        // (revenue account, cost center, service line) → signed net; insertion order kept for stable line order.
        var groups = new Dictionary<(string Account, string CostCenter, string ServiceLine), decimal>();
        var order = new List<(string Account, string CostCenter, string ServiceLine)>();
        foreach (var charge in charges.OrderBy(c => c.ChargeId, StringComparer.Ordinal).ThenBy(c => c is ChargeCredited))
        {
            if (!string.Equals(charge.Facility, discharge.Facility, StringComparison.Ordinal) || !string.Equals(charge.EncounterId, discharge.EncounterId, StringComparison.Ordinal))
                throw new ArgumentException($"Charge {charge.ChargeId} belongs to another encounter.", nameof(charges));

            var revenueCode = masterData.FindRevenueCode(charge.RevenueCode);
            if (revenueCode is null)
                issues.Add(new MissingMapping("revenue-code", charge.RevenueCode ?? "(none)"));

            var departmentCode = charge.Department ?? discharge.Department;
            var department = facility is null ? null : masterData.FindDepartment(facility.Code, departmentCode);
            if (department is null && facility is not null)
                issues.Add(new MissingMapping("department", departmentCode ?? "(none)"));

            if (legalEntity is not null && !string.Equals(charge.Amount.Currency, legalEntity.Currency, StringComparison.Ordinal))
                issues.Add(new SourceProblem($"charge:{charge.ChargeId}", $"charge in {charge.Amount.Currency}, legal entity {legalEntity.Code} books {legalEntity.Currency}"));

            if (revenueCode is null || department is null)
                continue;

            var serviceLine = masterData.ServiceLineOf(revenueCode);
            var key = (serviceLine.RevenueAccount, department.CostCenter, serviceLine.Code);
            var amount = JournalDraft.Round(charge.Amount.Amount, decimals);
            var signed = charge is ChargeCredited ? -amount : amount;
            if (groups.TryGetValue(key, out var sum))
            {
                groups[key] = checked(sum + signed);
            }
            else
            {
                order.Add(key);
                groups[key] = signed;
            }
        }

        if (issues.Any(i => i.Blocking) || facility is null || payer is null || legalEntity is null)
            return JournalFactory.Result([], issues, dimensions);

        var lines = new List<JournalLine>();
        var total = 0m;
        foreach (var key in order)
        {
            var net = groups[key];
            if (net == 0m)
                continue;
            total = checked(total + net);
            lines.Add(net > 0
                ? new JournalLine(key.Account, 0m, net, key.CostCenter, facility.Code, payer.Code, key.ServiceLine)
                : new JournalLine(key.Account, -net, 0m, key.CostCenter, facility.Code, payer.Code, key.ServiceLine));
        }

        if (total == 0m && lines.Count == 0)
            return JournalFactory.Result([], issues, dimensions);

        var arLine = total >= 0
            ? new JournalLine(payer.InsuranceArAccount, total, 0m, facility.DefaultCostCenter, facility.Code, payer.Code, "accrual")
            : new JournalLine(payer.InsuranceArAccount, 0m, -total, facility.DefaultCostCenter, facility.Code, payer.Code, "accrual");
        if (total != 0m)
            lines.Insert(0, arLine);

        var postingDate = discharge.DischargedAt is { } at ? DateOnly.FromDateTime(at.DateTime) : fallbackPostingDate;
        var journalKey = JournalIds.Accrual(discharge.Facility, protectIdentifier is null ? discharge.EncounterId : protectIdentifier(discharge.EncounterId.Trim()), revision);
        var journal = JournalFactory.Create(
            journalKey, legalEntity.Code, legalEntity.Currency, postingDate, "revenue-accrual", null,
            source ?? new JournalSource(discharge.CorrelationId, discharge.CorrelationId), lines);
        var journals = new List<Journal> { journal };
        JournalFactory.Validate(journals, masterData.DecimalsOf, issues);
        return JournalFactory.Result(journals, issues, dimensions);
    }
}
