namespace HealthFlow.Finance.Events;

/// <summary>Base of charge events: one line of the patient account for an encounter.</summary>
public abstract record ChargeEvent : CanonicalEvent
{
    public required string Facility { get; init; }
    public required string EncounterId { get; init; }
    /// <summary>The source's charge (transaction) id.</summary>
    public required string ChargeId { get; init; }
    public string? Department { get; init; }
    public string? RevenueCode { get; init; }
    public string? ProcedureCode { get; init; }
    public decimal Quantity { get; init; } = 1m;
    /// <summary>Extended amount, always positive; the event type says whether it is a charge or a credit.</summary>
    public required Money Amount { get; init; }
    public DateOnly? ServiceDate { get; init; }
    /// <summary>Set on a credit that reverses a specific earlier charge.</summary>
    public string? ReversesChargeId { get; init; }

    public override string Topic => "charges";
    public override string SessionKey => $"{Facility}|{EncounterId}";
}

/// <summary>A charge was posted to an encounter.</summary>
public sealed record ChargePosted : ChargeEvent;

/// <summary>A charge was credited (reversed in whole or in part).</summary>
public sealed record ChargeCredited : ChargeEvent;
