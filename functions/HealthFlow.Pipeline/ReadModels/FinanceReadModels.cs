using System.Runtime.InteropServices;
using System.Text.Json;
using HealthFlow.Finance.Events;
using HealthFlow.Finance.Journals;
using HealthFlow.Finance.Mapping;
using HealthFlow.Ledger;
using HealthFlow.Pipeline.Bus;
using HealthFlow.Pipeline.Http;
using HealthFlow.Pipeline.Workflows;

namespace HealthFlow.Pipeline.ReadModels;

/// <summary>One AR account's movements for a legal entity, payer and facility (lines without a dimension have it empty).</summary>
public sealed record ArBalance(string LegalEntity, string Payer, string Facility, string Account, decimal Debit, decimal Credit)
{
    public decimal Balance => Debit - Credit;
}

/// <summary>A member journal the ERP accepted, with the ERP document of the post that carried it (null until known).</summary>
public sealed record RegisterEntry(string JournalId, string IdempotencyKey, string Kind, string LegalEntity, string Currency, DateOnly PostingDate,
    decimal Amount, string? ReversalOf, string CorrelationId, DateTimeOffset RecordedAt, string? Document);

/// <summary>An exception of the workbench and when it was resolved (the resolution record's time).</summary>
public sealed record ExceptionEntry(string Id, string Reason, string Kind, string Reference, bool Blocking, string InstanceId, string CorrelationId,
    DateTimeOffset RaisedAt, DateTimeOffset? ResolvedAt);

/// <summary>The three read models at one point: AR sub-ledger (sorted by entity, payer, facility, account), journal register and exceptions (ledger order).</summary>
public sealed record ReadModelSnapshot(IReadOnlyList<ArBalance> ArSubLedger, IReadOnlyList<RegisterEntry> JournalRegister, IReadOnlyList<ExceptionEntry> Exceptions)
{
    /// <summary>The data folder's sub-folder <c>healthflow rebuild</c> writes to.</summary>
    public const string Folder = "read-models";

    /// <summary>Writes <c>ar-subledger.json</c>, <c>journal-register.json</c> and <c>exceptions.json</c> to <paramref name="folder"/>.</summary>
    public void WriteTo(string folder)
    {
        Directory.CreateDirectory(folder);
        Write(Path.Combine(folder, "ar-subledger.json"), ArSubLedger);
        Write(Path.Combine(folder, "journal-register.json"), JournalRegister);
        Write(Path.Combine(folder, "exceptions.json"), Exceptions);
    }

    private static void Write<T>(string path, IReadOnlyList<T> rows)
    {
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        JsonSerializer.Serialize(file, rows, ApiJson.Options);
    }
}

/// <summary>How far a rebuild has got: every read-model record below ledger position <see cref="Seq"/> is applied.</summary>
public readonly record struct RebuildProgress(long Seq, long Head, long Applied);

/// <summary>
/// Finance's read models, projected from the ledger alone: the AR sub-ledger by payer and facility and the journal register
/// (from the accepted member journals in <see cref="WorkflowReadModels.JournalStream"/> and the <see cref="JournalPosted"/>
/// records of the journals topic), and the exception list (the exceptions topic and <see cref="ExceptionBook.ResolutionStream"/>).
/// </summary>
/// <remarks>
/// Applying is keyed and order-independent across streams (a journal counts once by key, a document or resolution may
/// arrive before what it belongs to), so catching up stream by stream from any position gives what a rebuild from zero
/// gives. Thread-safe: one writer applies while readers take snapshots.
/// </remarks>
public sealed class FinanceReadModels(IReadOnlySet<string> arAccounts)
{
    private const string JournalsTopicStream = "topic/journals";
    private static readonly string ExceptionsTopicStream = BusRecords.TopicStream(ExceptionBook.Topic);
    private const int ProgressEvery = 4096;

    /// <summary>The ledger streams the read models are built from.</summary>
    public static IReadOnlyList<string> Streams { get; } =
        [WorkflowReadModels.JournalStream, JournalsTopicStream, ExceptionsTopicStream, ExceptionBook.ResolutionStream];

    private readonly Lock _gate = new();
    // By idempotency key: a slot in one array rather than an object per journal, the key held once for the journal and its document.
    private readonly Dictionary<string, RegisterSlot> _register = new(StringComparer.Ordinal);
    private readonly List<string> _registerOrder = [];
    // A million journals share a few kinds, entities, accounts and correlation ids. A catch-up parses on several threads at
    // once (ILedger.ScanAsync<T>), so each thread has its pool: a few copies of each string at most, never a lock.
    [ThreadStatic]
    private static Utf8StringPool? t_strings;
    private readonly Dictionary<(string LegalEntity, string Payer, string Facility, string Account), (decimal Debit, decimal Credit)> _ar = [];
    private readonly Dictionary<string, WorkflowException> _exceptions = new(StringComparer.Ordinal);
    private readonly List<string> _exceptionOrder = [];
    private readonly Dictionary<string, DateTimeOffset> _resolved = new(StringComparer.Ordinal);

    /// <summary>Every payer's insurance and patient AR account.</summary>
    public static IReadOnlySet<string> ArAccounts(MasterDataSet masterData)
    {
        ArgumentNullException.ThrowIfNull(masterData);
        return masterData.Payers.SelectMany(p => new[] { p.InsuranceArAccount, p.PatientArAccount }).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>Builds the read models from the first record to the head; <paramref name="progress"/> hears about each stream as it goes.</summary>
    public static async Task<FinanceReadModels> RebuildAsync(ILedger ledger, IReadOnlySet<string> arAccounts, IProgress<RebuildProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        var models = new FinanceReadModels(arAccounts);
        await models.CatchUpAsync(ledger, 0, ledger.Head, progress, cancellationToken);
        return models;
    }

    /// <summary>
    /// Applies the records of <see cref="Streams"/> with sequence numbers in [<paramref name="from"/>, <paramref name="to"/>),
    /// in one sequential scan of the ledger (<see cref="ILedger.ScanAsync{T}"/>: the other streams' records are stepped over
    /// unread, and the payloads are parsed where the scan reads, ahead of applying); returns how many.
    /// </summary>
    public async Task<long> CatchUpAsync(ILedger ledger, long from, long to, IProgress<RebuildProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        long applied = 0;
        await foreach (var read in ledger.ScanAsync(from, new LedgerScanFilter(Streams), Parse, cancellationToken))
        {
            if (read.Seq >= to)
                break;
            Apply(read);
            if (++applied % ProgressEvery == 0)
                progress?.Report(new RebuildProgress(read.Seq, to, applied));
        }

        progress?.Report(new RebuildProgress(to, to, applied));
        return applied;
    }

    /// <summary>Applies one ledger record (records of other streams and types are ignored).</summary>
    public void Apply(LedgerRecord record)
    {
        Apply(Parse(record));
    }

    /// <summary>
    /// What a record holds for the read models, read where the scan reads it (a journal, a post, an exception or a
    /// resolution; null for anything else), with its sequence number and time.
    /// </summary>
    private readonly record struct Read(long Seq, DateTimeOffset Time, object? Body);

    /// <summary>An exception's resolution.</summary>
    private sealed record Resolution(string ExceptionId);

    private static Read Parse(LedgerRecordView record) => new(record.Seq, record.Time, record.Stream switch
    {
        WorkflowReadModels.JournalStream when record.Type == WorkflowReadModels.JournalRecordType =>
            JournalJson.Deserialize(record.Payload, t_strings ??= new Utf8StringPool()) ?? throw new InvalidDataException($"Ledger record {record.Seq} holds no journal."),
        JournalsTopicStream when record.Type == JournalPosted.MessageType => JsonSerializer.Deserialize<JournalPosted>(BusEnvelope.Body(record), EventJson.Options)!,
        var stream when stream == ExceptionsTopicStream && record.Type == WorkflowException.MessageType => JsonSerializer.Deserialize<WorkflowException>(BusEnvelope.Body(record), EventJson.Options)!,
        ExceptionBook.ResolutionStream when record.Type == ExceptionBook.ResolvedType => new Resolution(record.Key),
        _ => null,
    });

    private void Apply(Read read)
    {
        switch (read.Body)
        {
            case Journal journal:
                AddJournal(journal, read.Time);
                break;
            case JournalPosted posted:
                var document = string.Join(' ', posted.DocumentNumbers);
                lock (_gate)
                {
                    foreach (var member in posted.MemberKeys)
                        CollectionsMarshal.GetValueRefOrAddDefault(_register, member, out _).Document ??= document;
                }

                break;
            case WorkflowException exception:
                lock (_gate)
                {
                    if (_exceptions.TryAdd(exception.Id, exception))
                        _exceptionOrder.Add(exception.Id);
                }

                break;
            case Resolution resolution:
                lock (_gate)
                    _resolved.TryAdd(resolution.ExceptionId, read.Time);
                break;
        }
    }

    public ReadModelSnapshot Snapshot()
    {
        lock (_gate)
        {
            return new ReadModelSnapshot(
                [.. _ar.OrderBy(a => a.Key.LegalEntity, StringComparer.Ordinal).ThenBy(a => a.Key.Payer, StringComparer.Ordinal)
                    .ThenBy(a => a.Key.Facility, StringComparer.Ordinal).ThenBy(a => a.Key.Account, StringComparer.Ordinal)
                    .Select(a => new ArBalance(a.Key.LegalEntity, a.Key.Payer, a.Key.Facility, a.Key.Account, a.Value.Debit, a.Value.Credit))],
                [.. _registerOrder.Select(key => _register[key].Entry(key))],
                [.. _exceptionOrder.Select(id => _exceptions[id]).Select(e => new ExceptionEntry(e.Id, e.Reason, e.Kind, e.Reference, e.Blocking, e.InstanceId,
                    e.CorrelationId, e.RaisedAt, _resolved.TryGetValue(e.Id, out var at) ? at : null))]);
        }
    }

    private void AddJournal(Journal journal, DateTimeOffset recordedAt)
    {
        var amount = 0m;
        foreach (var line in journal.Lines)
            amount += line.Debit;
        lock (_gate)
        {
            ref var slot = ref CollectionsMarshal.GetValueRefOrAddDefault(_register, journal.IdempotencyKey, out _);
            // A journal recorded twice is a reconciliation break (posted-twice), not twice the balance.
            if (slot.JournalId is not null)
                return;
            slot = slot with
            {
                JournalId = journal.JournalId, Kind = journal.Kind, LegalEntity = journal.LegalEntity, Currency = journal.Currency, PostingDate = journal.PostingDate,
                Amount = amount, ReversalOf = journal.ReversalOf, CorrelationId = journal.Source.CorrelationId, RecordedAt = recordedAt,
            };
            _registerOrder.Add(journal.IdempotencyKey);
            foreach (var line in journal.Lines)
            {
                if (!arAccounts.Contains(line.Account))
                    continue;
                ref var balance = ref CollectionsMarshal.GetValueRefOrAddDefault(_ar, (journal.LegalEntity, line.Payer ?? "", line.Facility ?? "", line.Account), out _);
                balance = (checked(balance.Debit + line.Debit), checked(balance.Credit + line.Credit));
            }
        }
    }

    /// <summary>
    /// A journal's register entry without its key, and its ERP document: either may be known first (a document's post is
    /// applied before its journal when a catch-up reads the streams in that order), so the journal's fields are null until it is.
    /// </summary>
    private record struct RegisterSlot(string? JournalId, string Kind, string LegalEntity, string Currency, DateOnly PostingDate, decimal Amount,
        string? ReversalOf, string CorrelationId, DateTimeOffset RecordedAt, string? Document)
    {
        public readonly RegisterEntry Entry(string idempotencyKey) =>
            new(JournalId!, idempotencyKey, Kind, LegalEntity, Currency, PostingDate, Amount, ReversalOf, CorrelationId, RecordedAt, Document);
    }
}
