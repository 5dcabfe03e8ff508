using System.Buffers;
using System.Globalization;
using System.Runtime.InteropServices;
using HealthFlow.Finance.Events;
using HealthFlow.Finance.Journals;
using HealthFlow.Finance.Mapping;
using HealthFlow.Finance.Posting;

namespace HealthFlow.Finance.Reconciliation;

/// <summary>
/// Reconciles one business day: source totals (<see cref="ReconciliationTotals"/>) against the journals the workflows
/// posted against what the ERP acknowledged, each 835's BPR02 against its posted cash, each claim payment's CLP04 against
/// its cash line, each discharged encounter's net charges against its accrual; lists breaks with cause and age, counts and
/// SLAs. Pure and streaming: feed the day's facts in any order through the <c>Add…</c> methods, then call
/// <see cref="Finish"/> once. Memory grows with the day's claim payments and journals (a few small entries each), never
/// with journal lines.
/// </summary>
/// <remarks>
/// <para>Journals are joined to their sources by idempotency key (<see cref="JournalIds"/>): <c>remit:{payer}:{trn02}:{claim}:…</c>
/// to the claim payment and its 835, <c>remit:{payer}:{trn02}:plb</c> to the 835, <c>discharge:{facility}:{encounter}:accrual…</c>
/// to the encounter; the caller's <c>protectIdentifier</c> must be the posting rules' (the patient tokenizer).</para>
/// <para>One break per fault: a source document waiting on an open mapping exception is one <c>unmapped</c> break, one whose
/// post the ERP rejected is explained by the post's <c>erp-rejected</c> break, an 835 with nothing posted is one
/// <c>unposted</c> break (unless its rules post nothing: BPR02 0 and only work-queue denials or informational adjustments); otherwise each claim payment is checked and the 835 reports only what its claims do not explain.
/// On the ERP side journals are grouped by receipt (correlation id; batches are formed per 835, so a post never spans
/// two): an acknowledged post missing from the ERP's copy is one <c>unposted</c> break, else a copy that does not tie to
/// the posted journals (net per account and dimensions, which batching and line consolidation keep) is one
/// <c>amount-mismatch</c> break. A journal recorded twice, or found twice in the ERP's copy, is one <c>posted-twice</c>
/// break and counts once.</para>
/// </remarks>
public sealed class DailyReconciliation
{
    private readonly MasterDataSet _masterData;
    private readonly IReadOnlySet<string> _revenueAccounts;
    private readonly Func<string, string> _protect;
    private readonly ReconciliationSettings _settings;
    private readonly Dictionary<TotalsKey, decimal> _source = [];
    private readonly Dictionary<string, RemittanceCheck> _remittances = new(StringComparer.Ordinal);
    private readonly Dictionary<Where, Where> _places = [];
    private readonly Dictionary<string, EncounterCheck> _encounters = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ReceiptGroup> _groups = new(StringComparer.Ordinal);
    private readonly HashSet<UInt128> _postedJournals = [];
    private readonly Dictionary<string, ErpPostFact> _posts = new(StringComparer.Ordinal);
    private readonly HashSet<string> _copyKeys = new(StringComparer.Ordinal);
    private readonly Dictionary<(string LegalEntity, string Facility, string Payer, string Account), decimal> _copyAccounts = [];
    private readonly Dictionary<(string Stage, string Source), long> _counts = [];
    private readonly List<ExceptionFact> _exceptions = [];
    private readonly List<(ReconciliationBreak Break, DateTimeOffset Since)> _duplicates = [];
    private bool _finished;

    /// <param name="masterData">Master data the journals were built with.</param>
    /// <param name="day">The business day.</param>
    /// <param name="protectIdentifier">The posting rules' identifier protection (patient tokenizer), so keys match.</param>
    /// <param name="settings">SLA limits and whether the ERP's copy is given.</param>
    public DailyReconciliation(MasterDataSet masterData, DateOnly day, Func<string, string> protectIdentifier, ReconciliationSettings? settings = null)
    {
        _masterData = masterData;
        _revenueAccounts = ReconciliationTotals.RevenueAccounts(masterData);
        _protect = protectIdentifier;
        _settings = settings ?? new ReconciliationSettings();
        Day = day;
    }

    public DateOnly Day { get; }

    /// <summary>An 835 (ignored unless its payment date, else <paramref name="recordedAt"/>'s date, is the day; a repeat is ignored).</summary>
    /// <param name="remittance">The 835.</param>
    /// <param name="matches">Claim matches by CLP01, as the workflow builds them (claim index).</param>
    /// <param name="instanceId">The workflow instance of the 835 (its exceptions name it).</param>
    /// <param name="recordedAt">When the ledger recorded the 835.</param>
    /// <param name="protectedClaimIds">Each claim payment's CLP01 through the identifier protection, when the caller has them
    /// (a caller reading on another thread tokenizes there); else they are protected here.</param>
    public void AddRemittance(RemittanceReceived remittance, IReadOnlyDictionary<string, ClaimMatch> matches, string instanceId, DateTimeOffset recordedAt,
        IReadOnlyList<string>? protectedClaimIds = null)
    {
        ArgumentNullException.ThrowIfNull(remittance);
        if (protectedClaimIds is not null && protectedClaimIds.Count != remittance.Claims.Count)
            throw new ArgumentException("One protected CLP01 per claim payment.", nameof(protectedClaimIds));
        var date = remittance.PaymentDate ?? DateOnly.FromDateTime(recordedAt.UtcDateTime);
        var key = $"remit:{remittance.Payer.Trim()}:{remittance.TraceNumber.Trim()}";
        if (date != Day || (_remittances.TryGetValue(key, out var seen) && seen.HasSource))
            return;
        var source = ReconciliationTotals.FromRemittance(_masterData, remittance, matches, date);
        ReconciliationTotals.Merge(_source, source);

        var remitPayer = _masterData.FindPayer(remittance.Payer) ?? _masterData.FindPayer(remittance.PayerId);
        var payee = _masterData.FindPayeeFacility(remittance.PayeeNpi, remittance.Payee);
        var check = Remittance(key);
        check.HasSource = true;
        check.InstanceId = instanceId;
        check.CorrelationId = remittance.CorrelationId;
        check.Where = Place(payee, remitPayer?.Code ?? remittance.Payer.Trim(), remittance.Payee);
        check.Bpr = remittance.PaymentAmount.Amount;
        check.ClaimCount = remittance.Claims.Count;
        // The posting rule posts nothing for an 835 whose amounts are all work-queue denials and informational
        // adjustments (BPR02 0): nothing posted is then what was expected, not an unposted 835.
        check.ExpectsJournals = remittance.PaymentAmount.Amount != 0m
            || source.Any(t => t.Value != 0m && !ReconciliationTotals.SourceOnlyMeasures.Contains(t.Key.Measure));
        check.Since = recordedAt;

        // The posting rule's claim references: the k-th CLP with the same CLP01 (and reversal flag) gets "#k".
        var occurrences = new Dictionary<(string, bool), int>();
        for (var i = 0; i < remittance.Claims.Count; i++)
        {
            var claim = remittance.Claims[i];
            var occurrence = ++CollectionsMarshal.GetValueRefOrAddDefault(occurrences, (claim.PatientControlNumber, claim.IsReversal), out _);
            var token = protectedClaimIds?[i] ?? _protect(claim.PatientControlNumber.Trim());
            ref var claimCheck = ref check.Claim(occurrence == 1 ? token : $"{token}#{occurrence}", withSource: true);
            claimCheck.Expected = checked(claimCheck.Expected + claim.Paid);
            claimCheck.Where = matches.TryGetValue(claim.PatientControlNumber, out var match) && !match.WasUnapplied
                ? Place(_masterData.FindFacility(match.Facility), _masterData.FindPayer(match.Payer)?.Code ?? match.Payer, match.Facility)
                : check.Where;
        }
    }

    /// <summary>A discharged encounter and its charges (ignored unless discharged on the day; a cancelled discharge expects nothing).</summary>
    public void AddDischarge(EncounterDischarged discharge, IReadOnlyCollection<ChargeEvent> charges, string instanceId, DateTimeOffset recordedAt, bool cancelled = false)
    {
        ArgumentNullException.ThrowIfNull(discharge);
        ArgumentNullException.ThrowIfNull(charges);
        var date = discharge.DischargedAt is { } at ? DateOnly.FromDateTime(at.DateTime) : DateOnly.FromDateTime(recordedAt.UtcDateTime);
        var key = $"discharge:{discharge.Facility.Trim()}:{_protect(discharge.EncounterId.Trim())}";
        if (date != Day || (_encounters.TryGetValue(key, out var seen) && seen.HasSource))
            return;
        var check = Encounter(key);
        check.HasSource = true;
        check.InstanceId = instanceId;
        check.CorrelationId = discharge.CorrelationId;
        var facility = _masterData.FindFacility(discharge.Facility);
        var payer = _masterData.FindPayer(discharge.Payer ?? _masterData.SelfPayPayer);
        check.Where = Place(facility, payer?.Code ?? discharge.Payer ?? "", discharge.Facility);
        check.Since = discharge.DischargedAt ?? recordedAt;
        if (cancelled)
            return;
        ReconciliationTotals.Merge(_source, ReconciliationTotals.FromCharges(_masterData, discharge, charges, date));
        foreach (var charge in charges)
            check.Expected = checked(check.Expected + (charge is ChargeCredited ? -charge.Amount.Amount : charge.Amount.Amount));
    }

    /// <summary>A submitted claim, on the day it was recorded (the <c>claims-billed</c> measure).</summary>
    public void AddClaimBilled(ClaimSubmitted claim, DateTimeOffset recordedAt)
    {
        ArgumentNullException.ThrowIfNull(claim);
        if (DateOnly.FromDateTime(recordedAt.UtcDateTime) != Day)
            return;
        var facility = _masterData.FindFacility(claim.Facility);
        var payer = _masterData.FindPayer(claim.Payer)?.Code ?? claim.Payer;
        var key = new TotalsKey(Day, facility?.LegalEntity ?? "", facility?.Code ?? claim.Facility ?? "", payer, ReconciliationTotals.ClaimsBilled);
        _source[key] = checked(_source.GetValueOrDefault(key) + claim.TotalCharge.Amount);
    }

    /// <summary>A member journal the workflows recorded as posted (ignored unless its posting date is the day).</summary>
    public void AddPostedJournal(Journal journal, DateTimeOffset recordedAt) => AddPostedJournal(Prepare(journal), recordedAt);

    /// <summary>
    /// What <see cref="AddPostedJournal(PostedJournal, DateTimeOffset)"/> needs of <paramref name="journal"/> that no added
    /// fact changes: its number, its lines' keys (hashed once) and nets, its cash or revenue, where its key points. Reads only
    /// master data, so a reader may call it on its own threads while another thread adds (reconciliation's decoders do), and
    /// any reconciliation with the same master data may add it.
    /// </summary>
    public PostedJournal Prepare(Journal journal)
    {
        ArgumentNullException.ThrowIfNull(journal);
        var lines = new PostedLine[journal.Lines.Count];
        for (var i = 0; i < lines.Length; i++) // no enumerator per journal
            lines[i] = PostedLine.Of(journal.Kind, journal.LegalEntity, journal.Lines[i]);
        var (source, claim) = Points(journal.IdempotencyKey, journal.Kind);
        return Posted(journal.JournalId, JournalNumber(journal.JournalId), journal.PostingDate, journal.Kind, journal.LegalEntity, journal.Source.CorrelationId,
            lines, journal.TotalDebit, journal.IdempotencyKey, source, claim);
    }

    /// <summary>
    /// <see cref="Prepare(Journal)"/> straight from a journal's UTF-8 JSON: the exact bytes the pipeline writes (an id
    /// <c>JE-</c> and 20 upper-case hex digits, an ASCII idempotency key) are read without a <see cref="Journal"/>, its lines
    /// or its two identifier strings (a day has two million journals); anything else as <see cref="JournalJson"/> reads it.
    /// </summary>
    /// <returns>Null when <paramref name="json"/> is JSON null.</returns>
    /// <exception cref="System.Text.Json.JsonException">Not a journal.</exception>
    public PostedJournal? Prepare(ReadOnlySpan<byte> json, Utf8StringPool strings) =>
        TryPrepareExact(json, strings) ?? (JournalJson.Deserialize(json, strings) is { } journal ? Prepare(journal) : null);

    [ThreadStatic]
    private static List<PostedLine>? t_lines;

    internal PostedJournal? TryPrepareExact(ReadOnlySpan<byte> json, Utf8StringPool strings)
    {
        const int IdLength = 23, MaxKeyLength = 256;
        var bytes = new WrittenJson.ExactReader(json);
        if (!bytes.Literal("{\"journalId\":"u8) || !bytes.RawString(out var id) || id.Length != IdLength || !id.StartsWith("JE-"u8) || id[3..].ContainsAnyExcept(UpperHex)
            || !bytes.Literal(",\"idempotencyKey\":"u8) || !bytes.RawString(out var key) || key.Length > MaxKeyLength || !System.Text.Ascii.IsValid(key)
            || !bytes.Literal(",\"legalEntity\":"u8) || !bytes.String(strings, out var entity)
            || !bytes.Literal(",\"currency\":"u8) || !bytes.SkipString()
            || !bytes.Literal(",\"postingDate\":"u8) || !bytes.Date(out var date)
            || !bytes.Literal(",\"kind\":"u8) || !bytes.String(strings, out var kind)
            || !bytes.Optional(",\"reversalOf\":"u8, null, out _) // an identifier: not for the pool
            || !bytes.Literal(",\"source\":{\"receiptId\":"u8) || !bytes.SkipString()
            || !bytes.Literal(",\"correlationId\":"u8) || !bytes.String(strings, out var correlation)
            || !bytes.Literal("},\"lines\":["u8))
            return null;
        var lines = t_lines ??= [];
        lines.Clear();
        var totalDebit = 0m;
        while (!bytes.Literal("]"u8))
        {
            if ((lines.Count > 0 && !bytes.Literal(","u8)) || !JournalJson.TryReadExactLine(ref bytes, strings, out var line))
                return null;
            lines.Add(new PostedLine(kind, NetKey.Of(entity, line.Account, line.CostCenter, line.Facility, line.Payer), checked(line.Debit - line.Credit)));
            totalDebit = checked(totalDebit + line.Debit);
        }
        if (!bytes.Literal("}"u8) || !bytes.AtEnd)
            return null;

        Span<char> text = stackalloc char[key.Length];
        System.Text.Ascii.ToUtf16(key, text, out _);
        var (source, claim) = Points(text, kind);
        // Only the source document's part of the key is kept, from the pool (a day has a few thousand 835s).
        string sourceKey = "";
        if (source is { } part && !strings.TryGet(key[part], out sourceKey))
            sourceKey = text[part].ToString();
        var number = UInt128.Parse(id[3..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
        return Posted(null, number, date, kind, entity, correlation, [.. lines], totalDebit, sourceKey, source is null ? null : .., claim);
    }

    private static readonly SearchValues<byte> UpperHex = SearchValues.Create("0123456789ABCDEF"u8);

    /// <summary>Where an idempotency key points: its source document's part and, for a cash journal of an 835, its claim payment.</summary>
    private static (Range? Source, ClaimReference? Claim) Points(ReadOnlySpan<char> key, string kind)
    {
        if (key.StartsWith("remit:", StringComparison.Ordinal) && ColonAt(key, 3) is var remitEnd and > 0)
        {
            return (..remitEnd, IsCashKind(kind) && ColonAt(key, 4) is var claimEnd and > 0 ? ClaimReference.Parse(key[(remitEnd + 1)..claimEnd]) : null);
        }

        return (key.StartsWith("discharge:", StringComparison.Ordinal) && ColonAt(key, 3) is var encounterEnd and > 0 ? ..encounterEnd : null, null);
    }

    private static bool IsCashKind(string kind) => kind is JournalKinds.Cash or JournalKinds.UnappliedCash or JournalKinds.ProviderAdjustment;

    private PostedJournal Posted(string? journalId, UInt128 number, DateOnly date, string kind, string legalEntity, string correlationId, PostedLine[] lines,
        decimal totalDebit, string sourceText, Range? source, ClaimReference? claim)
    {
        var cash = 0m;
        var revenue = 0m;
        var cashKind = IsCashKind(kind);
        foreach (var line in lines)
        {
            if (cashKind && _masterData.IsCashAccount(line.Key.Net.Account))
                cash = checked(cash + line.Net);
            else if (kind == JournalKinds.RevenueAccrual && _revenueAccounts.Contains(line.Key.Net.Account))
                revenue = checked(revenue - line.Net);
        }

        return new PostedJournal(journalId, number, date, kind, legalEntity, correlationId, lines, totalDebit, cash, revenue, sourceText, source, claim);
    }

    /// <summary>A member journal <see cref="Prepare(Journal)"/>d by a reconciliation with this master data (ignored unless its posting date is the day).</summary>
    public void AddPostedJournal(PostedJournal posted, DateTimeOffset recordedAt)
    {
        ArgumentNullException.ThrowIfNull(posted);
        if (posted.PostingDate != Day)
            return;
        if (!_postedJournals.Add(posted.Number))
        {
            var (facility, payer) = Dimensions([.. posted.Lines.Select(l => l.Key.Net)]);
            AddDuplicate(posted.LegalEntity, posted.JournalId, posted.Kind, posted.TotalDebit, BreakLevels.Journal, "recorded twice in workflow/journals", facility, payer, recordedAt);
            return;
        }

        Increment(CountStages.Posted, posted.Kind, 1);
        var group = Group(posted.CorrelationId);
        group.HasMembers = true;
        if (group.FirstRecorded is null || recordedAt < group.FirstRecorded)
            group.FirstRecorded = recordedAt;
        foreach (var line in posted.Lines)
        {
            ref var sum = ref CollectionsMarshal.GetValueRefOrAddDefault(group.Posted, line.Key, out _);
            sum = checked(sum + line.Net);
        }

        if (posted.SourceKey is not { } sourceText)
            return;
        var sourceKey = sourceText.Span;
        if (posted.Claim is { } claim)
        {
            var remittance = Remittance(sourceKey);
            remittance.Posted(posted.Cash, recordedAt);
            remittance.Claim(claim).Posted(posted.Cash);
        }
        else if (sourceKey.StartsWith("remit:", StringComparison.Ordinal))
        {
            Remittance(sourceKey).Posted(posted.Cash, recordedAt);
        }
        else
        {
            Encounter(sourceKey).Posted(posted.Revenue, recordedAt);
        }
    }

    /// <summary>The ERP's answer to a post; the last one counts, and an acceptance is final.</summary>
    public void AddErpPost(ErpPostFact post)
    {
        ArgumentNullException.ThrowIfNull(post);
        if (_posts.TryGetValue(post.PostKey, out var known) && (known.Accepted || known.At > post.At))
            return;
        _posts[post.PostKey] = post;
    }

    /// <summary>A journal as found in the ERP's own copy (every day's: only the day's are compared, all are known to exist).</summary>
    public void AddErpCopy(Journal journal)
    {
        ArgumentNullException.ThrowIfNull(journal);
        if (!_copyKeys.Add(journal.IdempotencyKey))
        {
            if (journal.PostingDate == Day)
            {
                var (facility, payer) = Dimensions([.. journal.Lines.Select(l => NetKey.Of(journal.LegalEntity, l))]);
                AddDuplicate(journal.LegalEntity, journal.JournalId, journal.Kind, journal.TotalDebit, BreakLevels.Post, "found twice in the ERP's copy", facility, payer,
                    _posts.GetValueOrDefault(journal.IdempotencyKey)?.At);
            }

            return;
        }

        if (journal.PostingDate != Day)
            return;
        var group = Group(journal.Source.CorrelationId);
        foreach (var line in journal.Lines)
        {
            var net = checked(line.Debit - line.Credit);
            AddNet(group.CopyNets, journal.LegalEntity, line, net);
            var account = (journal.LegalEntity, line.Facility ?? "", line.Payer ?? "", line.Account);
            _copyAccounts[account] = checked(_copyAccounts.GetValueOrDefault(account) + net);
        }
    }

    /// <summary>An exception of the workbench (open ones explain a source document's breaks; those raised on the day are counted and aged).</summary>
    public void AddException(ExceptionFact exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        _exceptions.Add(exception);
        if (exception.Open && DateOnly.FromDateTime(exception.RaisedAt.UtcDateTime) == Day)
            Increment(CountStages.InException, exception.Reason, 1);
    }

    /// <summary>Adds <paramref name="count"/> to a stage's count of the day (receipts, dead letters: the caller knows their day).</summary>
    public void Count(string stage, string source, long count = 1) => Increment(stage, source, count);

    /// <summary>The report; <paramref name="asOf"/> ages breaks and open SLA items. Call once.</summary>
    public ReconciliationReport Finish(DateTimeOffset asOf)
    {
        if (_finished)
            throw new InvalidOperationException("Finish was called already.");
        _finished = true;
        var breaks = new List<ReconciliationBreak>();
        void Break(Where where, string cause, string level, string reference, decimal expected, decimal actual, DateTimeOffset since, string detail) =>
            breaks.Add(new ReconciliationBreak(Day, where.LegalEntity, where.Facility, where.Payer, cause, level, reference, expected, actual, since,
                decimal.Round((decimal)(asOf - since).TotalDays, 2), detail));

        var openByInstance = _exceptions.Where(e => e.Open).ToLookup(e => e.InstanceId, StringComparer.Ordinal);
        var byCorrelation = _remittances.Values.Where(r => r.HasSource).Select(r => (r.CorrelationId, r.Where))
            .Concat(_encounters.Values.Where(e => e.HasSource).Select(e => (e.CorrelationId, e.Where)))
            .GroupBy(x => x.CorrelationId, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First().Where, StringComparer.Ordinal);
        bool OfTheDay(string correlation) => byCorrelation.ContainsKey(correlation) || (_groups.TryGetValue(correlation, out var g) && g.HasMembers);
        Where WhereOf(string correlation) => byCorrelation.GetValueOrDefault(correlation) ?? _groups.GetValueOrDefault(correlation)?.AnyWhere() ?? Where.Unknown;

        // Posts: rejected by the ERP, or acknowledged but missing from its copy.
        var rejected = new HashSet<string>(StringComparer.Ordinal);
        var missing = new HashSet<string>(StringComparer.Ordinal);
        var acknowledged = new HashSet<string>(StringComparer.Ordinal);
        foreach (var post in _posts.Values.Where(p => OfTheDay(p.CorrelationId)).OrderBy(p => p.PostKey, StringComparer.Ordinal))
        {
            if (!post.Accepted)
            {
                rejected.Add(post.CorrelationId);
                Break(WhereOf(post.CorrelationId), BreakCauses.ErpRejected, BreakLevels.Post, JournalIds.For(post.PostKey), 0m, 0m, post.At,
                    $"the ERP rejected the post: {post.Reason ?? "no reason given"}");
            }
            else if (_settings.ErpKeepsCopy && !_copyKeys.Contains(post.PostKey))
            {
                missing.Add(post.CorrelationId);
                Break(WhereOf(post.CorrelationId), BreakCauses.Unposted, BreakLevels.Post, JournalIds.For(post.PostKey), 0m, 0m, post.At,
                    "acknowledged, but not in the ERP's copy");
            }
            else
            {
                acknowledged.Add(post.CorrelationId);
            }
        }

        string? Waiting(string instanceId, out string detail)
        {
            var open = openByInstance[instanceId].ToList();
            detail = string.Join("; ", open.Select(e => $"{e.Id} {e.Reason} {e.Reference}"));
            return open.Any(e => e.Reason is "missing-mapping" or "source-problem") ? BreakCauses.Unmapped : null;
        }

        foreach (var remittance in _remittances.Values.OrderBy(r => r.Key, StringComparer.Ordinal))
        {
            if (!remittance.HasSource)
            {
                if (remittance.PostedCash != 0m)
                    Break(remittance.Where, BreakCauses.AmountMismatch, BreakLevels.Remittance, remittance.Key, 0m, remittance.PostedCash, remittance.LastPosted!.Value, "cash posted for an 835 not found on this day");
                continue;
            }

            if (Waiting(remittance.InstanceId, out var detail) is { } cause)
            {
                Break(remittance.Where, cause, BreakLevels.Remittance, remittance.Key, remittance.Bpr, remittance.PostedCash, remittance.Since, detail);
                continue;
            }

            if (rejected.Contains(remittance.CorrelationId))
                continue;
            if (!remittance.AnyPosted)
            {
                if (remittance.ExpectsJournals)
                    Break(remittance.Where, BreakCauses.Unposted, BreakLevels.Remittance, remittance.Key, remittance.Bpr, 0m, remittance.Since, detail.Length > 0 ? detail : "no journal posted");
                continue;
            }

            var explained = 0m;
            foreach (var claim in remittance.ClaimsWithSource())
            {
                if (claim.Expected == claim.PostedCash)
                    continue;
                explained += claim.Expected - claim.PostedCash;
                Break(claim.Where, claim.AnyPosted ? BreakCauses.AmountMismatch : BreakCauses.Unposted, BreakLevels.Claim, remittance.ClaimKey(claim), claim.Expected, claim.PostedCash,
                    remittance.Since, claim.AnyPosted ? "CLP04 differs from the posted cash line" : "no cash journal for the claim payment");
            }

            var residual = remittance.Bpr - remittance.PostedCash - explained;
            if (residual != 0m)
                Break(remittance.Where, BreakCauses.AmountMismatch, BreakLevels.Remittance, remittance.Key, remittance.Bpr, remittance.PostedCash, remittance.Since,
                    string.Create(CultureInfo.InvariantCulture, $"BPR02 differs from the posted cash by {residual} beyond the claim breaks"));
        }

        foreach (var encounter in _encounters.Values.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            if (!encounter.HasSource)
            {
                if (encounter.PostedCash != 0m)
                    Break(encounter.Where, BreakCauses.AmountMismatch, BreakLevels.Encounter, encounter.Key, 0m, encounter.PostedCash, encounter.LastPosted!.Value, "accrual posted for a discharge not found on this day");
                continue;
            }

            if (Waiting(encounter.InstanceId, out var detail) is { } cause)
                Break(encounter.Where, cause, BreakLevels.Encounter, encounter.Key, encounter.Expected, encounter.PostedCash, encounter.Since, detail);
            else if (!rejected.Contains(encounter.CorrelationId) && encounter.Expected != encounter.PostedCash)
                Break(encounter.Where, encounter.AnyPosted ? BreakCauses.AmountMismatch : BreakCauses.Unposted, BreakLevels.Encounter, encounter.Key, encounter.Expected,
                    encounter.PostedCash, encounter.Since, encounter.AnyPosted ? "net charges differ from the accrual" : detail.Length > 0 ? detail : "no accrual posted");
        }

        // The ERP's copy, per receipt: it must tie to the posted journals.
        var posted = new Dictionary<TotalsKey, decimal>();
        var erp = new Dictionary<TotalsKey, decimal>();
        foreach (var (correlation, group) in _groups.OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            if (!group.HasMembers)
                continue;
            var totals = Totals(group);
            ReconciliationTotals.Merge(posted, totals);
            var ties = true;
            if (_settings.ErpKeepsCopy && !missing.Contains(correlation))
            {
                var differing = group.Nets.Keys.Concat(group.CopyNets.Keys).Distinct()
                    .Where(k => group.Nets.GetValueOrDefault(k) != group.CopyNets.GetValueOrDefault(k)).OrderBy(k => k.Account, StringComparer.Ordinal).ToList();
                if (differing.Count > 0)
                {
                    ties = false;
                    var first = differing[0];
                    var postedNet = differing.Sum(k => group.Nets.GetValueOrDefault(k));
                    var copyNet = differing.Sum(k => group.CopyNets.GetValueOrDefault(k));
                    Break(new Where(first.LegalEntity, first.Facility, first.Payer), BreakCauses.AmountMismatch, BreakLevels.Erp, correlation, postedNet, copyNet, group.FirstRecorded!.Value,
                        "the ERP's copy differs on account(s) " + string.Join(", ", differing.Select(k => k.Account).Distinct()));
                }
            }

            if (ties && acknowledged.Contains(correlation) && !missing.Contains(correlation))
                ReconciliationTotals.Merge(erp, totals);
        }

        foreach (var (duplicate, _) in _duplicates)
            breaks.Add(duplicate with { AgeDays = decimal.Round((decimal)(asOf - duplicate.Since).TotalDays, 2) });

        return new ReconciliationReport(Day, asOf, TotalsRows(posted, erp), AccountRows(), RemittanceRows(), CountRows(), breaks, SlaRows(asOf));
    }

    private List<TotalsRow> TotalsRows(Dictionary<TotalsKey, decimal> posted, Dictionary<TotalsKey, decimal> erp) =>
    [
        .. _source.Keys.Concat(posted.Keys).Concat(erp.Keys).Distinct()
            .OrderBy(k => k.LegalEntity, StringComparer.Ordinal).ThenBy(k => k.Facility, StringComparer.Ordinal)
            .ThenBy(k => k.Payer, StringComparer.Ordinal).ThenBy(k => k.Measure, StringComparer.Ordinal)
            .Select(k => ReconciliationTotals.SourceOnlyMeasures.Contains(k.Measure)
                ? new TotalsRow(k, _source.GetValueOrDefault(k), null, null)
                : new TotalsRow(k, _source.GetValueOrDefault(k), posted.GetValueOrDefault(k), erp.GetValueOrDefault(k))),
    ];

    private List<AccountRow> AccountRows()
    {
        var posted = new Dictionary<(string, string, string, string), decimal>();
        foreach (var group in _groups.Values.Where(g => g.HasMembers))
        {
            foreach (var (key, net) in group.Nets)
            {
                var account = (key.LegalEntity, key.Facility, key.Payer, key.Account);
                posted[account] = checked(posted.GetValueOrDefault(account) + net);
            }
        }

        return
        [
            .. posted.Keys.Concat(_settings.ErpKeepsCopy ? _copyAccounts.Keys : []).Distinct()
                .OrderBy(k => k.Item1, StringComparer.Ordinal).ThenBy(k => k.Item2, StringComparer.Ordinal)
                .ThenBy(k => k.Item3, StringComparer.Ordinal).ThenBy(k => k.Item4, StringComparer.Ordinal)
                .Select(k => new AccountRow(Day, k.Item1, k.Item2, k.Item3, k.Item4, posted.GetValueOrDefault(k), _settings.ErpKeepsCopy ? _copyAccounts.GetValueOrDefault(k) : null)),
        ];
    }

    private List<RemittanceRow> RemittanceRows() =>
    [
        .. _remittances.Values.Where(r => r.HasSource).OrderBy(r => r.Key, StringComparer.Ordinal)
            .Select(r => new RemittanceRow(Day, r.Where.LegalEntity, r.Where.Facility, r.Where.Payer, r.Key["remit:".Length..], r.ClaimCount, r.Bpr, r.PostedCash)),
    ];

    private List<CountRow> CountRows() =>
        [.. _counts.OrderBy(c => c.Key.Stage, StringComparer.Ordinal).ThenBy(c => c.Key.Source, StringComparer.Ordinal).Select(c => new CountRow(Day, c.Key.Stage, c.Key.Source, c.Value))];

    private List<SlaRow> SlaRows(DateTimeOffset asOf)
    {
        static decimal Hours(TimeSpan span) => decimal.Round((decimal)Math.Max(0, span.TotalHours), 2);
        static decimal Limit(TimeSpan span) => decimal.Round((decimal)span.TotalHours, 2);
        var rows = new List<SlaRow>();
        foreach (var r in _remittances.Values.Where(r => r.HasSource).OrderBy(r => r.Key, StringComparer.Ordinal))
            rows.Add(new SlaRow(Day, r.Where.LegalEntity, r.Where.Facility, r.Where.Payer, SlaNames.PaymentPostingLag, r.Key,
                Hours((r.LastPosted ?? asOf) - r.Since), Limit(_settings.PaymentPostingLag), r.LastPosted is null));
        foreach (var e in _encounters.Values.Where(e => e.HasSource).OrderBy(e => e.Key, StringComparer.Ordinal))
            rows.Add(new SlaRow(Day, e.Where.LegalEntity, e.Where.Facility, e.Where.Payer, SlaNames.DischargeToBill, e.Key,
                Hours((e.LastPosted ?? asOf) - e.Since), Limit(_settings.DischargeToBill), e.LastPosted is null));
        foreach (var x in _exceptions.Where(x => DateOnly.FromDateTime(x.RaisedAt.UtcDateTime) == Day).OrderBy(x => x.Id, StringComparer.Ordinal))
            rows.Add(new SlaRow(Day, "", "", "", SlaNames.ExceptionAging, x.Id, Hours((x.ResolvedAt ?? asOf) - x.RaisedAt), Limit(_settings.ExceptionAging), x.Open));
        return rows;
    }

    private void AddDuplicate(string legalEntity, string journalId, string kind, decimal totalDebit, string level, string what, string facility, string payer, DateTimeOffset? since)
    {
        var at = since ?? DateTimeOffset.MinValue;
        _duplicates.Add((new ReconciliationBreak(Day, legalEntity, facility, payer, BreakCauses.PostedTwice, level, journalId,
            totalDebit, checked(2 * totalDebit), at, 0m, $"{kind} journal {what}"), at));
    }

    private void Increment(string stage, string source, long count) =>
        CollectionsMarshal.GetValueRefOrAddDefault(_counts, (stage, source), out _) += count;

    private static void AddNet(Dictionary<NetKey, decimal> nets, string legalEntity, JournalLine line, decimal net)
    {
        ref var sum = ref CollectionsMarshal.GetValueRefOrAddDefault(nets, NetKey.Of(legalEntity, line), out _);
        sum = checked(sum + net);
    }

    /// <summary>A receipt group's totals (<see cref="ReconciliationTotals.AddJournal"/>'s measures, from its nets per kind and account).</summary>
    private Dictionary<TotalsKey, decimal> Totals(ReceiptGroup group)
    {
        var totals = new Dictionary<TotalsKey, decimal>();
        foreach (var ((kind, net), amount) in group.Posted)
        {
            if (ReconciliationTotals.LineMeasure(_masterData, _revenueAccounts, kind, net.Account, net.Payer, amount) is { } measure)
            {
                var key = new TotalsKey(Day, net.LegalEntity, net.Facility, net.Payer, measure.Measure);
                totals[key] = checked(totals.GetValueOrDefault(key) + measure.Amount);
            }
        }

        return totals;
    }

    /// <summary>The facility and payer all lines share (empty when they differ or are absent).</summary>
    /// <summary>The facility and the payer all of a journal's lines share; "" for one they do not share, or without lines.</summary>
    private static (string Facility, string Payer) Dimensions(NetKey[] lines)
    {
        var first = lines.Length > 0 ? lines[0] : new NetKey("", "", "", "", "");
        return (lines.All(l => l.Facility == first.Facility) ? first.Facility : "", lines.All(l => l.Payer == first.Payer) ? first.Payer : "");
    }

    /// <summary>The journal id's 80 bits (<c>JE-</c> + 20 hex digits): a compact set member for 2,000,000 journals.</summary>
    private static UInt128 JournalNumber(string journalId) =>
        journalId.StartsWith("JE-", StringComparison.Ordinal) && UInt128.TryParse(journalId.AsSpan(3), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var number)
            ? number
            : throw new ArgumentException($"Not a journal id: {journalId}.", nameof(journalId));

    /// <summary>Index of the <paramref name="n"/>-th colon (1-based) in <paramref name="key"/>, or -1.</summary>
    private static int ColonAt(ReadOnlySpan<char> key, int n)
    {
        var at = -1;
        for (var i = 0; i < n; i++)
        {
            var next = key[(at + 1)..].IndexOf(':');
            if (next < 0)
                return -1;
            at += next + 1;
        }

        return at;
    }

    /// <summary>One shared instance per place: a day has a million claim payments and a handful of places.</summary>
    private Where Place(Facility? facility, string payer, string? rawFacility)
    {
        var where = new Where(facility?.LegalEntity ?? "", facility?.Code ?? rawFacility?.Trim() ?? "", payer);
        if (_places.TryGetValue(where, out var known))
            return known;
        _places[where] = where;
        return where;
    }

    private RemittanceCheck Remittance(ReadOnlySpan<char> key) => GetOrAdd(_remittances, key, k => new RemittanceCheck(k));

    private EncounterCheck Encounter(ReadOnlySpan<char> key) => GetOrAdd(_encounters, key, k => new EncounterCheck(k));

    private ReceiptGroup Group(string correlationId)
    {
        if (!_groups.TryGetValue(correlationId, out var group))
            _groups[correlationId] = group = new ReceiptGroup();
        return group;
    }

    // Journals look their source up by a slice of their key: no string per journal.
    private static T GetOrAdd<T>(Dictionary<string, T> map, ReadOnlySpan<char> key, Func<string, T> create)
    {
        var lookup = map.GetAlternateLookup<ReadOnlySpan<char>>();
        if (!lookup.TryGetValue(key, out var value))
        {
            var text = key.ToString();
            map[text] = value = create(text);
        }

        return value;
    }

    private sealed record Where(string LegalEntity, string Facility, string Payer)
    {
        public static Where Unknown { get; } = new("", "", "");
    }

    internal readonly record struct NetKey(string LegalEntity, string Account, string CostCenter, string Facility, string Payer)
    {
        public static NetKey Of(string legalEntity, JournalLine line) => Of(legalEntity, line.Account, line.CostCenter, line.Facility, line.Payer);

        /// <summary>A line's key, its missing dimensions as "" (a journal's JSON leaves them out).</summary>
        public static NetKey Of(string legalEntity, string account, string? costCenter, string? facility, string? payer) =>
            new(legalEntity, account, costCenter ?? "", facility ?? "", payer ?? "");
    }

    /// <summary>A member journal as <see cref="Prepare(Journal)"/> read it, for <see cref="AddPostedJournal(PostedJournal, DateTimeOffset)"/>.</summary>
    public sealed class PostedJournal
    {
        private readonly string? _journalId;
        private readonly string _sourceText;
        private readonly Range? _source;

        internal PostedJournal(string? journalId, UInt128 number, DateOnly postingDate, string kind, string legalEntity, string correlationId, PostedLine[] lines,
            decimal totalDebit, decimal cash, decimal revenue, string sourceText, Range? source, ClaimReference? claim)
        {
            _journalId = journalId;
            Number = number;
            PostingDate = postingDate;
            Kind = kind;
            LegalEntity = legalEntity;
            CorrelationId = correlationId;
            Lines = lines;
            TotalDebit = totalDebit;
            Cash = cash;
            Revenue = revenue;
            _sourceText = sourceText;
            _source = source;
            Claim = claim;
        }

        /// <summary>Its id: kept when read from a <see cref="Journal"/>, else (read from its bytes, only a duplicate asks) spelled from its number as it was written.</summary>
        internal string JournalId => _journalId ?? string.Create(CultureInfo.InvariantCulture, $"JE-{Number:X20}");
        internal UInt128 Number { get; }
        public DateOnly PostingDate { get; }
        internal string Kind { get; }
        internal string LegalEntity { get; }
        internal string CorrelationId { get; }
        internal PostedLine[] Lines { get; }
        internal decimal TotalDebit { get; }
        /// <summary>Net posted to cash accounts by a cash kind of journal.</summary>
        internal decimal Cash { get; }
        /// <summary>Revenue recognised by a revenue accrual.</summary>
        internal decimal Revenue { get; }
        /// <summary>The part of its idempotency key naming its source document (<c>remit:payer:trace</c>, <c>discharge:facility:encounter</c>).</summary>
        internal ReadOnlyMemory<char>? SourceKey => _source is { } part ? _sourceText.AsMemory()[part] : null;
        /// <summary>The claim payment a cash journal of an 835 posts for.</summary>
        internal ClaimReference? Claim { get; }
    }

    /// <summary>A posted line: its key (hashed once, on a reader's thread: hashing its six strings is most of adding a line) and its net.</summary>
    internal readonly record struct PostedLine(LineKey Key, decimal Net)
    {
        public PostedLine(string kind, NetKey net, decimal amount) : this(new LineKey(kind, net, LineKey.Hash(kind, net)), amount)
        {
        }

        public static PostedLine Of(string kind, string legalEntity, JournalLine line) => new(kind, NetKey.Of(legalEntity, line), checked(line.Debit - line.Credit));
    }

    /// <summary>A posted line's journal kind and net key, with its hash worked out beforehand (<see cref="PostedLine"/>, on a reader's thread).</summary>
    internal readonly struct LineKey(string kind, NetKey net, int hash) : IEquatable<LineKey>
    {
        private readonly int _hash = hash;

        public static int Hash(string kind, NetKey net) => HashCode.Combine(kind, net);

        public string Kind { get; } = kind;
        public NetKey Net { get; } = net;

        public void Deconstruct(out string kind, out NetKey net) => (kind, net) = (Kind, Net);
        public bool Equals(LineKey other) => _hash == other._hash && Kind == other.Kind && Net == other.Net;
        public override bool Equals(object? obj) => obj is LineKey other && Equals(other);
        public override int GetHashCode() => _hash;
    }

    /// <summary>A source item and what was posted for it (cash for claims and 835s, revenue for encounters).</summary>
    private abstract class Check
    {
        public abstract string Key { get; }
        public bool HasSource { get; set; }
        public Where Where { get; set; } = Where.Unknown;
        public decimal PostedCash { get; private set; }
        public bool AnyPosted { get; private set; }
        public DateTimeOffset? LastPosted { get; private set; }

        public void Posted(decimal amount, DateTimeOffset at)
        {
            PostedCash = checked(PostedCash + amount);
            AnyPosted = true;
            if (LastPosted is null || at > LastPosted)
                LastPosted = at;
        }
    }

    /// <summary>
    /// A claim payment of an 835, known by its reference there (<see cref="ClaimReference"/>); its key is built only for a
    /// break. A struct in its 835's list: a day's million claim payments are not a million objects for the collector to trace.
    /// </summary>
    private struct ClaimCheck(ClaimReference reference)
    {
        public readonly ClaimReference Reference = reference;
        public bool HasSource;
        public Where Where = Where.Unknown;
        public decimal Expected;
        public decimal PostedCash;
        public bool AnyPosted;

        public void Posted(decimal amount)
        {
            PostedCash = checked(PostedCash + amount);
            AnyPosted = true;
        }
    }

    /// <summary>
    /// A claim payment's reference in its 835: the posting rule's patient token of its CLP01 (<c>pt_</c> and 32 hex digits,
    /// kept as its 128 bits), and <c>#k</c> for the k-th CLP with that CLP01 (k &gt; 1); any other text as it is.
    /// </summary>
    internal readonly record struct ClaimReference(UInt128 Token, int Occurrence, string? Text)
    {
        private const string Prefix = "pt_";
        private const int TokenLength = 35;
        private static readonly SearchValues<char> LowerHex = SearchValues.Create("0123456789abcdef");

        public static ClaimReference Parse(ReadOnlySpan<char> reference)
        {
            if (reference.StartsWith(Prefix, StringComparison.Ordinal) && reference.Length >= TokenLength
                && !reference[Prefix.Length..TokenLength].ContainsAnyExcept(LowerHex)
                && UInt128.TryParse(reference[Prefix.Length..TokenLength], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var token)
                && Repeat(reference[TokenLength..]) is var occurrence and > 0)
                return new ClaimReference(token, occurrence, null);
            return new ClaimReference(0, 0, reference.ToString());
        }

        /// <summary>1 for nothing, k for <c>#k</c> written as the rule writes it (k &gt; 1, no leading zero), else 0.</summary>
        private static int Repeat(ReadOnlySpan<char> suffix) =>
            suffix.IsEmpty ? 1
            : suffix.Length is > 1 and <= 10 && suffix[0] == '#' && suffix[1] != '0' && !suffix[1..].ContainsAnyExceptInRange('0', '9')
                && int.TryParse(suffix[1..], NumberStyles.None, CultureInfo.InvariantCulture, out var k) && k > 1 ? k
            : 0;

        public override string ToString() =>
            Text ?? (Occurrence > 1 ? string.Create(CultureInfo.InvariantCulture, $"{Prefix}{Token:x32}#{Occurrence}") : string.Create(CultureInfo.InvariantCulture, $"{Prefix}{Token:x32}"));
    }

    private abstract class DocumentCheck(string key) : Check
    {
        public override string Key { get; } = key;
        public string InstanceId { get; set; } = "";
        public string CorrelationId { get; set; } = "";
        public DateTimeOffset Since { get; set; }
    }

    private sealed class RemittanceCheck(string key) : DocumentCheck(key)
    {
        public decimal Bpr { get; set; }
        public int ClaimCount { get; set; }
        public bool ExpectsJournals { get; set; }
        private readonly List<ClaimCheck> _claims = [];
        private readonly Dictionary<ClaimReference, int> _byReference = [];
        private readonly List<int> _withSource = []; // in the order their 835 named them

        /// <summary>The claim payment with <paramref name="reference"/>, added on first mention; <paramref name="withSource"/> when its 835 names it.</summary>
        public ref ClaimCheck Claim(ReadOnlySpan<char> reference, bool withSource = false) => ref Claim(ClaimReference.Parse(reference), withSource);

        /// <inheritdoc cref="Claim(ReadOnlySpan{char}, bool)"/>
        public ref ClaimCheck Claim(ClaimReference parsed, bool withSource = false)
        {
            ref var index = ref CollectionsMarshal.GetValueRefOrAddDefault(_byReference, parsed, out var known);
            if (!known)
            {
                index = _claims.Count;
                _claims.Add(new ClaimCheck(parsed));
            }

            ref var claim = ref CollectionsMarshal.AsSpan(_claims)[index];
            if (withSource && !claim.HasSource)
            {
                claim.HasSource = true;
                _withSource.Add(index);
            }

            return ref claim;
        }

        public IEnumerable<ClaimCheck> ClaimsWithSource() => _withSource.Select(i => _claims[i]);

        public string ClaimKey(ClaimCheck claim) => $"{Key}:{claim.Reference}";
    }

    private sealed class EncounterCheck(string key) : DocumentCheck(key)
    {
        public decimal Expected { get; set; }
    }

    /// <summary>One receipt's posted journals (nets per kind and account) and the ERP's copy of its posts.</summary>
    private sealed class ReceiptGroup
    {
        private Dictionary<NetKey, decimal>? _nets;

        public bool HasMembers { get; set; }
        public DateTimeOffset? FirstRecorded { get; set; }

        /// <summary>
        /// The posted journals' net per journal kind, account and dimensions: one dictionary entry per line added, the
        /// nets per account and the totals (which need the kind) follow from it once all journals are in.
        /// </summary>
        public Dictionary<LineKey, decimal> Posted { get; } = [];

        /// <summary>The posted net per account and dimensions (read once every journal is added).</summary>
        public Dictionary<NetKey, decimal> Nets => _nets ??= Fold(Posted);

        public Dictionary<NetKey, decimal> CopyNets { get; } = [];

        private static Dictionary<NetKey, decimal> Fold(Dictionary<LineKey, decimal> posted)
        {
            var nets = new Dictionary<NetKey, decimal>();
            foreach (var ((_, net), amount) in posted)
                nets[net] = checked(nets.GetValueOrDefault(net) + amount);
            return nets;
        }

        public Where? AnyWhere() => Nets.Keys.Select(k => new Where(k.LegalEntity, k.Facility, k.Payer)).FirstOrDefault();
    }
}
