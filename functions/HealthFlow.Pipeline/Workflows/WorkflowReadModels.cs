using System.Text.Json;
using HealthFlow.Finance;
using HealthFlow.Finance.Events;
using HealthFlow.Finance.Journals;
using HealthFlow.Finance.Mapping;
using HealthFlow.Ledger;
using HealthFlow.Pipeline.Bus;

namespace HealthFlow.Pipeline.Workflows;

/// <summary>
/// The master data the workflows build with: a folder (reloaded when an operator says a mapping was fixed) or the
/// embedded sample. A reload that does not validate keeps the previous set, so a half-edited folder never posts.
/// </summary>
public sealed class MasterDataSource
{
    private readonly string? _folder;
    private MasterDataSet _current;

    public MasterDataSource(WorkflowOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _folder = options.MasterDataFolder;
        _current = Load() ?? throw new InvalidOperationException("The master data does not validate; fix it before starting the workflows.");
    }

    public MasterDataSet Current => Volatile.Read(ref _current);

    /// <summary>Loads the set again; returns false (and keeps the current set) when it does not validate.</summary>
    public bool Reload()
    {
        if (Load() is not { } set)
            return false;
        Volatile.Write(ref _current, set);
        return true;
    }

    private MasterDataSet? Load() => (_folder is null ? MasterData.LoadEmbedded() : MasterData.LoadFolder(_folder)).Value;
}

/// <summary>
/// The read models the workflows look things up in, rebuilt from the ledger at start and kept current by the routers and
/// the posting activity: charges per encounter (from the <c>charges</c> topic's records), the claim index by CLP01 (from
/// the <c>claims</c> topic's records) and the journals the ERP accepted (stream <see cref="JournalStream"/>), the last
/// being where reversals find the originals they mirror.
/// </summary>
/// <remarks>
/// Every add is idempotent (keyed on the source's identity), because deliveries are at least once. A topic's router can
/// lag another's by minutes under load or after a restart (each works through its own backlog), so an 835 would find its
/// claims missing although their 837 was committed before it, and a discharge's bill would leave out charges committed
/// before the discharge: <see cref="CatchUpSourcesAsync"/> reads the claims and charges the ledger holds beyond what the
/// models have seen, and the builds call it first.
/// </remarks>
public sealed class WorkflowReadModels(ILedger ledger, PatientTokenizer tokenizer)
{
    /// <summary>Ledger stream of member journals accepted by the ERP (type <see cref="JournalRecordType"/>, key = journal idempotency key).</summary>
    public const string JournalStream = "workflow/journals";

    public const string JournalRecordType = "JournalAccepted";

    private readonly Lock _gate = new();
    private readonly Dictionary<(string Facility, string Encounter), Dictionary<string, ChargeEvent>> _charges = [];
    // CLP01 → the claim and the position (ledger sequence, or bus sequence number) of the record it came from.
    private readonly Dictionary<string, (long Position, ClaimSubmitted Claim)> _claims = new(StringComparer.Ordinal);
    // Message ids of the claims and charges the routers added: the catch-up need not read their records again. A skip only
    // saves a parse (adds are idempotent), so the ids are forgotten rather than kept for the life of the process: an id
    // leaves when the catch-up passes its record, and one whose record the catch-up had already passed (a lagging router)
    // ages out with its generation of RoutedGeneration ids.
    private HashSet<string> _routed = new(StringComparer.Ordinal), _routedBefore = new(StringComparer.Ordinal);
    internal const int RoutedGeneration = 65_536;
    private readonly LedgerCursor _sourcesCursor = new(ledger, ownAppendsToo: true);
    private readonly Dictionary<string, Journal> _journals = new(StringComparer.Ordinal);

    // (payer as sent in the 835, claim token) → trace number → journals of that claim payment (reversals excluded).
    private readonly Dictionary<(string Payer, string Claim), List<(string Trace, Journal Journal)>> _claimJournals = [];

    private readonly LedgerCursor _cursor = new(ledger);

    // 835s the remittances router read, by ledger position, until their build takes them or 256 later ones were routed.
    private readonly LedgerHandOver<(string MessageId, RemittanceReceived Remittance)> _routedRemittances = new(maxEntries: 256);

    /// <summary>Rebuilds from the ledger before the routers run; a later call waits for that first load (replay calls it too).</summary>
    public Task StartAsync(CancellationToken cancellationToken = default) => CatchUpAsync(cancellationToken);

    /// <summary>
    /// Reads the records since the last catch-up (<see cref="LedgerCursor"/>). The local runtime needs it once, at start:
    /// its routers and posting activity keep the models current. Where other instances write the same ledger (Azure), the
    /// Functions app calls it before each activity, so a charge or claim another instance recorded is seen.
    /// </summary>
    public Task CatchUpAsync(CancellationToken cancellationToken = default) => _cursor.CatchUpAsync(async from =>
    {
        // Each record is parsed ahead of this loop, where the scan reads it.
        await foreach (var journal in ledger.ScanAsync(from, JournalsOnly, ReadJournal, cancellationToken))
        {
            if (journal is not null)
                AddJournal(journal);
        }

        await CatchUpSourcesAsync(cancellationToken);
    }, cancellationToken);

    private static readonly LedgerScanFilter JournalsOnly = new([JournalStream]);

    private static Journal? ReadJournal(LedgerRecordView record) => record.Type == JournalRecordType ? JournalJson.Deserialize(record.Payload)! : null;

    /// <summary>The canonical event in a topic record of the ledger, or null when it is not one.</summary>
    /// <param name="record">A topic record.</param>
    /// <param name="strings">Where a reader keeping many claims and 835s takes their low-cardinality strings from, if anywhere.</param>
    public static CanonicalEvent? TryReadEvent(LedgerRecordView record, Utf8StringPool? strings = null)
    {
        try
        {
            // Claims and 835s take the hand-written reader: the workflows read every one of them, the 835s twice.
            return SourceEventJson.Deserialize(BusEnvelope.Body(record), strings);
        }
        catch (JsonException)
        {
            return null;
        }
        catch (NotSupportedException)
        {
            return null;
        }
    }

    /// <summary>
    /// Records a charge under its encounter. A charge the router delivers passes its <paramref name="messageId"/>, so that
    /// <see cref="CatchUpSourcesAsync"/> skips its record.
    /// </summary>
    public void AddCharge(ChargeEvent charge, string? messageId = null)
    {
        ArgumentNullException.ThrowIfNull(charge);
        lock (_gate)
        {
            var key = (charge.Facility.Trim(), charge.EncounterId.Trim());
            if (!_charges.TryGetValue(key, out var charges))
                _charges[key] = charges = new Dictionary<string, ChargeEvent>(StringComparer.Ordinal);
            charges.TryAdd(charge.IdempotencyKey, charge);
            if (messageId is not null)
                AddRouted(messageId);
        }
    }

    /// <summary>The encounter's charge events (posted and credited) recorded so far.</summary>
    public IReadOnlyList<ChargeEvent> ChargesOf(string facility, string encounterId)
    {
        lock (_gate)
            return _charges.TryGetValue((facility.Trim(), encounterId.Trim()), out var charges) ? [.. charges.Values] : [];
    }

    /// <summary>
    /// Records a submitted claim under its CLP01. The latest submission wins (a replacement claim keeps the id): the one
    /// at the higher <paramref name="position"/>, whatever order a redelivery or a catch-up brings them in. A claim the
    /// router delivers passes its <paramref name="messageId"/>, so that <see cref="CatchUpSourcesAsync"/> skips its record.
    /// </summary>
    public void AddClaim(ClaimSubmitted claim, long position, string? messageId = null)
    {
        ArgumentNullException.ThrowIfNull(claim);
        lock (_gate)
        {
            var id = claim.ClaimId.Trim();
            if (!_claims.TryGetValue(id, out var known) || known.Position <= position)
                _claims[id] = (position, claim);
            if (messageId is not null)
                AddRouted(messageId);
        }
    }

    /// <summary>
    /// Adds the claims and charges the ledger's <c>claims</c> and <c>charges</c> topics hold beyond the last catch-up: after
    /// it, every claim and charge committed before the call, by this instance or another, is in the models, however far
    /// their routers lag.
    /// </summary>
    public Task CatchUpSourcesAsync(CancellationToken cancellationToken = default) => _sourcesCursor.CatchUpAsync(async from =>
    {
        await foreach (var (seq, source) in ledger.ScanAsync(from, Sources, ReadUnrouted, cancellationToken))
        {
            if (source is ClaimSubmitted claim)
                AddClaim(claim, seq);
            else if (source is ChargeEvent charge)
                AddCharge(charge);
        }
    }, cancellationToken);

    private static readonly LedgerScanFilter Sources = new([BusRecords.TopicStream("claims"), BusRecords.TopicStream("charges")]);

    // Called where the scan reads (on its threads, ahead of the loop): the routed check takes the lock, as adding does.
    private (long Seq, CanonicalEvent? Source) ReadUnrouted(LedgerRecordView record) =>
        (record.Seq, IsRouted(record.Key) ? null : TryReadEvent(record) is var read and (ClaimSubmitted or ChargeEvent) ? read : null);

    // The scan passes a record once per catch-up that completes, so its id is not needed again; a catch-up that fails
    // and reads the record again merely parses it.
    private bool IsRouted(string messageId)
    {
        lock (_gate)
            return _routed.Remove(messageId) || _routedBefore.Remove(messageId);
    }

    private void AddRouted(string messageId)
    {
        if (_routed.Count == RoutedGeneration)
            (_routedBefore, _routed) = (_routed, new HashSet<string>(StringComparer.Ordinal));
        _routed.Add(messageId);
    }

    internal int RoutedCount
    {
        get
        {
            lock (_gate)
                return _routed.Count + _routedBefore.Count;
        }
    }

    public ClaimSubmitted? FindClaim(string claimId)
    {
        lock (_gate)
            return _claims.TryGetValue(claimId.Trim(), out var known) ? known.Claim : null;
    }

    /// <summary>
    /// Keeps the 835 the remittances router read from ledger record <paramref name="seq"/> for its build, which would
    /// otherwise read and parse the record again (an 835 of a few hundred claim payments: a large read and most of the
    /// router's work twice). The ledger stays the truth: a build that finds nothing here reads the record.
    /// </summary>
    public void KeepRoutedRemittance(long seq, string messageId, RemittanceReceived remittance) => _routedRemittances.Keep(seq, (messageId, remittance));

    /// <summary>The 835 <see cref="KeepRoutedRemittance"/> kept for ledger record <paramref name="seq"/> and message <paramref name="messageId"/>, taken out; null when none.</summary>
    public RemittanceReceived? TakeRoutedRemittance(long seq, string messageId) =>
        _routedRemittances.TryTake(seq, out var kept) && kept.MessageId == messageId ? kept.Remittance : null;

    /// <summary>The accepted journal with this idempotency key, if any.</summary>
    public Journal? FindJournal(string idempotencyKey)
    {
        lock (_gate)
            return _journals.GetValueOrDefault(idempotencyKey);
    }

    /// <summary>
    /// The journals of the latest earlier payment of claim <paramref name="claimId"/> (as sent) by <paramref name="payer"/> in
    /// another 835 than <paramref name="currentTrace"/> that <paramref name="isReversed"/> accepts, or null when none was
    /// posted: what a CLP02 = 22 reversal mirrors. The caller's test tells the payment the reversal negates from another
    /// payment under the same claim number.
    /// </summary>
    public IReadOnlyList<Journal>? OriginalPaymentJournals(string payer, string claimId, string currentTrace, Func<IReadOnlyList<Journal>, bool> isReversed)
    {
        ArgumentNullException.ThrowIfNull(isReversed);
        var token = tokenizer.Tokenize(claimId);
        List<IReadOnlyList<Journal>> earlier;
        lock (_gate)
        {
            if (!_claimJournals.TryGetValue((payer.Trim(), token), out var posted))
                return null;
            earlier = [.. posted.Where(p => p.Trace != currentTrace.Trim()).GroupBy(p => p.Trace, StringComparer.Ordinal).Reverse()
                .Select(g => (IReadOnlyList<Journal>)[.. g.Select(p => p.Journal)])];
        }

        return earlier.FirstOrDefault(isReversed);
    }

    /// <summary>Journals the ERP accepted that are not yet recorded in the ledger (the rest were recorded by an earlier run).</summary>
    public IReadOnlyList<PlannedMember> NotRecorded(IEnumerable<PlannedMember> journals)
    {
        lock (_gate)
            return [.. journals.Where(j => !_journals.ContainsKey(j.Journal.IdempotencyKey))];
    }

    public void AddJournal(Journal journal)
    {
        ArgumentNullException.ThrowIfNull(journal);
        lock (_gate)
        {
            if (!_journals.TryAdd(journal.IdempotencyKey, journal))
                return;

            // remit:{payer}:{trn02}:{claimRef}:{kind}; reversals (…:reversal…) and PLB journals are not originals. Split
            // in place: every posted journal passes here.
            var id = journal.IdempotencyKey;
            Span<Range> parts = stackalloc Range[6];
            if (journal.ReversalOf is null && id.AsSpan().Split(parts, ':') == 5 && id.AsSpan(parts[0]).SequenceEqual("remit"))
            {
                var claimRef = id.AsSpan(parts[3]);
                var hash = claimRef.IndexOf('#');
                var key = (id[parts[1]], (hash < 0 ? claimRef : claimRef[..hash]).ToString());
                if (!_claimJournals.TryGetValue(key, out var list))
                    _claimJournals[key] = list = [];
                list.Add((id[parts[2]], journal));
            }
        }
    }
}
