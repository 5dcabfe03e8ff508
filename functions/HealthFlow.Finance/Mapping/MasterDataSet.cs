using System.Collections.Frozen;

namespace HealthFlow.Finance.Mapping;

/// <summary>
/// Validated master data and posting rules: the only input of the posting rules besides the events.
/// </summary>
/// <remarks>
/// Invariants (established by <see cref="MasterData.Load(Func{string, Stream?})"/>, which is the only way to get one):
/// every reference resolves (facility → legal entity → currency, department → cost center, payer → payer class,
/// revenue code → service line → account, every account named anywhere exists in the chart), no key is defined twice.
/// Lookups return null when a key is unknown; the posting rules turn that into a <see cref="Posting.MissingMapping"/>
/// value, never an exception. Lookups of codes and aliases ignore case and surrounding blanks. Immutable and safe to
/// share between threads.
/// </remarks>
public sealed class MasterDataSet
{
    private readonly FrozenDictionary<string, Facility> _facilities;
    private readonly FrozenDictionary<string, Facility> _facilitiesByNpi;
    private readonly FrozenDictionary<string, Payer> _payers;
    private readonly FrozenDictionary<(string Facility, string Code), Department> _departments;
    private readonly FrozenDictionary<string, RevenueCode> _revenueCodes;
    private readonly FrozenDictionary<(string Group, string Reason, string Remark), AdjustmentRule> _adjustmentRules;
    private readonly FrozenDictionary<string, ProviderAdjustmentRule> _plbRules;
    private readonly FrozenDictionary<string, Provider> _providers;
    private readonly IReadOnlyList<BatchingOverride> _batchingOverrides;
    private readonly FrozenSet<string> _cashAccounts;
    private readonly FrozenSet<string> _insuranceArAccounts;

    internal MasterDataSet(
        string version,
        IReadOnlyList<AccountDefinition> accounts,
        IReadOnlyList<CurrencyDefinition> currencies,
        IReadOnlyList<LegalEntity> legalEntities,
        IReadOnlyList<Facility> facilities,
        IReadOnlyList<CostCenter> costCenters,
        IReadOnlyList<Department> departments,
        IReadOnlyList<Provider> providers,
        string? defaultProviderDimension,
        IReadOnlyList<PayerClass> payerClasses,
        IReadOnlyList<Payer> payers,
        string? selfPayPayer,
        IReadOnlyList<ServiceLine> serviceLines,
        IReadOnlyList<RevenueCode> revenueCodes,
        IReadOnlyDictionary<AdjustmentCategory, string> categoryAccounts,
        IReadOnlyList<AdjustmentRule> adjustmentRules,
        IReadOnlyList<ProviderAdjustmentRule> plbRules,
        BatchingRule batchingDefault,
        IReadOnlyList<BatchingOverride> batchingOverrides)
    {
        Version = version;
        Accounts = accounts.ToFrozenDictionary(a => a.Account, StringComparer.Ordinal);
        Currencies = currencies.ToFrozenDictionary(c => c.Code, StringComparer.Ordinal);
        LegalEntities = legalEntities.ToFrozenDictionary(l => l.Code, StringComparer.OrdinalIgnoreCase);
        CostCenters = costCenters.ToFrozenDictionary(c => c.Code, StringComparer.OrdinalIgnoreCase);
        PayerClasses = payerClasses.ToFrozenDictionary(p => p.Code, StringComparer.OrdinalIgnoreCase);
        ServiceLines = serviceLines.ToFrozenDictionary(s => s.Code, StringComparer.OrdinalIgnoreCase);
        CategoryAccounts = categoryAccounts.ToFrozenDictionary();
        SelfPayPayer = selfPayPayer;
        DefaultProviderDimension = defaultProviderDimension;
        BatchingDefault = batchingDefault;
        _batchingOverrides = batchingOverrides;

        var facilityKeys = new Dictionary<string, Facility>(StringComparer.OrdinalIgnoreCase);
        var npiKeys = new Dictionary<string, Facility>(StringComparer.OrdinalIgnoreCase);
        foreach (var facility in facilities)
        {
            facilityKeys[facility.Code] = facility;
            foreach (var alias in facility.Aliases)
                facilityKeys.TryAdd(Normal(alias), facility);
            foreach (var npi in facility.Npis)
                npiKeys.TryAdd(npi, facility);
        }

        _facilities = facilityKeys.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);
        _facilitiesByNpi = npiKeys.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);
        Facilities = facilities;

        var payerKeys = new Dictionary<string, Payer>(StringComparer.OrdinalIgnoreCase);
        foreach (var payer in payers)
            payerKeys[payer.Code] = payer;
        foreach (var payer in payers)
        {
            foreach (var alias in payer.Aliases)
                payerKeys.TryAdd(Normal(alias), payer);
        }

        _payers = payerKeys.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);
        Payers = payers;
        _departments = departments.ToFrozenDictionary(d => (Normal(d.Facility ?? "*"), Normal(d.Code)));
        _revenueCodes = revenueCodes.ToFrozenDictionary(r => Normal(r.Code), StringComparer.OrdinalIgnoreCase);
        _adjustmentRules = adjustmentRules.ToFrozenDictionary(r => (Normal(r.Group), Normal(r.Reason), Normal(r.RemarkCode ?? "")));
        _plbRules = plbRules.ToFrozenDictionary(r => Normal(r.Reason), StringComparer.OrdinalIgnoreCase);
        _providers = providers.ToFrozenDictionary(p => Normal(p.Id), StringComparer.OrdinalIgnoreCase);
        _cashAccounts = legalEntities.SelectMany(l => new[] { l.UndepositedFundsAccount, l.BankClearingAccount }).ToFrozenSet(StringComparer.Ordinal);
        _insuranceArAccounts = payers.Select(p => p.InsuranceArAccount).ToFrozenSet(StringComparer.Ordinal);
    }

    /// <summary>The manifest's version (e.g. <c>2026.11.0</c>): which rules built a journal.</summary>
    public string Version { get; }

    public IReadOnlyDictionary<string, AccountDefinition> Accounts { get; }

    public IReadOnlyDictionary<string, CurrencyDefinition> Currencies { get; }

    public IReadOnlyDictionary<string, LegalEntity> LegalEntities { get; }

    public IReadOnlyList<Facility> Facilities { get; }

    public IReadOnlyDictionary<string, CostCenter> CostCenters { get; }

    public IReadOnlyDictionary<string, PayerClass> PayerClasses { get; }

    public IReadOnlyList<Payer> Payers { get; }

    public IReadOnlyDictionary<string, ServiceLine> ServiceLines { get; }

    /// <summary>The debit account of each adjustment category (none for patient responsibility, informational, work-queue denials).</summary>
    public IReadOnlyDictionary<AdjustmentCategory, string> CategoryAccounts { get; }

    /// <summary>The payer an encounter without a payer accrues to (self-pay), or null when none is configured.</summary>
    public string? SelfPayPayer { get; }

    /// <summary>
    /// The ERP dimension of a provider missing from providers.json, or null when an unmapped provider must stop the
    /// accrual. Providers are a reporting dimension that journal lines do not carry, so a default is a reasonable choice.
    /// </summary>
    public string? DefaultProviderDimension { get; }

    public BatchingRule BatchingDefault { get; }

    /// <summary>A facility by code or alias (HL7 facility, payee name).</summary>
    public Facility? FindFacility(string? codeOrAlias) =>
        codeOrAlias is not null && _facilities.TryGetValue(Normal(codeOrAlias), out var facility) ? facility : null;

    /// <summary>The facility paid by an 835: by payee NPI first, then by payee name as an alias.</summary>
    public Facility? FindPayeeFacility(string? npi, string? name) =>
        npi is not null && _facilitiesByNpi.TryGetValue(Normal(npi), out var byNpi) ? byNpi : FindFacility(name);

    public LegalEntity LegalEntityOf(Facility facility) => LegalEntities[facility.LegalEntity];

    /// <summary>A payer by code or alias (835 N1*PR name or id, 837 payer name or id).</summary>
    public Payer? FindPayer(string? codeOrAlias) =>
        codeOrAlias is not null && _payers.TryGetValue(Normal(codeOrAlias), out var payer) ? payer : null;

    /// <summary>A department of <paramref name="facility"/>: the facility's own entry first, then a system-wide one.</summary>
    public Department? FindDepartment(string facility, string? code)
    {
        if (code is null)
            return null;
        return _departments.TryGetValue((Normal(facility), Normal(code)), out var own) ? own
            : _departments.TryGetValue(("*", Normal(code)), out var shared) ? shared
            : null;
    }

    /// <summary>A revenue code: the exact four-digit code first, then its family (<c>0451</c> → <c>045X</c>).</summary>
    public RevenueCode? FindRevenueCode(string? code)
    {
        if (code is null)
            return null;
        var key = Normal(code);
        if (_revenueCodes.TryGetValue(key, out var exact))
            return exact;
        return key.Length == 4 && _revenueCodes.TryGetValue(string.Concat(key.AsSpan(0, 3), "X"), out var family) ? family : null;
    }

    public ServiceLine ServiceLineOf(RevenueCode code) => ServiceLines[code.ServiceLine];

    public Provider? FindProvider(string? id) =>
        id is not null && _providers.TryGetValue(Normal(id), out var provider) ? provider : null;

    /// <summary>
    /// The rule for a CAS adjustment. Order: group + CARC + one of the remark codes (RARC), group + CARC, group + <c>*</c>.
    /// Remark codes are tried in the order given, so the first matching RARC wins.
    /// </summary>
    public AdjustmentRule? FindAdjustmentRule(string group, string reason, IReadOnlyList<string> remarkCodes)
    {
        var g = Normal(group);
        var r = Normal(reason);
        foreach (var remark in remarkCodes)
        {
            if (_adjustmentRules.TryGetValue((g, r, Normal(remark)), out var withRemark))
                return withRemark;
        }

        return _adjustmentRules.TryGetValue((g, r, ""), out var exact) ? exact
            : _adjustmentRules.TryGetValue((g, "*", ""), out var groupDefault) ? groupDefault
            : null;
    }

    public ProviderAdjustmentRule? FindProviderAdjustmentRule(string reason) =>
        _plbRules.TryGetValue(Normal(reason), out var rule) ? rule : null;

    /// <summary>
    /// The debit account of an adjustment category for a payer: the payer class's override, else the category's account;
    /// null for categories that post no GL account of their own (patient responsibility uses the payer's patient AR).
    /// </summary>
    public string? AdjustmentAccount(Payer payer, AdjustmentCategory category) =>
        PayerClasses[payer.PayerClass].AdjustmentAccounts.TryGetValue(category, out var own) ? own
        : CategoryAccounts.TryGetValue(category, out var shared) ? shared
        : null;

    /// <summary>Minor-unit decimals of a currency (2 when the currency is not listed, the ISO default for most).</summary>
    public int DecimalsOf(string currency) => Currencies.TryGetValue(currency, out var definition) ? definition.Decimals : 2;

    /// <summary>
    /// Batching settings for a payer and legal entity: the default, overlaid by a legal-entity override, then a payer
    /// override, then an override naming both (most specific wins, field by field).
    /// </summary>
    public BatchingRule BatchingFor(string? payer, string legalEntity)
    {
        var rule = BatchingDefault;
        foreach (var specificity in new[] { 1, 2, 3 })
        {
            foreach (var item in _batchingOverrides)
            {
                var matchesPayer = item.Payer is null || string.Equals(item.Payer, payer, StringComparison.OrdinalIgnoreCase);
                var matchesEntity = item.LegalEntity is null || string.Equals(item.LegalEntity, legalEntity, StringComparison.OrdinalIgnoreCase);
                var itemSpecificity = (item.LegalEntity is null ? 0 : 1) + (item.Payer is null ? 0 : 2);
                if (itemSpecificity == specificity && matchesPayer && matchesEntity)
                    rule = item.ApplyTo(rule);
            }
        }

        return rule;
    }

    /// <summary>All accounts that hold cash for some legal entity (undeposited funds, bank clearing).</summary>
    public bool IsCashAccount(string account) => _cashAccounts.Contains(account);

    /// <summary>Whether an account is some payer's insurance AR.</summary>
    public bool IsInsuranceArAccount(string account) => _insuranceArAccounts.Contains(account);

    internal static string Normal(string text) => text.Trim().ToUpperInvariant();
}

/// <summary>A batching override for a payer, a legal entity or both; null fields keep the value beneath.</summary>
public sealed record BatchingOverride(string? Payer, string? LegalEntity, bool? Enabled, bool? CashRealTime, int? MaxLinesPerBatch, bool? ConsolidateLines)
{
    public BatchingRule ApplyTo(BatchingRule rule) => new(
        Enabled ?? rule.Enabled,
        CashRealTime ?? rule.CashRealTime,
        MaxLinesPerBatch ?? rule.MaxLinesPerBatch,
        ConsolidateLines ?? rule.ConsolidateLines);
}
