using System.Collections.Immutable;
using System.Globalization;

namespace HealthFlow.Fhir;

/// <summary>
/// A FHIR Money: an exact decimal amount with its ISO 4217 currency. Invariant: <see cref="Currency"/>
/// is three upper-case ASCII letters (the reader rejects anything else or fills it from
/// <see cref="FhirReaderOptions.DefaultCurrency"/>); the value is never a binary float.
/// </summary>
public readonly record struct FhirMoney(decimal Value, string Currency)
{
    /// <inheritdoc />
    public override string ToString() => Value.ToString(CultureInfo.InvariantCulture) + " " + Currency;
}

/// <summary>A Coding: system and code (display kept because code displays carry no patient data).</summary>
public sealed record FhirCoding(string? System, string? Code, string? Display);

/// <summary>A CodeableConcept; <see cref="Codings"/> is never default.</summary>
public sealed record FhirCodeableConcept(ImmutableArray<FhirCoding> Codings, string? Text)
{
    /// <summary>The first code from <paramref name="system"/>, or null.</summary>
    public string? CodeFrom(string system)
    {
        foreach (var coding in Codings)
        {
            if (string.Equals(coding.System, system, StringComparison.Ordinal))
            {
                return coding.Code;
            }
        }

        return null;
    }

    /// <summary>The first code of any system, or null.</summary>
    public string? FirstCode => Codings.IsDefaultOrEmpty ? null : Codings[0].Code;
}

/// <summary>An Identifier of a non-patient thing (claim number, account number). Never used for patients.</summary>
public sealed record FhirIdentifier(string? System, string? Value);

/// <summary>A Period; both ends are FHIR dateTime strings as received (validated shape, partial dates allowed).</summary>
public sealed record FhirPeriod(FhirDateTime? Start, FhirDateTime? End);

/// <summary>A Quantity (value may be negative on ChargeItem reversals).</summary>
public sealed record FhirQuantity(decimal? Value, string? Unit, string? System, string? Code);

/// <summary>
/// A FHIR date or dateTime exactly as sent (<c>2014</c>, <c>2014-08</c>, <c>2014-08-16</c> or
/// <c>2014-08-16T10:00:00+01:00</c>). Invariant: <see cref="Text"/> matches the R4 dateTime pattern.
/// </summary>
public sealed record FhirDateTime(string Text)
{
    /// <summary>The calendar date when at least day precision was given, else null.</summary>
    public DateOnly? Date =>
        Text.Length >= 10 && DateOnly.TryParseExact(Text.AsSpan(0, 10), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date)
            ? date
            : null;

    /// <summary>The instant when a time and zone were given, else null.</summary>
    public DateTimeOffset? Instant =>
        Text.Length > 10 && DateTimeOffset.TryParse(Text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var instant)
            ? instant
            : null;

    /// <inheritdoc />
    public override string ToString() => Text;
}

/// <summary>
/// A Reference as the reader resolved it. Invariant: a reference to a Patient carries only
/// <see cref="PatientToken"/> (never the literal, identifier or display); <c>display</c> is never kept.
/// </summary>
public sealed record FhirReference
{
    /// <summary>The literal reference (<c>Organization/1</c>, <c>urn:uuid:…</c>, <c>#local</c>), null for patients.</summary>
    public string? Reference { get; init; }

    /// <summary>The target resource type when known (from the literal, <c>type</c>, or the resolved entry).</summary>
    public string? TargetType { get; init; }

    /// <summary>The target logical id when known.</summary>
    public string? TargetId { get; init; }

    /// <summary>A logical reference by identifier (non-patient targets only).</summary>
    public FhirIdentifier? Identifier { get; init; }

    /// <summary>The keyed token of the patient when the target is a Patient.</summary>
    public string? PatientToken { get; init; }

    /// <summary>Reference.display, kept only where the target cannot be a patient (payer, provider, facility names).</summary>
    public string? Display { get; init; }

    /// <summary>Index of the Bundle entry the reference resolved to, when it did.</summary>
    public int? ResolvedEntryIndex { get; init; }

    /// <summary>True when the reference points to a contained resource (<c>#id</c>).</summary>
    public bool IsContained => Reference is not null && Reference.StartsWith('#');

    /// <summary><c>Type/id</c> when both are known, else the literal, else <c>identifier system|value</c>.</summary>
    public string? Key =>
        TargetType is not null && TargetId is not null ? TargetType + "/" + TargetId
        : Reference ?? (Identifier is null ? null : Identifier.System + "|" + Identifier.Value);
}

/// <summary>An extension kept as received (url and the raw JSON of the extension object); not interpreted.</summary>
public sealed record FhirExtension(string? Url, string RawJson);
