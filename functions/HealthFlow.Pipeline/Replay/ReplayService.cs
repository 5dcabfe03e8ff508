using System.Text.Json;
using HealthFlow.Finance;
using HealthFlow.Finance.Events;
using HealthFlow.Ledger;
using HealthFlow.Pipeline.Bus;
using HealthFlow.Pipeline.Erp;
using HealthFlow.Pipeline.Orchestration;
using HealthFlow.Pipeline.Telemetry;
using HealthFlow.Pipeline.Workflows;
using Microsoft.Extensions.Logging;

namespace HealthFlow.Pipeline.Replay;

/// <summary>
/// Re-drives published events from the ledger: selected by time, topic, receipt or a subscription's dead letters, then
/// published to their topics again or turned into journals and posted straight to the ERP gateway. Every replay, dry or
/// not, is audited in the ledger (<see cref="ReplayAudit"/>).
/// </summary>
/// <remarks>
/// <para>Nothing posts twice: events keep their message ids, and consumers deduplicate on them (instances start if they do
/// not exist, read models add by key); journals keep their source-derived idempotency keys, and the gateway answers a key it
/// has posted from its register. Target <see cref="ReplayTarget.Erp"/> runs the workflows' own activities
/// (<see cref="BuildRemittanceActivity"/>, <see cref="BuildAccrualActivity"/>, <see cref="PostJournalsActivity"/>) with
/// master data reloaded, so a fixed mapping applies. It leaves an event alone while its workflow instance still runs:
/// that instance posts it (or waits for its exception to be resolved), and two posters could record a journal twice.</para>
/// <para>Replays run one at a time. Logs carry ids and counts, never bodies.</para>
/// </remarks>
public sealed partial class ReplayService(ILedger ledger, ITopicBus bus, IErpGateway gateway, IOrchestrationClient orchestrations,
    WorkflowReadModels readModels, MasterDataSource masterData, PatientTokenizer tokenizer, HealthFlowMetrics metrics, TimeProvider clock, ILoggerFactory loggers)
{
    /// <summary>The topics of canonical events: what a replay can select.</summary>
    public static IReadOnlyList<string> EventTopics { get; } = ["encounters", "charges", "claims", "remittances"];

    /// <summary>At most this many selected events are listed in a result (all are counted).</summary>
    public const int MaxListedItems = 10_000;

    private const int PublishBatch = 256;
    // Static: the Functions app makes a service per invocation (its orchestration client is per invocation).
    private static readonly SemaphoreSlim One = new(1, 1);
    private readonly ILogger _logger = loggers.CreateLogger<ReplayService>();

    /// <summary>What is wrong with <paramref name="request"/> (for a 400), or null when it can run.</summary>
    public static string? Problem(ReplayRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (string.IsNullOrWhiteSpace(request.Reason))
            return "reason is required: say why this replay runs (it is kept in the audit record).";
        if (request.From is null && request.To is null && request.Stream is null && request.CorrelationId is null && request.DeadLetter is null)
            return "select something: from/to, stream, correlationId or deadLetter.";
        if (request.From > request.To)
            return "from must not be after to.";
        if (request.Stream is { } stream && TopicOf(stream) is null)
            return $"stream must be one of the event topics: {string.Join(", ", EventTopics)} (or topic/{{name}}).";
        if (request.DeadLetter is { } deadLetter)
        {
            if (DeadLetterOf(deadLetter) is not { } dead)
                return "deadLetter must name a subscription of an event topic as {topic}/{subscription}, e.g. remittances/remittance-to-gl.";
            if (request.Stream is { } s && TopicOf(s) != dead.Topic)
                return "stream and deadLetter name different topics.";
        }

        return null;
    }

    /// <summary>Selects, re-drives (unless dry) and audits; <paramref name="keyId"/> names the key that asked, never the key itself.</summary>
    /// <exception cref="ArgumentException">The request has a <see cref="Problem"/>.</exception>
    public async Task<ReplayResult> RunAsync(ReplayRequest request, string keyId, CancellationToken cancellationToken = default)
    {
        if (Problem(request) is { } problem)
            throw new ArgumentException(problem, nameof(request));
        await One.WaitAsync(cancellationToken);
        try
        {
            var replayId = "RP-" + Guid.NewGuid().ToString("N")[..16].ToUpperInvariant();
            var started = new ReplayStarted(replayId, keyId, request.Operator, clock.GetUtcNow(), request.Reason!.Trim(), request.Target, request.DryRun, request.Selection);
            await AuditAsync(ReplayAudit.StartedType, replayId, JsonSerializer.SerializeToUtf8Bytes(started, ReplayAudit.Json), cancellationToken);
            LogStarted(_logger, replayId, request.Target, request.DryRun, keyId);

            var selected = await SelectAsync(request.Selection, cancellationToken);
            var result = new ReplayResult
            {
                ReplayId = replayId,
                Target = request.Target,
                DryRun = request.DryRun,
                Selected = selected.Count,
                ByTopic = selected.GroupBy(s => s.Item.Topic, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal),
                Items = [.. selected.Take(MaxListedItems).Select(s => s.Item)],
                Truncated = selected.Count > MaxListedItems,
            };
            if (!request.DryRun)
            {
                result = request.Target == ReplayTarget.Topics
                    ? result with { Published = await PublishAsync(selected, replayId, cancellationToken) }
                    : await PostAsync(result, selected, cancellationToken);
            }

            // The outcome is recorded however the caller fares: the effects above have happened.
            await AuditAsync(ReplayAudit.FinishedType, replayId, JsonSerializer.SerializeToUtf8Bytes(result, ReplayAudit.Json), CancellationToken.None);
            LogFinished(_logger, replayId, result.Selected, result.Published, result.Posted, result.AlreadyPosted, result.Rejected + result.Failed + result.Blocked + result.InFlight);
            return result;
        }
        finally
        {
            One.Release();
        }
    }

    private ValueTask<long> AuditAsync(string type, string replayId, byte[] payload, CancellationToken cancellationToken) =>
        ledger.AppendAsync(new LedgerEntry(ReplayAudit.Stream, type, replayId, replayId, replayId, payload), cancellationToken);

    /// <summary>The selected events, oldest first, each message once.</summary>
    private async Task<List<Selected>> SelectAsync(ReplaySelection selection, CancellationToken cancellationToken)
    {
        bool InTime(DateTimeOffset at) => (selection.From is not { } from || at >= from) && (selection.To is not { } to || at < to);
        var topic = selection.Stream is { } stream ? TopicOf(stream) : null;
        var found = new List<Selected>();
        if (selection.DeadLetter is { } deadLetter)
        {
            var (deadTopic, subscription) = DeadLetterOf(deadLetter)!.Value;
            await foreach (var message in bus.ReadDeadLettersAsync(deadTopic, subscription, cancellationToken))
            {
                if (InTime(message.EnqueuedTime) && (selection.CorrelationId is null || message.CorrelationId == selection.CorrelationId))
                    found.Add(new Selected(new ReplayItem(message.SequenceNumber, deadTopic, message.Type, message.CorrelationId), message.MessageId, message.SessionKey, message.Body));
            }
        }
        else
        {
            var records = selection.CorrelationId is { } correlation
                ? ledger.ReadCorrelationAsync(correlation, cancellationToken)
                : Merge(topic is null ? EventTopics : [topic], cancellationToken);
            await foreach (var record in records)
            {
                if (!record.Stream.StartsWith("topic/", StringComparison.Ordinal) || TopicOf(record.Stream) is not { } recordTopic
                    || (topic is not null && recordTopic != topic) || !InTime(record.Time))
                    continue;
                var (header, body) = BusEnvelope.Decode(record);
                found.Add(new Selected(new ReplayItem(record.Seq, recordTopic, record.Type, record.CorrelationId), record.Key, header.SessionKey ?? "", body));
            }
        }

        var seen = new HashSet<(string, string)>();
        return [.. found.OrderBy(s => s.Item.Seq).Where(s => seen.Add((s.Item.Topic, s.MessageId)))];
    }

    /// <summary>The records of several topics (each read through the ledger's stream index), to be ordered by the caller.</summary>
    private async IAsyncEnumerable<LedgerRecord> Merge(IReadOnlyList<string> topics, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        foreach (var topic in topics)
        {
            await foreach (var record in ledger.ReadStreamAsync(BusRecords.TopicStream(topic), 0, cancellationToken))
                yield return record;
        }
    }

    /// <summary>Publishes in ledger order, consecutive events of one topic in one batch; the replay is their causation.</summary>
    private async Task<int> PublishAsync(List<Selected> selected, string replayId, CancellationToken cancellationToken)
    {
        var published = 0;
        foreach (var run in Runs(selected))
        {
            foreach (var chunk in run.Chunk(PublishBatch))
            {
                var messages = chunk.Select(s => new BusMessage(s.MessageId, s.Item.Type, s.Body, s.SessionKey, s.Item.CorrelationId, replayId)).ToList();
                await bus.PublishBatchAsync(run[0].Item.Topic, messages, cancellationToken);
                published += messages.Count;
            }
        }

        return published;
    }

    private static IEnumerable<List<Selected>> Runs(List<Selected> selected)
    {
        var run = new List<Selected>();
        foreach (var item in selected)
        {
            if (run.Count > 0 && run[0].Item.Topic != item.Item.Topic)
            {
                yield return run;
                run = [];
            }

            run.Add(item);
        }

        if (run.Count > 0)
            yield return run;
    }

    /// <summary>Builds each 835's and discharge's journals as its workflow would (master data reloaded) and posts them; leaves events of running instances alone.</summary>
    private async Task<ReplayResult> PostAsync(ReplayResult result, List<Selected> selected, CancellationToken cancellationToken)
    {
        // The claim index and the posted journals, read from the ledger if the workflows have not loaded them yet.
        await readModels.StartAsync(cancellationToken);
        masterData.Reload();
        var plannedPosts = new PlannedPostMembers(ledger);
        var buildRemittance = new BuildRemittanceActivity(ledger, readModels, masterData, tokenizer, plannedPosts);
        var buildAccrual = new BuildAccrualActivity(readModels, masterData, tokenizer);
        var post = new PostJournalsActivity(gateway, ledger, bus, readModels, plannedPosts, metrics, clock, loggers.CreateLogger<PostJournalsActivity>());
        HashSet<(string, string)>? cancelled = null;
        var counts = new Counts();
        foreach (var item in selected)
        {
            var @event = TryRead(item.Body);
            var instanceId = @event switch
            {
                RemittanceReceived r => WorkflowInstanceIds.Remittance(r.Payer, r.TraceNumber),
                EncounterDischarged d => WorkflowInstanceIds.Discharge(d.Facility, d.EncounterId),
                _ => null,
            };
            if (instanceId is null)
            {
                counts.Skipped++;
                continue;
            }

            if (await orchestrations.GetInstanceAsync(instanceId, getInputsAndOutputs: false, cancellationToken) is { RuntimeStatus: OrchestrationRuntimeStatus.Pending or OrchestrationRuntimeStatus.Running })
            {
                counts.InFlight++;
                continue;
            }

            var context = new ActivityContext("Replay", instanceId, TaskId: -1, DeliveryCount: 1);
            var fallbackDate = DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime);
            IReadOnlyList<PlannedPost> posts;
            switch (@event)
            {
                case RemittanceReceived:
                {
                    var plan = await buildRemittance.RunAsync(context, new BuildRemittanceInput(item.Item.Seq, item.MessageId, Attempt: 0, fallbackDate), cancellationToken);
                    posts = plan.Blocked ? [] : plan.Posts;
                    if (plan.Blocked)
                        counts.Blocked++;
                    break;
                }

                case EncounterDischarged discharge:
                {
                    cancelled ??= await CancelledEncountersAsync(cancellationToken);
                    if (cancelled.Contains((discharge.Facility.Trim(), discharge.EncounterId.Trim())))
                    {
                        counts.Blocked++;
                        continue;
                    }

                    var plan = await buildAccrual.RunAsync(context, new BuildAccrualInput(discharge, Attempt: 0, fallbackDate), cancellationToken);
                    posts = plan.Journal is { } journal && !plan.Blocked ? [PlannedPost.Of(journal)] : [];
                    if (plan.Blocked)
                        counts.Blocked++;
                    break;
                }

                default:
                    continue;
            }

            foreach (var planned in posts)
            {
                var outcome = await post.RunAsync(context, new PostJournalsInput(planned, item.Item.CorrelationId, instanceId), cancellationToken);
                if (outcome.Unavailable)
                    counts.Failed++; // the ERP is down: nothing posted, a later replay posts it
                else if (!outcome.Accepted)
                    counts.Rejected++;
                else if (outcome.Replayed)
                    counts.AlreadyPosted++;
                else
                    counts.Posted++;
            }
        }

        return result with
        {
            Posted = counts.Posted,
            AlreadyPosted = counts.AlreadyPosted,
            Rejected = counts.Rejected,
            Failed = counts.Failed,
            Blocked = counts.Blocked,
            Skipped = counts.Skipped,
            InFlight = counts.InFlight,
        };
    }

    private async Task<HashSet<(string, string)>> CancelledEncountersAsync(CancellationToken cancellationToken)
    {
        var cancelled = new HashSet<(string, string)>();
        await foreach (var record in ledger.ReadStreamAsync(BusRecords.TopicStream("encounters"), 0, cancellationToken))
        {
            if (record.Type == nameof(DischargeCancelled) && WorkflowReadModels.TryReadEvent(record) is DischargeCancelled cancel)
                cancelled.Add((cancel.Facility.Trim(), cancel.EncounterId.Trim()));
        }

        return cancelled;
    }

    private static CanonicalEvent? TryRead(ReadOnlyMemory<byte> body)
    {
        try
        {
            return EventJson.Deserialize(body.Span);
        }
        catch (Exception exception) when (exception is JsonException or NotSupportedException)
        {
            return null;
        }
    }

    /// <summary>The event topic a name or stream names, or null.</summary>
    private static string? TopicOf(string streamOrTopic)
    {
        var name = streamOrTopic.StartsWith("topic/", StringComparison.Ordinal) ? streamOrTopic["topic/".Length..] : streamOrTopic;
        return EventTopics.Contains(name, StringComparer.Ordinal) ? name : null;
    }

    private static (string Topic, string Subscription)? DeadLetterOf(string deadLetter)
    {
        var parts = deadLetter.Split('/');
        return parts.Length == 2 && TopicOf(parts[0]) is { } topic
            && BusTopology.LoadEmbedded().FindTopic(topic)?.Subscriptions.Any(s => s.Name == parts[1]) == true
            ? (topic, parts[1])
            : null;
    }

    private sealed record Selected(ReplayItem Item, string MessageId, string SessionKey, ReadOnlyMemory<byte> Body);

    private sealed class Counts
    {
        public int Posted;
        public int AlreadyPosted;
        public int Rejected;
        public int Failed;
        public int Blocked;
        public int Skipped;
        public int InFlight;
    }

    [LoggerMessage(EventId = 7100, Level = LogLevel.Information, Message = "Replay {ReplayId} started: target {Target}, dry run {DryRun}, by key {KeyId}")]
    private static partial void LogStarted(ILogger logger, string replayId, ReplayTarget target, bool dryRun, string keyId);

    [LoggerMessage(EventId = 7101, Level = LogLevel.Information, Message = "Replay {ReplayId} finished: {Selected} selected, {Published} published, {Posted} posted, {AlreadyPosted} already posted, {NotPosted} not posted")]
    private static partial void LogFinished(ILogger logger, string replayId, int selected, int published, int posted, int alreadyPosted, int notPosted);
}
