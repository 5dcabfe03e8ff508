using System.Collections.Immutable;

namespace HealthFlow.Fhir;

/// <summary>OperationOutcome.issue.severity (http://hl7.org/fhir/issue-severity).</summary>
public enum IssueSeverity
{
    /// <summary>The issue stopped processing of the whole input (invalid JSON, limits exceeded).</summary>
    Fatal,
    /// <summary>The issue makes the resource (or transaction) unacceptable.</summary>
    Error,
    /// <summary>Accepted, but someone should look at it.</summary>
    Warning,
    /// <summary>For the record only.</summary>
    Information,
}

/// <summary>OperationOutcome.issue.code: the subset of http://hl7.org/fhir/issue-type this reader reports.</summary>
public enum IssueType
{
    /// <summary><c>invalid</c>: content invalid against the specification.</summary>
    Invalid,
    /// <summary><c>structure</c>: JSON that is not well formed or has the wrong shape.</summary>
    Structure,
    /// <summary><c>required</c>: a required element is missing.</summary>
    Required,
    /// <summary><c>value</c>: an element value is invalid.</summary>
    Value,
    /// <summary><c>invariant</c>: a rule between elements failed (e.g. totals that do not add up).</summary>
    Invariant,
    /// <summary><c>processing</c>: processing failure.</summary>
    Processing,
    /// <summary><c>not-supported</c>: the content is valid FHIR that this service does not accept.</summary>
    NotSupported,
    /// <summary><c>duplicate</c>: a duplicate key or entry.</summary>
    Duplicate,
    /// <summary><c>not-found</c>: a reference that does not resolve.</summary>
    NotFound,
    /// <summary><c>too-long</c>: a string longer than the configured limit.</summary>
    TooLong,
    /// <summary><c>code-invalid</c>: a code outside the value set we map.</summary>
    CodeInvalid,
    /// <summary><c>extension</c>: an unrecognised modifierExtension.</summary>
    Extension,
    /// <summary><c>too-costly</c>: input beyond a resource limit (size, depth, issue count).</summary>
    TooCostly,
    /// <summary><c>business-rule</c>: valid FHIR that breaks a financial rule of ours.</summary>
    BusinessRule,
    /// <summary><c>informational</c>: no problem, a note.</summary>
    Informational,
}

/// <summary>
/// One OperationOutcome.issue. Invariant: <see cref="Diagnostics"/> never contains patient data
/// (names, birth dates, addresses, identifier values); <see cref="Expression"/> is a FHIRPath-style
/// location such as <c>Bundle.entry[3].resource.item[2].net</c> (indexes from 0), or null when the
/// issue concerns the whole input.
/// </summary>
public sealed record OperationOutcomeIssue(IssueSeverity Severity, IssueType Code, string Diagnostics, string? Expression)
{
    /// <summary>True for fatal and error issues, the ones that reject.</summary>
    public bool IsError => Severity is IssueSeverity.Fatal or IssueSeverity.Error;
}

/// <summary>
/// An immutable FHIR OperationOutcome. Invariant: <see cref="Issues"/> is never default; an outcome with
/// no issues is written with one <c>information</c> issue because R4 requires at least one (opo-1 cardinality 1..*).
/// </summary>
public sealed class OperationOutcome
{
    /// <summary>An outcome with no issues.</summary>
    public static OperationOutcome Empty { get; } = new(ImmutableArray<OperationOutcomeIssue>.Empty);

    /// <summary>Creates an outcome over the given issues.</summary>
    public OperationOutcome(ImmutableArray<OperationOutcomeIssue> issues)
    {
        Issues = issues.IsDefault ? ImmutableArray<OperationOutcomeIssue>.Empty : issues;
    }

    /// <summary>The issues, in the order they were found.</summary>
    public ImmutableArray<OperationOutcomeIssue> Issues { get; }

    /// <summary>True when any issue is fatal or an error.</summary>
    public bool HasErrors
    {
        get
        {
            foreach (var issue in Issues)
            {
                if (issue.IsError)
                {
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>An outcome with one issue.</summary>
    public static OperationOutcome Create(IssueSeverity severity, IssueType code, string diagnostics, string? expression = null) =>
        new([new OperationOutcomeIssue(severity, code, diagnostics, expression)]);

    /// <summary>The FHIR code of a severity (<c>fatal</c>, <c>error</c>, <c>warning</c>, <c>information</c>).</summary>
    public static string ToCode(IssueSeverity severity) => severity switch
    {
        IssueSeverity.Fatal => "fatal",
        IssueSeverity.Error => "error",
        IssueSeverity.Warning => "warning",
        IssueSeverity.Information => "information",
        _ => throw new ArgumentOutOfRangeException(nameof(severity), severity, "unknown severity"),
    };

    /// <summary>The FHIR code of an issue type (e.g. <c>not-found</c>).</summary>
    public static string ToCode(IssueType code) => code switch
    {
        IssueType.Invalid => "invalid",
        IssueType.Structure => "structure",
        IssueType.Required => "required",
        IssueType.Value => "value",
        IssueType.Invariant => "invariant",
        IssueType.Processing => "processing",
        IssueType.NotSupported => "not-supported",
        IssueType.Duplicate => "duplicate",
        IssueType.NotFound => "not-found",
        IssueType.TooLong => "too-long",
        IssueType.CodeInvalid => "code-invalid",
        IssueType.Extension => "extension",
        IssueType.TooCostly => "too-costly",
        IssueType.BusinessRule => "business-rule",
        IssueType.Informational => "informational",
        _ => throw new ArgumentOutOfRangeException(nameof(code), code, "unknown issue type"),
    };
}
