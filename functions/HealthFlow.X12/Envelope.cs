namespace HealthFlow.X12;

/// <summary>What kind of transaction set an ST starts, from ST01 and the implementation reference.</summary>
public enum X12TransactionKind
{
    /// <summary>A transaction set this library does not read (270, 271, 276, 834...): rejected with IK502 = 1.</summary>
    Unsupported,

    /// <summary>835, 005010X221A1.</summary>
    Remittance835,

    /// <summary>837P, 005010X222A1.</summary>
    Professional837,

    /// <summary>837I, 005010X223A2/A3.</summary>
    Institutional837,

    /// <summary>277CA, 005010X214.</summary>
    ClaimAcknowledgement277,

    /// <summary>277 claim status response, 005010X212 (read with the same STC model as 277CA).</summary>
    ClaimStatus277,

    /// <summary>999, 005010X231A1, as sent by a partner.</summary>
    Acknowledgement999,
}

/// <summary>
/// One ST…SE transaction set: where it is, whether it passed, and its typed document.
/// </summary>
/// <remarks>
/// Invariant: <see cref="Status"/> is <see cref="X12AckStatus.Rejected"/> whenever <see cref="Errors"/> holds an
/// error other than an unexpected-but-well-formed segment (IK304 = 2); a rejected set keeps its document
/// (for reports) but must not be posted. Documents are null when <c>RetainDocuments</c> was off.
/// </remarks>
public sealed class X12TransactionSet
{
    // Allocated on the first error only: a streamed 1 GB input keeps one of these per set.
    private List<X12Error>? _errors;
    private Remittance? _remittance;

    internal List<X12Error> ErrorList => _errors ??= [];

    /// <summary>ST01 (835, 837, 277, 999...).</summary>
    public required string TransactionSetId { get; init; }

    /// <summary>ST02.</summary>
    public required string ControlNumber { get; init; }

    /// <summary>ST03, or GS08 when ST03 is absent.</summary>
    public string? ImplementationReference { get; init; }

    public X12TransactionKind Kind { get; init; }

    /// <summary>Short name used in reports: 835, 837P, 837I, 277CA, 277, 999, or ST01 for others.</summary>
    public string TypeName => Kind switch
    {
        X12TransactionKind.Remittance835 => "835",
        X12TransactionKind.Professional837 => "837P",
        X12TransactionKind.Institutional837 => "837I",
        X12TransactionKind.ClaimAcknowledgement277 => "277CA",
        X12TransactionKind.ClaimStatus277 => "277",
        X12TransactionKind.Acknowledgement999 => "999",
        _ => TransactionSetId,
    };

    /// <summary>Position of the ST segment within the interchange (1-based).</summary>
    public int StartPosition { get; init; }

    /// <summary>Segments counted from ST to SE inclusive (what SE01 must say).</summary>
    public int SegmentCount { get; internal set; }

    /// <summary>Errors found in this set, in input order.</summary>
    public IReadOnlyList<X12Error> Errors => (IReadOnlyList<X12Error>?)_errors ?? [];

    /// <summary>IK501 for this set.</summary>
    public X12AckStatus Status { get; internal set; }

    /// <summary>The 835's document, made from <see cref="RemittanceData"/> when first asked for.</summary>
    public Remittance? Remittance
    {
        get => _remittance ??= RemittanceData?.ToRemittance();
        internal set => _remittance = value;
    }

    /// <summary>The 835 as the parser read it; only until the next 835 set of the parse starts (see <see cref="X12Parser"/>).</summary>
    internal RemittanceData? RemittanceData { get; set; }

    public ClaimBatch? ClaimBatch { get; internal set; }

    public ClaimStatusReport? ClaimStatusReport { get; internal set; }

    public FunctionalAcknowledgement? Acknowledgement { get; internal set; }
}

/// <summary>One GS…GE functional group.</summary>
public sealed class X12FunctionalGroup
{
    internal List<X12TransactionSet> SetList { get; } = [];

    internal List<X12Error> ErrorList { get; } = [];

    /// <summary>GS01 (HP 835, HC 837, HN 277, FA 999).</summary>
    public required string FunctionalIdentifierCode { get; init; }

    /// <summary>GS02 application sender code.</summary>
    public string? Sender { get; init; }

    /// <summary>GS03 application receiver code.</summary>
    public string? Receiver { get; init; }

    public string? Date { get; init; }

    public string? Time { get; init; }

    /// <summary>GS06.</summary>
    public required string ControlNumber { get; init; }

    /// <summary>GS08 version / implementation reference (e.g. 005010X221A1).</summary>
    public string? Version { get; init; }

    /// <summary>Position of the GS segment within the interchange.</summary>
    public int StartPosition { get; init; }

    /// <summary>GE01 as declared; null when GE is missing.</summary>
    public int? DeclaredTransactionSetCount { get; internal set; }

    public IReadOnlyList<X12TransactionSet> TransactionSets => SetList;

    /// <summary>Errors of the group envelope (AK905 codes).</summary>
    public IReadOnlyList<X12Error> Errors => ErrorList;

    /// <summary>AK901: A when every set is accepted without errors, E with errors noted, P when some and R when all sets are rejected.</summary>
    public X12AckStatus Status
    {
        get
        {
            if (ErrorList.Exists(e => e.Code is "1" or "2") || SetList.Count == 0)
            {
                return X12AckStatus.Rejected;
            }

            var rejected = SetList.Count(s => s.Status == X12AckStatus.Rejected);
            if (rejected == SetList.Count)
            {
                return X12AckStatus.Rejected;
            }

            if (rejected > 0)
            {
                return X12AckStatus.PartiallyAccepted;
            }

            return ErrorList.Count > 0 || SetList.Exists(s => s.Status == X12AckStatus.AcceptedWithErrors)
                ? X12AckStatus.AcceptedWithErrors
                : X12AckStatus.Accepted;
        }
    }
}

/// <summary>One ISA…IEA interchange.</summary>
/// <remarks>
/// Invariant: <see cref="Status"/> is <see cref="X12AckStatus.Rejected"/> when any interchange error other than
/// 021 (group count) is present; the transaction sets of a rejected interchange are not accepted, whatever
/// their own status says (<see cref="X12ParseResult.IsAccepted"/>).
/// </remarks>
public sealed class X12Interchange
{
    internal List<X12FunctionalGroup> GroupList { get; } = [];

    internal List<X12Error> ErrorList { get; } = [];

    internal List<InterchangeAcknowledgement> ReceivedAckList { get; } = [];

    public X12Delimiters Delimiters { get; init; }

    /// <summary>ISA05.</summary>
    public required string SenderQualifier { get; init; }

    /// <summary>ISA06, trailing spaces removed.</summary>
    public required string SenderId { get; init; }

    /// <summary>ISA07.</summary>
    public required string ReceiverQualifier { get; init; }

    /// <summary>ISA08, trailing spaces removed.</summary>
    public required string ReceiverId { get; init; }

    /// <summary>ISA09 YYMMDD.</summary>
    public required string Date { get; init; }

    /// <summary>ISA10 HHMM.</summary>
    public required string Time { get; init; }

    /// <summary>ISA12 (00501).</summary>
    public required string Version { get; init; }

    /// <summary>ISA13.</summary>
    public required string ControlNumber { get; init; }

    /// <summary>ISA14 = 1.</summary>
    public bool AcknowledgementRequested { get; init; }

    /// <summary>ISA15: P production, T test.</summary>
    public required string UsageIndicator { get; init; }

    /// <summary>Segments from ISA to IEA inclusive (or to where the input ended).</summary>
    public int SegmentCount { get; internal set; }

    public IReadOnlyList<X12FunctionalGroup> Groups => GroupList;

    /// <summary>Errors of the interchange envelope (TA105 note codes).</summary>
    public IReadOnlyList<X12Error> Errors => ErrorList;

    /// <summary>TA1 segments the sender included (acknowledging one of our interchanges).</summary>
    public IReadOnlyList<InterchangeAcknowledgement> ReceivedAcknowledgements => ReceivedAckList;

    /// <summary>TA104 we answer with.</summary>
    public X12AckStatus Status =>
        ErrorList.Count == 0 ? X12AckStatus.Accepted
        : ErrorList.TrueForAll(e => e.Code == "021") ? X12AckStatus.AcceptedWithErrors
        : X12AckStatus.Rejected;

    /// <summary>TA105 we answer with: the first error's note code, or 000.</summary>
    public string NoteCode => ErrorList.Count == 0 ? "000" : ErrorList[0].Code;

    /// <summary>A TA1 is due when the sender asked for one (ISA14 = 1) or the envelope has errors.</summary>
    public bool Ta1Due => AcknowledgementRequested || ErrorList.Count > 0;
}

/// <summary>Everything a parse found: interchanges with their groups and sets, and input-level errors.</summary>
public sealed class X12ParseResult
{
    internal List<X12Interchange> InterchangeList { get; } = [];

    internal List<X12Error> ErrorList { get; } = [];

    public IReadOnlyList<X12Interchange> Interchanges => InterchangeList;

    /// <summary>Errors outside any interchange (not X12, junk between interchanges, read failures).</summary>
    public IReadOnlyList<X12Error> Errors => ErrorList;

    /// <summary>Bytes read.</summary>
    public long BytesRead { get; internal set; }

    /// <summary>False when the input could not be read as X12 at all.</summary>
    public bool IsX12 => InterchangeList.Count > 0;

    /// <summary>Every error at every level, in input order per interchange.</summary>
    public IEnumerable<X12Error> AllErrors
    {
        get
        {
            foreach (var error in ErrorList)
            {
                yield return error;
            }

            foreach (var interchange in InterchangeList)
            {
                foreach (var error in interchange.ErrorList)
                {
                    yield return error;
                }

                foreach (var group in interchange.GroupList)
                {
                    foreach (var error in group.ErrorList)
                    {
                        yield return error;
                    }

                    foreach (var set in group.SetList)
                    {
                        foreach (var error in set.Errors)
                        {
                            yield return error;
                        }
                    }
                }
            }
        }
    }

    /// <summary>All transaction sets with their envelopes.</summary>
    public IEnumerable<(X12Interchange Interchange, X12FunctionalGroup Group, X12TransactionSet Set)> TransactionSets =>
        from interchange in InterchangeList
        from gs in interchange.GroupList
        from set in gs.SetList
        select (interchange, gs, set);

    /// <summary>True when a set may be posted: its own status is A or E, and neither its interchange nor its group (version) was rejected.</summary>
    public static bool IsAccepted(X12Interchange interchange, X12FunctionalGroup group, X12TransactionSet set) =>
        interchange.Status != X12AckStatus.Rejected && set.Status != X12AckStatus.Rejected
        && !group.Errors.Any(e => e.Code is "1" or "2");

    /// <summary>True when the input is X12, has no input-level errors, no interchange was rejected and every set is accepted.</summary>
    public bool AllAccepted =>
        IsX12 && ErrorList.Count == 0
        && InterchangeList.TrueForAll(i => i.Status != X12AckStatus.Rejected)
        && TransactionSets.All(t => IsAccepted(t.Interchange, t.Group, t.Set));
}
