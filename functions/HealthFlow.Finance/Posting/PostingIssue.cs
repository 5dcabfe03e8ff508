using System.Globalization;
using System.Text.Json.Serialization;
using HealthFlow.Finance.Journals;

namespace HealthFlow.Finance.Posting;

/// <summary>
/// An expected failure or follow-up found while building journals: a value for the exceptions topic, never an exception.
/// </summary>
/// <remarks>
/// <see cref="Blocking"/> issues stop the whole source document (an encounter, an 835) from posting: the result then
/// carries no journals, and the orchestration waits for the fix (an external event) and builds again; because journal
/// keys come from the source, building again yields the same keys. Non-blocking issues (an unmatched claim whose cash
/// went to unapplied cash, a denial routed to a work queue) travel beside journals that do post.
/// <see cref="Reference"/> is a stable text key for the workbench (e.g. <c>department:ER-9</c>) and carries no PHI.
/// Serializable with System.Text.Json (discriminator <c>issue</c>), so activity results survive an orchestration history.
/// </remarks>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "issue")]
[JsonDerivedType(typeof(MissingMapping), "missing-mapping")]
[JsonDerivedType(typeof(UnbalancedRemittance), "unbalanced-remittance")]
[JsonDerivedType(typeof(UnmatchedClaim), "unmatched-claim")]
[JsonDerivedType(typeof(DenialRoutedToWorkQueue), "denial-work-queue")]
[JsonDerivedType(typeof(SourceProblem), "source-problem")]
[JsonDerivedType(typeof(InvalidJournal), "invalid-journal")]
public abstract record PostingIssue
{
    /// <summary>True when nothing of the source document may post until this is resolved.</summary>
    public abstract bool Blocking { get; }

    /// <summary>A short machine-readable reason: missing-mapping, unbalanced-remittance, unmatched-claim, denial-work-queue, source-problem, invalid-journal.</summary>
    [JsonIgnore]
    public abstract string Reason { get; }

    /// <summary>A stable key of what is wrong, e.g. <c>department:ER-9</c>, <c>claim:PCN00000012</c>.</summary>
    public abstract string Reference { get; }

    /// <summary>The claim (CLP01) the issue belongs to, when it belongs to one.</summary>
    public string? ClaimId { get; init; }

    public override string ToString() => $"{Reason} {Reference}";
}

/// <summary>
/// A lookup that master data cannot answer: <see cref="Kind"/> (facility, department, payer, payee, provider, revenue-code,
/// adjustment, plb) and the <see cref="Key"/> as the source sent it. Fix the mapping, then build again.
/// </summary>
public sealed record MissingMapping(string Kind, string Key) : PostingIssue
{
    public override bool Blocking => true;

    public override string Reason => "missing-mapping";

    /// <summary><c>{kind}:{key}</c>, e.g. <c>department:ER-9</c>; <c>(none)</c> stands for a value the source left empty.</summary>
    public override string Reference => $"{Kind}:{Key}";
}

/// <summary>An 835 whose BPR02 ≠ Σ CLP04 − Σ PLB: nothing posts (invariant 4). <see cref="Difference"/> = BPR02 − (Σ CLP04 − Σ PLB).</summary>
public sealed record UnbalancedRemittance(string Payer, string TraceNumber, decimal Difference) : PostingIssue
{
    public override bool Blocking => true;

    public override string Reason => "unbalanced-remittance";

    public override string Reference => $"remit:{Payer}:{TraceNumber}:difference:{Difference.ToString(CultureInfo.InvariantCulture)}";
}

/// <summary>A claim payment (CLP) the caller could not match to a claim: its cash posted to unapplied cash; match it and reclass.</summary>
public sealed record UnmatchedClaim(string Payer, string TraceNumber, string PatientControlNumber, decimal PaidAmount) : PostingIssue
{
    public override bool Blocking => false;

    public override string Reason => "unmatched-claim";

    public override string Reference => $"claim:{PatientControlNumber}";
}

/// <summary>A denied amount whose CARC routes to a work queue (appeal, rebill): no journal, follow-up needed.</summary>
public sealed record DenialRoutedToWorkQueue(string Payer, string TraceNumber, string PatientControlNumber, string Group, string Carc, decimal Amount) : PostingIssue
{
    public override bool Blocking => false;

    public override string Reason => "denial-work-queue";

    public override string Reference => $"denial:{PatientControlNumber}:{Group}-{Carc}";
}

/// <summary>The source contradicts itself or master data (e.g. a charge in a currency other than its legal entity's).</summary>
public sealed record SourceProblem(string Subject, string Message) : PostingIssue
{
    public override bool Blocking => true;

    public override string Reason => "source-problem";

    public override string Reference => Subject;
}

/// <summary>A built journal failed <see cref="JournalValidation"/>: a bug in a posting rule, reported instead of posted.</summary>
public sealed record InvalidJournal(string JournalId, IReadOnlyList<string> Problems) : PostingIssue
{
    public override bool Blocking => true;

    public override string Reason => "invalid-journal";

    public override string Reference => $"journal:{JournalId}";
}

/// <summary>
/// What a posting rule built: the journals to post and the issues found. Invariant: when any issue is
/// <see cref="PostingIssue.Blocking"/>, <see cref="Journals"/> is empty; every journal passes <see cref="JournalValidation"/>.
/// </summary>
public sealed record PostingResult(IReadOnlyList<Journal> Journals, IReadOnlyList<PostingIssue> Issues)
{
    /// <summary>True when nothing may post until a blocking issue is fixed.</summary>
    [JsonIgnore]
    public bool Blocked => Issues.Any(i => i.Blocking);

    [JsonIgnore]
    public IEnumerable<MissingMapping> MissingMappings => Issues.OfType<MissingMapping>();

    /// <summary>ERP dimensions resolved on the way that journal lines have no field for (e.g. <c>provider</c> on an accrual).</summary>
    public IReadOnlyDictionary<string, string> Dimensions { get; init; } = new Dictionary<string, string>();
}
