namespace HealthFlow.Finance.Events;

/// <summary>Base of encounter events: the encounter is identified by facility + encounter (visit) number.</summary>
public abstract record EncounterEvent : CanonicalEvent
{
    public required string Facility { get; init; }
    public required string EncounterId { get; init; }
    /// <summary>Keyed token of the patient (never the identifier itself).</summary>
    public string? PatientToken { get; init; }

    public override string Topic => "encounters";
    public override string SessionKey => $"{Facility}|{EncounterId}";
}

/// <summary>A patient was admitted or registered (HL7 A01/A04, FHIR Encounter in progress).</summary>
public sealed record EncounterAdmitted : EncounterEvent
{
    /// <summary>Patient class: I inpatient, O outpatient, E emergency, and so on (HL7 PV1-2 / FHIR class code).</summary>
    public string? PatientClass { get; init; }
    public DateTimeOffset? AdmittedAt { get; init; }
    public string? Department { get; init; }
    public string? AttendingProvider { get; init; }
    public string? Payer { get; init; }
}

/// <summary>A patient was discharged (HL7 A03, FHIR Encounter finished or with a discharge disposition).</summary>
public sealed record EncounterDischarged : EncounterEvent
{
    public string? PatientClass { get; init; }
    public DateTimeOffset? DischargedAt { get; init; }
    public string? DischargeDisposition { get; init; }
    public string? Department { get; init; }
    public string? AttendingProvider { get; init; }
    public string? Payer { get; init; }
}

/// <summary>An admission was cancelled (HL7 A11): the encounter never happened.</summary>
public sealed record EncounterCancelled : EncounterEvent;

/// <summary>A discharge was cancelled (HL7 A13): the bill must stop until the patient is discharged again.</summary>
public sealed record DischargeCancelled : EncounterEvent;
