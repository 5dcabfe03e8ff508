using HealthFlow.Finance.Batching;
using HealthFlow.Finance.Journals;

namespace HealthFlow.Pipeline.Erp;

/// <summary>
/// The ERP port: posts a batch of journals under one idempotency key and returns the ERP's acknowledgement.
/// </summary>
/// <remarks>
/// <para>Invariants every implementation holds: a journal the ERP has given a document number is never sent again (the
/// posted-key register in the ledger stream <see cref="ErpPostedRegister.Stream"/> says so, also after a restart); a key
/// that was accepted returns its recorded acknowledgement with <see cref="ErpAcknowledgement.Replayed"/> set; expected
/// outcomes (accepted, rejected by the ERP, transient failure after the retries) are values, exceptions mean a bug or
/// local I/O that really failed (the file sink's disk). No request carries PHI: journals carry accounts, amounts and
/// master-data dimensions only, and nothing logs a body.</para>
/// <para>Concurrent calls with the same key share one post.</para>
/// </remarks>
public interface IErpGateway
{
    /// <summary>The configured gateway: <c>file</c>, <c>webhook</c>, <c>dynamics365</c>, <c>oracle</c> or <c>sap</c>.</summary>
    string Name { get; }

    /// <summary>Posts <paramref name="request"/> once; returns the acknowledgement (recorded in the ledger before it returns).</summary>
    ValueTask<ErpAcknowledgement> PostAsync(ErpPostRequest request, CancellationToken cancellationToken = default);
}

/// <summary>Journals to post together under one idempotency key chosen by the source (never minted on arrival).</summary>
/// <param name="IdempotencyKey">The key of the post; for a single journal or a <see cref="JournalBatch"/>, the journal's own key.</param>
/// <param name="Journals">One or more journals, each valid (<see cref="JournalValidation"/>) and with a distinct idempotency key.</param>
public sealed record ErpPostRequest(string IdempotencyKey, IReadOnlyList<Journal> Journals)
{
    /// <summary>A post of one journal under its own key.</summary>
    public static ErpPostRequest For(Journal journal) => new(journal.IdempotencyKey, [journal]);

    /// <summary>A post of a micro-batch (or a real-time journal) under the batch journal's key.</summary>
    public static ErpPostRequest For(JournalBatch batch) => new(batch.Journal.IdempotencyKey, [batch.Journal]);
}

/// <summary>What the ERP said about a post.</summary>
public enum ErpOutcome
{
    /// <summary>Every journal of the request has a document number in the ERP.</summary>
    Accepted,

    /// <summary>The ERP refused (HTTP 4xx other than 408/429, business validation) or the request was invalid; not retried. Goes to the exceptions workbench.</summary>
    Rejected,

    /// <summary>Throttling, 5xx or network errors outlasted the retries; posting the same key again later is safe.</summary>
    TransientFailure,
}

/// <summary>One journal's document in the ERP.</summary>
/// <param name="JournalId">The journal's id.</param>
/// <param name="JournalKey">The journal's idempotency key.</param>
/// <param name="DocumentNumber">The ERP's number: <c>FILE-{journalId}</c>, the webhook's number, the D365 journal batch number,
/// the Oracle load request id, the SAP accounting document.</param>
/// <param name="Context">What qualifies the number where the ERP needs it (SAP: <c>{companyCode}/{fiscalYear}</c>; D365: the company).</param>
public sealed record ErpDocument(string JournalId, string JournalKey, string DocumentNumber, string? Context = null);

/// <summary>
/// The ERP's answer to a post, as recorded in the ledger (stream <see cref="ErpPostedRegister.Stream"/>, key = idempotency key).
/// </summary>
/// <remarks>
/// <see cref="Documents"/> may be non-empty for a rejection or a transient failure when some journals of the request were
/// posted before the failure: those journals are registered as posted and are not sent again when the key is retried.
/// </remarks>
public sealed record ErpAcknowledgement
{
    public required ErpOutcome Outcome { get; init; }
    public required string IdempotencyKey { get; init; }

    /// <summary>The gateway that answered (<see cref="IErpGateway.Name"/>).</summary>
    public required string Gateway { get; init; }

    public IReadOnlyList<ErpDocument> Documents { get; init; } = [];

    /// <summary>Why it was rejected or failed: the ERP's own message (never a request body), or ours.</summary>
    public string? Reason { get; init; }

    /// <summary>The last HTTP status, when there was one.</summary>
    public int? StatusCode { get; init; }

    /// <summary>HTTP attempts made for this answer (0 for the file sink and for replays).</summary>
    public int Attempts { get; init; }

    /// <summary>True when the answer comes from the register: the key was accepted before and nothing was sent now.</summary>
    public bool Replayed { get; init; }

    /// <summary>
    /// True when an earlier attempt of this key may have reached the ERP but its outcome was never recorded (a crash
    /// mid-post on a connector without a read-back): someone must check the ERP for the reference before it is resolved.
    /// </summary>
    public bool RequiresReconciliation { get; init; }

    /// <summary>When the answer was recorded (gateway clock).</summary>
    public DateTimeOffset At { get; init; }

    /// <summary>Connector facts worth keeping (the file sink's byte ranges, Oracle's group id); never PHI.</summary>
    public IReadOnlyDictionary<string, string>? Details { get; init; }

    /// <summary>The document of the journal with id <paramref name="journalId"/>, if the ERP has it.</summary>
    public ErpDocument? DocumentOf(string journalId) => Documents.FirstOrDefault(d => d.JournalId == journalId);
}
