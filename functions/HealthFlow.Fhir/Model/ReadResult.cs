using System.Collections.Immutable;

namespace HealthFlow.Fhir;

/// <summary>How a document's entries are accepted.</summary>
public enum FhirProcessingMode
{
    /// <summary>A single resource, or a transaction/document/message Bundle: one error rejects everything.</summary>
    AllOrNothing,
    /// <summary>A batch, collection, searchset or history Bundle: each entry stands or falls on its own.</summary>
    EntryByEntry,
}

/// <summary>Bundle.entry.request (method and url), for transaction and batch Bundles.</summary>
public sealed record FhirBundleRequest(string? Method, string? Url, string? IfNoneExist, string? IfMatch);

/// <summary>
/// The Bundle envelope (null on a single-resource document). <see cref="IdempotencyKey"/> is
/// <c>Bundle/id/_history/versionId</c> when both were sent, else null: the ingest receipt (the hash of the raw
/// payload the Pipeline stores) identifies the Bundle then.
/// </summary>
public sealed record FhirBundleInfo(string? Id, string? Type, FhirDateTime? Timestamp, string? IdempotencyKey);

/// <summary>
/// One entry of the input: a Bundle entry, or the single resource of a non-Bundle document (index 0).
/// Invariant: <see cref="Issues"/> holds every issue found in this entry (expressions are absolute, e.g.
/// <c>Bundle.entry[3].resource.item[0].net</c>); <see cref="Resource"/> is null when the entry had no
/// resource (DELETE, GET) or it could not be read at all; for Patient entries <see cref="FullUrl"/> is null and
/// <see cref="Request"/> keeps only the method and type, since both can carry the patient's id or MRN.
/// </summary>
public sealed record FhirEntry
{
    /// <summary>Position in Bundle.entry (0 for a single resource).</summary>
    public required int Index { get; init; }

    /// <summary>Bundle.entry.fullUrl.</summary>
    public string? FullUrl { get; init; }

    /// <summary>Bundle.entry.request.</summary>
    public FhirBundleRequest? Request { get; init; }

    /// <summary>The typed resource.</summary>
    public FhirResource? Resource { get; init; }

    /// <summary>Issues found in this entry.</summary>
    public ImmutableArray<OperationOutcomeIssue> Issues { get; init; } = [];

    /// <summary>True when none of <see cref="Issues"/> is an error or fatal.</summary>
    public bool IsValid
    {
        get
        {
            foreach (var issue in Issues)
            {
                if (issue.IsError)
                {
                    return false;
                }
            }

            return true;
        }
    }
}

/// <summary>
/// The result of reading one FHIR JSON document. Invariants: <see cref="Accepted"/> is false whenever the
/// envelope (JSON, Bundle) has an error; in <see cref="FhirProcessingMode.AllOrNothing"/> it is false when
/// any entry has an error and then no entry is accepted; in <see cref="FhirProcessingMode.EntryByEntry"/>
/// the envelope is accepted and each entry's acceptance is its own <see cref="FhirEntry.IsValid"/>.
/// <see cref="Outcome"/> lists every issue (envelope and entries) up to <see cref="FhirReaderOptions.MaxIssues"/>.
/// </summary>
public sealed class FhirReadResult
{
    internal FhirReadResult(bool accepted, FhirProcessingMode mode, FhirBundleInfo? bundle, ImmutableArray<FhirEntry> entries, OperationOutcome outcome, int entryCount)
    {
        Accepted = accepted;
        Mode = mode;
        Bundle = bundle;
        Entries = entries;
        Outcome = outcome;
        EntryCount = entryCount;
    }

    internal FhirReadResult WithEntries(ImmutableArray<FhirEntry> entries) => new(Accepted, Mode, Bundle, entries, Outcome, EntryCount);

    /// <summary>True when the document (or, for entry-by-entry Bundles, its envelope) was accepted.</summary>
    public bool Accepted { get; }

    /// <summary>All-or-nothing or entry-by-entry.</summary>
    public FhirProcessingMode Mode { get; }

    /// <summary>The Bundle envelope, or null for a single resource.</summary>
    public FhirBundleInfo? Bundle { get; }

    /// <summary>The entries (empty when read with a sink, which received them instead).</summary>
    public ImmutableArray<FhirEntry> Entries { get; }

    /// <summary>Number of entries read.</summary>
    public int EntryCount { get; }

    /// <summary>Every issue found.</summary>
    public OperationOutcome Outcome { get; }

    /// <summary>True when this entry's resource should be processed.</summary>
    public bool IsAccepted(FhirEntry entry) =>
        Accepted && (Mode == FhirProcessingMode.AllOrNothing || entry.IsValid);

    /// <summary>The resources to process: none when rejected, all in an accepted all-or-nothing document, the valid ones otherwise.</summary>
    public IEnumerable<FhirResource> AcceptedResources
    {
        get
        {
            foreach (var entry in Entries)
            {
                if (entry.Resource is not null && IsAccepted(entry))
                {
                    yield return entry.Resource;
                }
            }
        }
    }
}
