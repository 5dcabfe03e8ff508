using HealthFlow.Finance.Mapping;

namespace HealthFlow.Finance.Posting;

/// <summary>The values of <see cref="Journals.Journal.Kind"/> the posting rules write. One meaning each.</summary>
public static class JournalKinds
{
    /// <summary>Gross revenue and insurance AR accrual of a discharged encounter.</summary>
    public const string RevenueAccrual = "revenue-accrual";

    /// <summary>A claim payment: Dr undeposited funds or bank clearing / Cr insurance AR.</summary>
    public const string Cash = "cash";

    /// <summary>A claim payment whose claim is not matched: Dr cash / Cr unapplied cash.</summary>
    public const string UnappliedCash = "unapplied-cash";

    /// <summary>The later match of an unapplied claim payment: Dr unapplied cash / Cr insurance AR.</summary>
    public const string UnappliedReclass = "unapplied-reclass";

    public const string ContractualAllowance = "contractual-allowance";

    public const string PatientResponsibility = "patient-responsibility";

    public const string DenialWriteOff = "denial-write-off";

    public const string AdministrativeAdjustment = "administrative-adjustment";

    public const string BadDebt = "bad-debt";

    /// <summary>Provider-level adjustments (PLB) of one 835.</summary>
    public const string ProviderAdjustment = "plb";

    /// <summary>A micro-batch whose members are of more than one kind.</summary>
    public const string Batch = "batch";

    /// <summary>The journal kind an adjustment category posts as, or null for categories that post nothing.</summary>
    public static string? Of(AdjustmentCategory category, DenialDisposition denial) => category switch
    {
        AdjustmentCategory.Contractual => ContractualAllowance,
        AdjustmentCategory.PatientResponsibility => PatientResponsibility,
        AdjustmentCategory.Denial when denial == DenialDisposition.WriteOff => DenialWriteOff,
        AdjustmentCategory.Administrative => AdministrativeAdjustment,
        AdjustmentCategory.BadDebt => BadDebt,
        _ => null,
    };
}
