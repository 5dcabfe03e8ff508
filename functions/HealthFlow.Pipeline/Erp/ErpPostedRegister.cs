using System.Text.Json;
using System.Text.Json.Serialization;
using HealthFlow.Ledger;

namespace HealthFlow.Pipeline.Erp;

/// <summary>
/// The posted-key register: which idempotency keys and which journals the ERP has acknowledged, kept in the ledger
/// stream <see cref="Stream"/> (record key = the request's idempotency key, payload = the acknowledgement) and rebuilt
/// in memory from that stream at start-up.
/// </summary>
/// <remarks>
/// <para>Record types: <see cref="PostingType"/> (an attempt is about to leave for an ERP without a read-back; written
/// before sending), <see cref="AcceptedType"/>, <see cref="RejectedType"/>, <see cref="FailedType"/>. A key is posted once
/// an <see cref="AcceptedType"/> record exists; a journal is posted once any record lists a document for it. A key with a
/// <see cref="PostingType"/> record and no later outcome is <em>pending</em>: its last attempt may or may not have
/// reached the ERP.</para>
/// <para>Thread-safe. Appends go through the ledger (durable when they return); the in-memory state changes only after
/// the append is durable, so what the register says was posted is always in the ledger.</para>
/// </remarks>
public sealed class ErpPostedRegister
{
    /// <summary>The ledger stream of ERP acknowledgements.</summary>
    public const string Stream = "erp/posted";

    public const string PostingType = "ErpPosting";
    public const string AcceptedType = "ErpAccepted";
    public const string RejectedType = "ErpRejected";
    public const string FailedType = "ErpFailed";

    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
    };

    private readonly ILedger _ledger;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, ErpAcknowledgement> _accepted = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ErpDocument> _journals = new(StringComparer.Ordinal);
    private readonly HashSet<string> _pending = new(StringComparer.Ordinal);

    private ErpPostedRegister(ILedger ledger) => _ledger = ledger;

    /// <summary>Accepted keys.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
                return _accepted.Count;
        }
    }

    /// <summary>Reads the stream and rebuilds the register.</summary>
    public static async Task<ErpPostedRegister> OpenAsync(ILedger ledger, CancellationToken cancellationToken = default)
    {
        var register = new ErpPostedRegister(ledger);
        await foreach (var record in ledger.ReadStreamAsync(Stream, 0, cancellationToken))
            register.Apply(record.Type, record.Key, record.Payload.Span);
        return register;
    }

    /// <summary>The recorded acknowledgement of an accepted key.</summary>
    public bool TryGetAccepted(string idempotencyKey, out ErpAcknowledgement acknowledgement)
    {
        lock (_gate)
            return _accepted.TryGetValue(idempotencyKey, out acknowledgement!);
    }

    /// <summary>The document of a journal (by its own idempotency key) the ERP has acknowledged.</summary>
    public bool TryGetJournal(string journalKey, out ErpDocument document)
    {
        lock (_gate)
            return _journals.TryGetValue(journalKey, out document!);
    }

    /// <summary>True when an attempt of the key was recorded as leaving and no outcome followed.</summary>
    public bool IsPending(string idempotencyKey)
    {
        lock (_gate)
            return _pending.Contains(idempotencyKey);
    }

    /// <summary>Every accepted acknowledgement, in no particular order (the file sink reads its byte ranges from them).</summary>
    public IReadOnlyList<ErpAcknowledgement> AcceptedAcknowledgements()
    {
        lock (_gate)
            return [.. _accepted.Values];
    }

    /// <summary>Records that an attempt is about to leave (connectors without an ERP-side read-back).</summary>
    public async ValueTask RecordPostingAsync(string idempotencyKey, string gateway, string correlationId, DateTimeOffset at, CancellationToken cancellationToken)
    {
        var payload = JsonSerializer.SerializeToUtf8Bytes(new PostingRecord(idempotencyKey, gateway, at), Json);
        await _ledger.AppendAsync(new LedgerEntry(Stream, PostingType, idempotencyKey, correlationId, idempotencyKey, payload), cancellationToken);
        Apply(PostingType, idempotencyKey, payload);
    }

    /// <summary>Records an acknowledgement; once it returns the register (and the ledger) knows it.</summary>
    public async ValueTask RecordAsync(ErpAcknowledgement acknowledgement, string correlationId, CancellationToken cancellationToken)
    {
        var type = acknowledgement.Outcome switch
        {
            ErpOutcome.Accepted => AcceptedType,
            ErpOutcome.Rejected => RejectedType,
            _ => FailedType,
        };
        var payload = JsonSerializer.SerializeToUtf8Bytes(acknowledgement with { Replayed = false }, Json);
        await _ledger.AppendAsync(new LedgerEntry(Stream, type, acknowledgement.IdempotencyKey, correlationId, acknowledgement.IdempotencyKey, payload), cancellationToken);
        Apply(type, acknowledgement.IdempotencyKey, payload);
    }

    private void Apply(string type, string key, ReadOnlySpan<byte> payload)
    {
        lock (_gate)
        {
            if (type == PostingType)
            {
                _pending.Add(key);
                return;
            }

            if (type is not (AcceptedType or RejectedType or FailedType))
                return;
            var acknowledgement = JsonSerializer.Deserialize<ErpAcknowledgement>(payload, Json)
                ?? throw new InvalidDataException($"Empty ERP acknowledgement for key {key}.");
            // An outcome settles the pending attempt, unless it says an attempt may have arrived unanswered.
            if (!acknowledgement.RequiresReconciliation)
                _pending.Remove(key);
            foreach (var document in acknowledgement.Documents)
                _journals.TryAdd(document.JournalKey, document);
            if (type == AcceptedType)
                _accepted[key] = acknowledgement;
        }
    }

    private sealed record PostingRecord(string IdempotencyKey, string Gateway, DateTimeOffset At);
}
