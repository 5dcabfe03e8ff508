using System.Text.Json.Serialization;

namespace HealthFlow.Finance.Events;

/// <summary>
/// A financial fact from a source system, in HealthFlow's own terms, whatever format it arrived in.
/// </summary>
/// <remarks>
/// Invariants: <see cref="IdempotencyKey"/> is derived from the source's identity (ISA/GS/ST control numbers and
/// sender, FHIR resource id and version, HL7 sending facility and MSH-10), never minted on arrival, so the same
/// source document always yields the same key; <see cref="CorrelationId"/> is the ingest receipt and
/// <see cref="CausationId"/> the record that caused the event. No event carries a patient name, birth date,
/// address or member id: patients appear as <c>pt_</c> tokens. Events are immutable and carry no wall-clock time
/// of their own making, so replaying them gives the same result.
/// </remarks>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(EncounterAdmitted), nameof(EncounterAdmitted))]
[JsonDerivedType(typeof(EncounterDischarged), nameof(EncounterDischarged))]
[JsonDerivedType(typeof(EncounterCancelled), nameof(EncounterCancelled))]
[JsonDerivedType(typeof(DischargeCancelled), nameof(DischargeCancelled))]
[JsonDerivedType(typeof(ChargePosted), nameof(ChargePosted))]
[JsonDerivedType(typeof(ChargeCredited), nameof(ChargeCredited))]
[JsonDerivedType(typeof(ClaimSubmitted), nameof(ClaimSubmitted))]
[JsonDerivedType(typeof(ClaimAcknowledged), nameof(ClaimAcknowledged))]
[JsonDerivedType(typeof(ClaimAdjudicated), nameof(ClaimAdjudicated))]
[JsonDerivedType(typeof(RemittanceReceived), nameof(RemittanceReceived))]
[JsonDerivedType(typeof(PaymentReceived), nameof(PaymentReceived))]
public abstract record CanonicalEvent
{
    /// <summary>The source's identity for this fact; the same source document always gives the same key.</summary>
    public required string IdempotencyKey { get; init; }

    /// <summary>The ingest receipt this event descends from.</summary>
    public required string CorrelationId { get; init; }

    /// <summary>What caused this event (the raw payload's ledger key, or another event's key).</summary>
    public required string CausationId { get; init; }

    /// <summary>The event's name, e.g. <c>RemittanceReceived</c>.</summary>
    [JsonIgnore]
    public string EventType => GetType().Name;

    /// <summary>The topic the event is published on (see topology.json).</summary>
    [JsonIgnore]
    public abstract string Topic { get; }

    /// <summary>Messages with the same session key are processed in order (one orchestration instance).</summary>
    [JsonIgnore]
    public abstract string SessionKey { get; }
}

/// <summary>Where a service happened: the hospital (facility) and, when known, the department.</summary>
public sealed record CareSite(string Facility, string? Department);
