using HealthFlow.Finance.Events;
using HealthFlow.Finance.Journals;
using HealthFlow.Finance.Posting;

namespace HealthFlow.Pipeline.Workflows;

/// <summary>External event names the workflows wait for (case-insensitive in the engine).</summary>
public static class WorkflowEvents
{
    /// <summary>Coding is complete for the encounter: bill now (most feeds never send it; the quiet period stands in).</summary>
    public const string CodingComplete = "CodingComplete";

    /// <summary>The discharge was cancelled (ADT A13): stop before posting, reverse after.</summary>
    public const string DischargeCancelled = "DischargeCancelled";

    /// <summary>Master data was fixed (raised by <c>POST /api/exceptions/{id}/resolve</c>): reload and build again.</summary>
    public const string MappingUpdated = "MappingUpdated";
}

/// <summary>Instance ids, derived from the source so that a redelivered start message starts nothing.</summary>
public static class WorkflowInstanceIds
{
    public static string Discharge(string facility, string encounterId) => $"discharge:{facility.Trim()}:{encounterId.Trim()}";

    /// <summary>The instance that reverses an accrual whose discharge was cancelled after it posted.</summary>
    public static string DischargeReversal(string facility, string encounterId) => $"discharge-reversal:{facility.Trim()}:{encounterId.Trim()}";

    public static string Remittance(string payer, string traceNumber) => $"remit:{payer.Trim()}:{traceNumber.Trim()}";
}

/// <summary>
/// Input of <see cref="DischargeToBillOrchestrator"/>. The waiting periods travel in the input (not read from options by
/// the orchestrator) so a configuration change never alters the decisions of a running instance on replay.
/// </summary>
public sealed record DischargeToBillInput(EncounterDischarged Discharge, TimeSpan QuietPeriod, TimeSpan SlaPeriod);

/// <summary>How a discharge-to-bill instance ended.</summary>
public sealed record DischargeToBillResult(string Outcome, string? JournalId = null, string? ReversalJournalId = null)
{
    public const string Posted = "posted";
    public const string PostedThenReversed = "posted-then-reversed";
    public const string Cancelled = "cancelled";
    public const string NothingToBill = "nothing-to-bill";
    public const string Rejected = "rejected";
}

/// <summary>Input of <see cref="DischargeReversalOrchestrator"/>: the encounter whose posted accrual must be reversed.</summary>
public sealed record DischargeReversalInput(string Facility, string EncounterId, string CorrelationId);

/// <summary>
/// Input of <see cref="RemittanceToGlOrchestrator"/>: a reference to the 835's record in the ledger (claim-check), not the
/// document: its sequence number (the embedded bus delivers it) and its message id (checked, and the fallback lookup in
/// the remittances topic's stream when the sequence number is not a ledger position, as under Service Bus).
/// </summary>
public sealed record RemittanceToGlInput(long RemittanceSeq, string MessageId, string Payer, string TraceNumber, string CorrelationId);

/// <summary>How a remittance-to-GL instance ended.</summary>
public sealed record RemittanceToGlResult(string Outcome, int JournalsPosted, int BatchesPosted, int Exceptions)
{
    public const string Posted = "posted";
    public const string Unbalanced = "unbalanced";
    public const string Rejected = "rejected";
}

/// <summary>An encounter, by its source identity.</summary>
public sealed record EncounterRef(string Facility, string EncounterId);

/// <summary>Input of the accrual build: the discharge, the build attempt (above 0 reloads master data) and the fallback posting date.</summary>
public sealed record BuildAccrualInput(EncounterDischarged Discharge, int Attempt, DateOnly FallbackPostingDate);

/// <summary>What the accrual build found: the journal (none when blocked or nothing to bill) and the issues.</summary>
/// <remarks><see cref="Differences"/>: where the journal's totals do not tie to the charges (<c>ReconciliationTotals</c>); empty when they tie.</remarks>
public sealed record AccrualPlan(Journal? Journal, IReadOnlyList<PostingIssue> Issues, int ChargeCount)
{
    public IReadOnlyList<string> Differences { get; init; } = [];

    public bool Blocked => Issues.Any(i => i.Blocking);
}

/// <summary>Input of the remittance build.</summary>
public sealed record BuildRemittanceInput(long RemittanceSeq, string MessageId, int Attempt, DateOnly FallbackPostingDate);

/// <summary>
/// One post to the ERP: a journal and how many member journals it stands for. A journal posted as is is its own member
/// (<see cref="MembersAt"/> = <see cref="Itself"/>); the members of a micro-batch are in the ledger record at
/// <see cref="MembersAt"/> (<see cref="PlannedPostMembers"/>, a claim-check), so that the orchestration history, which
/// every replay reads, carries a position instead of an 835's journals.
/// </summary>
public sealed record PlannedPost(Journal Journal, int MemberCount, long MembersAt = PlannedPost.Itself)
{
    public const long Itself = -1;

    /// <summary>A journal posted as is.</summary>
    public static PlannedPost Of(Journal journal) => new(journal, 1);
}

/// <summary>What the remittance build found: the posts (none when blocked) and the issues.</summary>
/// <remarks><see cref="Differences"/>: where the journals' totals do not tie to the 835 (<c>ReconciliationTotals</c>); empty when they tie.</remarks>
public sealed record RemittancePlan(IReadOnlyList<PlannedPost> Posts, IReadOnlyList<PostingIssue> Issues)
{
    public IReadOnlyList<string> Differences { get; init; } = [];

    public bool Blocked => Issues.Any(i => i.Blocking);

    public bool Unbalanced => Issues.Any(i => i is UnbalancedRemittance);
}

/// <summary>Input of <see cref="PostJournalsActivity"/>.</summary>
public sealed record PostJournalsInput(PlannedPost Post, string CorrelationId, string InstanceId);

/// <summary>What the ERP said, as the orchestrator needs it: accepted, unavailable (post again later) or, when neither, rejected.</summary>
public sealed record PostJournalsOutcome(bool Accepted, bool Replayed, string? Reason, IReadOnlyList<string> DocumentNumbers, bool Unavailable = false);

/// <summary>Input of <see cref="ClaimReadyActivity"/>.</summary>
public sealed record ClaimReadyInput(string Facility, string EncounterId, string JournalId, decimal Total, string Currency, string CorrelationId);

/// <summary>
/// An exception to raise: a value built by the orchestrator from posting issues (or an SLA breach); the activity turns it
/// into a <see cref="WorkflowException"/> with a deterministic id and the action that resumes the instance.
/// </summary>
public sealed record ExceptionDraft(string Reason, string Kind, string Reference, bool Blocking, string? ClaimId = null, string? ResumeEvent = null);

/// <summary>Input of <see cref="RaiseExceptionsActivity"/>: the drafts of one round (a build attempt) of an instance.</summary>
public sealed record RaiseExceptionsInput(string InstanceId, string CorrelationId, int Round, IReadOnlyList<ExceptionDraft> Drafts);

/// <summary>
/// An entry of the exceptions workbench (topic <c>exceptions</c>, message type <see cref="MessageType"/>): why, what, from
/// which receipt, which instance waits, and what resumes it. References are master-data keys or claim numbers, never
/// patient data; the workbench is internal and behind the admin key.
/// </summary>
public sealed record WorkflowException
{
    public const string MessageType = "WorkflowExceptionRaised";

    public required string Id { get; init; }
    public required string Reason { get; init; }
    public required string Kind { get; init; }
    public required string Reference { get; init; }
    public required bool Blocking { get; init; }
    public string? ClaimId { get; init; }
    public required string CorrelationId { get; init; }
    public required string InstanceId { get; init; }

    /// <summary>The external event that <c>resolve</c> raises on <see cref="InstanceId"/>; null when resolving only records the decision.</summary>
    public string? ResumeEvent { get; init; }

    /// <summary>What an operator does to resume, in words.</summary>
    public required string Action { get; init; }

    public DateTimeOffset RaisedAt { get; init; }

    /// <summary>When it was resolved (null while open); set by the read model, not part of the raised message.</summary>
    public DateTimeOffset? ResolvedAt { get; init; }
}

/// <summary>The journals topic's record that a post was acknowledged by the ERP (type <see cref="MessageType"/>).</summary>
public sealed record JournalPosted(string IdempotencyKey, string JournalId, IReadOnlyList<string> MemberKeys, IReadOnlyList<string> DocumentNumbers, string Gateway, bool Replayed, string InstanceId)
{
    public const string MessageType = "JournalPosted";
}

/// <summary>The journals topic's claim-ready event (type <see cref="MessageType"/>): final charges are mapped and the accrual is built. The encounter is a token.</summary>
public sealed record ClaimReady(string Facility, string EncounterToken, string JournalId, decimal Total, string Currency)
{
    public const string MessageType = "ClaimReady";
}
