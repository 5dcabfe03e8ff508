using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using HealthFlow.Finance.Events;
using HealthFlow.Ledger;
using HealthFlow.Pipeline.Bus;

namespace HealthFlow.Pipeline.Workflows;

/// <summary>
/// The exceptions read model: every <see cref="WorkflowException"/> published to the <c>exceptions</c> topic and the
/// resolutions recorded in the ledger stream <see cref="ResolutionStream"/>. Rebuilt from the ledger at start; kept
/// current by the publishing activity and the <c>exceptions/workbench</c> subscription.
/// </summary>
public sealed class ExceptionBook(ILedger ledger, ITopicBus bus, TimeProvider clock)
{
    public const string Topic = "exceptions";

    /// <summary>Ledger stream of resolutions (type <see cref="ResolvedType"/>, key = exception id).</summary>
    public const string ResolutionStream = "workflow/exceptions";

    public const string ResolvedType = "WorkflowExceptionResolved";

    private readonly Lock _gate = new();
    private readonly Dictionary<string, WorkflowException> _entries = new(StringComparer.Ordinal);
    private readonly List<string> _order = [];
    private readonly LedgerCursor _cursor = new(ledger);

    /// <summary>A deterministic exception id: the same instance, round, reason and reference give the same id (redelivery, replay).</summary>
    public static string IdFor(string instanceId, int round, string reason, string reference)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{instanceId}\n{round}\n{reason}\n{reference}"));
        return "EX-" + Convert.ToHexString(hash.AsSpan(0, 8));
    }

    /// <summary>Rebuilds from the ledger; call once before the routers run.</summary>
    public Task StartAsync(CancellationToken cancellationToken = default) => CatchUpAsync(cancellationToken);

    /// <summary>
    /// Reads the exceptions and resolutions recorded since the last catch-up; where other instances write the same ledger
    /// (Azure) the Functions app calls it before listing, so exceptions raised elsewhere are listed.
    /// </summary>
    public Task CatchUpAsync(CancellationToken cancellationToken = default) => _cursor.CatchUpAsync(async from =>
    {
        await foreach (var record in ledger.ReadStreamAsync(BusRecords.TopicStream(Topic), from, cancellationToken))
        {
            if (record.Type == WorkflowException.MessageType)
                Add(JsonSerializer.Deserialize<WorkflowException>(BusEnvelope.Body(record).Span, EventJson.Options)!);
        }

        await foreach (var record in ledger.ReadStreamAsync(ResolutionStream, from, cancellationToken))
        {
            if (record.Type == ResolvedType)
                MarkResolved(record.Key, record.Time);
        }
    }, cancellationToken);

    /// <summary>Publishes an exception (message id = its id, so a repeat is dropped by consumers) and records it here.</summary>
    public async Task PublishAsync(WorkflowException exception, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(exception);
        if (Find(exception.Id) is not null)
            return;
        var body = JsonSerializer.SerializeToUtf8Bytes(exception, EventJson.Options);
        await bus.PublishAsync(Topic, new BusMessage(exception.Id, WorkflowException.MessageType, body, "", exception.CorrelationId, exception.InstanceId), cancellationToken);
        Add(exception);
    }

    /// <summary>Adds an exception read from the topic (idempotent).</summary>
    public void Add(WorkflowException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        lock (_gate)
        {
            if (_entries.TryAdd(exception.Id, exception))
                _order.Add(exception.Id);
        }
    }

    public WorkflowException? Find(string id)
    {
        lock (_gate)
            return _entries.GetValueOrDefault(id);
    }

    /// <summary>The exceptions in the order they were raised; <paramref name="open"/> true: unresolved only, false: resolved only, null: all.</summary>
    public IReadOnlyList<WorkflowException> List(bool? open = null)
    {
        lock (_gate)
        {
            return [.. _order.Select(id => _entries[id]).Where(e => open is null || (e.ResolvedAt is null) == open)];
        }
    }

    /// <summary>Records the resolution durably (once) and marks it; returns the resolved entry, or null when unknown.</summary>
    public async Task<WorkflowException?> ResolveAsync(string id, CancellationToken cancellationToken)
    {
        var entry = Find(id);
        if (entry is null)
            return null;
        if (entry.ResolvedAt is not null)
            return entry;
        await ledger.AppendAsync(new LedgerEntry(ResolutionStream, ResolvedType, id, entry.CorrelationId, entry.InstanceId, ReadOnlyMemory<byte>.Empty), cancellationToken);
        return MarkResolved(id, clock.GetUtcNow());
    }

    private WorkflowException? MarkResolved(string id, DateTimeOffset at)
    {
        lock (_gate)
        {
            if (!_entries.TryGetValue(id, out var entry))
                return null;
            if (entry.ResolvedAt is null)
                _entries[id] = entry = entry with { ResolvedAt = at };
            return entry;
        }
    }
}
