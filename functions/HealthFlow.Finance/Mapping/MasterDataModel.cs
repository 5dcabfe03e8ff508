namespace HealthFlow.Finance.Mapping;

/// <summary>What an account is for; decides which side grows it and which reconciliation measure reads it.</summary>
public enum AccountType
{
    Asset,
    Liability,
    Equity,
    Revenue,
    ContraRevenue,
    Expense,
    OtherIncome,
}

/// <summary>One GL account of the shared chart of accounts (the legal entity is the journal's company, not part of the account).</summary>
public sealed record AccountDefinition(string Account, string Name, AccountType Type);

/// <summary>An ISO 4217 currency and its minor-unit decimals (2 for USD): the rounding precision of every journal line in it.</summary>
public sealed record CurrencyDefinition(string Code, int Decimals);

/// <summary>
/// A legal entity (ERP company). Invariant: every journal belongs to exactly one legal entity and its currency;
/// the cash accounts are the ones remittances debit for that entity.
/// </summary>
/// <param name="Code">ERP company code.</param>
/// <param name="Name">Display name.</param>
/// <param name="Currency">Functional currency (ISO 4217) of every journal of the entity.</param>
/// <param name="UndepositedFundsAccount">Debited for paper checks (BPR04 = CHK) until they are deposited.</param>
/// <param name="BankClearingAccount">Debited for electronic payments (ACH, FWT) and for advices without money (BOP, NON).</param>
/// <param name="UnappliedCashAccount">Credited for a claim payment whose claim is not matched yet (cash is real, the AR it relieves is unknown).</param>
public sealed record LegalEntity(string Code, string Name, string Currency, string UndepositedFundsAccount, string BankClearingAccount, string UnappliedCashAccount);

/// <summary>A hospital. Invariant: belongs to exactly one legal entity; its currency is the legal entity's.</summary>
/// <param name="Code">Facility code (HL7 facility, journal line facility dimension).</param>
/// <param name="Name">Display name.</param>
/// <param name="LegalEntity">The legal entity that owns the facility.</param>
/// <param name="Npis">Billing NPIs (835 N1*PE, 837 billing provider) that identify the facility as payee.</param>
/// <param name="Aliases">Other names and codes source systems use for it (HL7 facility, 835 payee name).</param>
/// <param name="DefaultCostCenter">Cost center for remittance lines (patient financial services of the facility).</param>
public sealed record Facility(string Code, string Name, string LegalEntity, IReadOnlyList<string> Npis, IReadOnlyList<string> Aliases, string? DefaultCostCenter);

/// <summary>An ERP cost center.</summary>
public sealed record CostCenter(string Code, string Name, string LegalEntity);

/// <summary>A clinical or revenue department; <see cref="Facility"/> null means the code means the same in every facility.</summary>
public sealed record Department(string Code, string? Facility, string Name, string CostCenter);

/// <summary>A rendering or attending provider (NPI or local id) and the ERP dimension value it is booked with.</summary>
public sealed record Provider(string Id, string Dimension);

/// <summary>
/// A payer class (Medicare, Medicaid, commercial, managed care, self-pay...): the AR accounts its payers use by default
/// and optional per-category adjustment accounts (e.g. contractual allowance split by payer class).
/// </summary>
public sealed record PayerClass(
    string Code,
    string Name,
    string InsuranceArAccount,
    string PatientArAccount,
    IReadOnlyDictionary<AdjustmentCategory, string> AdjustmentAccounts);

/// <summary>
/// A payer with its AR accounts already resolved (payer override, else payer class). Aliases are the names and ids
/// 835s and 837s use for it; lookups are case-insensitive on trimmed text.
/// </summary>
public sealed record Payer(string Code, string Name, string PayerClass, IReadOnlyList<string> Aliases, string InsuranceArAccount, string PatientArAccount);

/// <summary>A service line (emergency, laboratory, imaging...) and its gross revenue account.</summary>
public sealed record ServiceLine(string Code, string Name, string RevenueAccount);

/// <summary>A UB-04 revenue code (four digits, e.g. <c>0450</c>) or a family (<c>045X</c>) and its service line.</summary>
public sealed record RevenueCode(string Code, string ServiceLine);

/// <summary>What an 835 CAS adjustment means for the books.</summary>
public enum AdjustmentCategory
{
    /// <summary>Contractual allowance (CO-45...): Dr contractual allowance (contra revenue) / Cr insurance AR.</summary>
    Contractual,

    /// <summary>Denial: written off (Dr denial write-off / Cr insurance AR) or sent to a work queue (no journal), per <see cref="DenialDisposition"/>.</summary>
    Denial,

    /// <summary>Patient responsibility (PR-1/2/3...): reclass Dr patient AR / Cr insurance AR.</summary>
    PatientResponsibility,

    /// <summary>Administrative adjustment: Dr administrative adjustments / Cr insurance AR.</summary>
    Administrative,

    /// <summary>Bad debt: Dr bad debt expense / Cr insurance AR.</summary>
    BadDebt,

    /// <summary>
    /// Reported by the payer but not a posting for this claim (OA-23 prior payer impact, CO-18 duplicate):
    /// the AR it describes was relieved elsewhere, so posting it would relieve AR twice. Counted in totals, no journal.
    /// </summary>
    Informational,
}

/// <summary>What happens to a denial: written off now, or routed to a work queue (appeal, rebill) with no journal.</summary>
public enum DenialDisposition
{
    None,
    WriteOff,
    WorkQueue,
}

/// <summary>
/// Maps a CAS group code + CARC (+ optionally a RARC) to a category. <see cref="Reason"/> <c>*</c> is the group's default.
/// Invariant: <see cref="Denial"/> is set exactly when <see cref="Category"/> is <see cref="AdjustmentCategory.Denial"/>.
/// </summary>
public sealed record AdjustmentRule(string Group, string Reason, string? RemarkCode, AdjustmentCategory Category, DenialDisposition Denial);

/// <summary>Where a PLB reason posts: a GL account, or the remitting payer's insurance AR (recoupments).</summary>
/// <param name="Reason">PLB03-1 reason code (L6, WO, FB, 72, ...).</param>
/// <param name="Name">What the code means.</param>
/// <param name="Account">The GL account, or null when <see cref="ToInsuranceAr"/>.</param>
/// <param name="ToInsuranceAr">True when the PLB relieves or restores the payer's insurance AR (WO overpayment recovery).</param>
public sealed record ProviderAdjustmentRule(string Reason, string Name, string? Account, bool ToInsuranceAr);

/// <summary>Micro-batching settings for one payer and legal entity (see <c>JournalBatcher</c>).</summary>
/// <param name="Enabled">False: every journal posts on its own, in real time.</param>
/// <param name="CashRealTime">True: cash journals (kind <c>cash</c>) are not batched with the other kinds; the cash of one source document (an 835) posts as one journal per legal entity and day.</param>
/// <param name="MaxLinesPerBatch">A batch journal never has more lines than this unless one member alone has more.</param>
/// <param name="ConsolidateLines">Net lines with the same account and dimensions inside a batch (memo dropped).</param>
public sealed record BatchingRule(bool Enabled, bool CashRealTime, int MaxLinesPerBatch, bool ConsolidateLines)
{
    /// <summary>Batching on, cash batched too, 5,000 lines a batch, consolidated.</summary>
    public static BatchingRule Default { get; } = new(true, false, 5_000, true);
}

/// <summary>One problem found loading master data: the file, the JSON path (<c>$.payers[3].payerClass</c>) and what is wrong.</summary>
public sealed record MasterDataError(string File, string Path, string Message)
{
    public override string ToString() => $"{File}: {Path}: {Message}";
}
