using System.Runtime.CompilerServices;
using System.Text.Json;
using HealthFlow.Ledger;
using HealthFlow.Ledger.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace HealthFlow.Pipeline.Bus;

/// <summary>
/// The embedded topic bus: <see cref="ITopicBus"/> on one <see cref="ILedger"/> partition, for the single-machine
/// runtime. Publishing appends to <c>topic/{T}</c>; each subscription's settlements go to <c>bus/{T}/{S}</c> and
/// <c>bus/{T}/{S}/$deadletter</c> (see <see cref="BusRecords"/>), so subscription state is rebuilt from the ledger
/// at start-up and survives restarts. One bus instance per ledger.
/// </summary>
/// <remarks>
/// <para>Start position: a subscription receives every message of its topic from the start of the topic stream,
/// including messages published before the subscription was declared; the ledger keeps everything, and a new
/// subscriber (a reconciliation added later) usually wants the history. Service Bus differs: a new subscription
/// there sees only messages published after it exists.</para>
/// <para>Durability: a publish returns once its records are durable. Complete, abandon and dead-letter return
/// once their bookkeeping record is durable (group commit makes that cheap). Locks are held in memory only: after
/// a crash every unsettled message is deliverable again (at-least-once), and a completed one never is. A delivery
/// cut short by a crash therefore does not count toward the max delivery count; abandon and lock expiry do.</para>
/// <para>Lock expiry and scheduled messages are evaluated against <see cref="TimeProvider"/> whenever a receive or
/// settlement runs, and a waiting receive sleeps until the next deadline, so no background thread is needed.</para>
/// <para>Bounds: see <see cref="EmbeddedBusOptions"/> (soft publish back-pressure with a bounded wait, hard in-flight bound).</para>
/// </remarks>
public sealed class EmbeddedTopicBus : ILedgerTopicBus, IAsyncDisposable
{
    private readonly ILedger _ledger;
    private readonly EmbeddedBusOptions _options;
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;
    private readonly Dictionary<string, TopicState> _topics;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _checkpointGate = new();
    private readonly List<Task> _checkpointWrites = [];

    private EmbeddedTopicBus(ILedger ledger, BusTopology topology, EmbeddedBusOptions options, TimeProvider clock, ILogger logger)
    {
        _ledger = ledger;
        _options = options;
        _clock = clock;
        _logger = logger;
        Topology = topology;
        _topics = topology.Topics.ToDictionary(
            t => t.Name,
            t => new TopicState(t, [.. t.Subscriptions.Select(s => new SubscriptionState(t.Name, s, options.LockedMaxPerSubscription))]),
            StringComparer.Ordinal);
    }

    /// <summary>The topology this bus serves.</summary>
    public BusTopology Topology { get; }

    /// <summary>
    /// Opens the bus: rebuilds every subscription from the ledger (from its checkpoint when a checkpoint store is
    /// configured and the checkpoint still matches the ledger, from the start of the topic otherwise).
    /// </summary>
    public static async Task<EmbeddedTopicBus> OpenAsync(
        ILedger ledger,
        BusTopology topology,
        EmbeddedBusOptions? options = null,
        TimeProvider? clock = null,
        ILogger<EmbeddedTopicBus>? logger = null,
        CancellationToken cancellationToken = default)
    {
        options ??= new EmbeddedBusOptions();
        if (options.BacklogMaxPerSubscription < 1 || options.LockedMaxPerSubscription < 1 || options.PublishWaitMax < TimeSpan.Zero || options.CheckpointEveryRecords < 1)
            throw new ArgumentOutOfRangeException(nameof(options), "Bus bounds must be positive.");
        var bus = new EmbeddedTopicBus(ledger, topology, options, clock ?? TimeProvider.System, (ILogger?)logger ?? NullLogger.Instance);
        await bus.RebuildAsync(cancellationToken);
        return bus;
    }

    public ValueTask<PublishReceipt> PublishAsync(string topic, BusMessage message, CancellationToken cancellationToken = default) =>
        PublishBatchAsync(topic, [message], cancellationToken);

    public async ValueTask<PublishReceipt> PublishBatchAsync(string topic, IReadOnlyList<BusMessage> messages, CancellationToken cancellationToken = default)
    {
        var (entries, backPressured) = await EncodeAsync(topic, messages, cancellationToken);
        var first = await _ledger.AppendBatchAsync(entries, cancellationToken);
        Logs.Published(_logger, topic, messages.Count, first);
        // Read-your-writes: once a publish returns, its subscriptions hold the message (backlog counts are current).
        await CatchUpAsync(TopicOf(topic), CancellationToken.None);
        return new PublishReceipt(first, messages.Count, backPressured);
    }

    /// <summary>
    /// The ledger entries that publishing <paramref name="messages"/> to <paramref name="topic"/> appends, after the
    /// same checks and back-pressure wait as <see cref="PublishBatchAsync"/>. Committing them (with any other records,
    /// in one ledger batch) is the publish: subscriptions pick them up from the topic stream like any other.
    /// </summary>
    public async ValueTask<IReadOnlyList<LedgerEntry>> PrepareBatchAsync(string topic, IReadOnlyList<BusMessage> messages, CancellationToken cancellationToken = default) =>
        (await EncodeAsync(topic, messages, cancellationToken)).Entries;

    private async ValueTask<(LedgerEntry[] Entries, bool BackPressured)> EncodeAsync(string topic, IReadOnlyList<BusMessage> messages, CancellationToken cancellationToken)
    {
        var state = TopicOf(topic);
        var entries = Encode(state, messages);
        return (entries, await WaitForBacklogAsync(state, cancellationToken));
    }

    private static LedgerEntry[] Encode(TopicState state, IReadOnlyList<BusMessage> messages)
    {
        var topic = state.Definition.Name;
        if (messages.Count == 0)
            throw new ArgumentException("Nothing to publish.", nameof(messages));
        var entries = new LedgerEntry[messages.Count];
        for (var i = 0; i < messages.Count; i++)
        {
            var message = messages[i];
            if (string.IsNullOrEmpty(message.MessageId) || string.IsNullOrEmpty(message.Type))
                throw new ArgumentException($"Message {i} to '{topic}' needs a message id and a type.", nameof(messages));
            if (state.Definition.RequiresSessionKey && message.SessionKey.Length == 0)
                throw new ArgumentException($"Topic '{topic}' has a subscription that requires sessions; message '{message.MessageId}' has no session key.", nameof(messages));
            entries[i] = TopicRecords.For(topic, message);
        }
        return entries;
    }

    public async ValueTask<IReadOnlyList<BusDelivery>> ReceiveAsync(string topic, string subscription, int maxMessages, TimeSpan maxWait, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxMessages, 1);
        if (maxWait < TimeSpan.Zero && maxWait != Timeout.InfiniteTimeSpan)
            throw new ArgumentOutOfRangeException(nameof(maxWait), maxWait, "A wait is zero, positive or infinite.");
        var (state, sub) = SubscriptionOf(topic, subscription);
        DateTimeOffset? waitEnd = maxWait == Timeout.InfiniteTimeSpan ? null : _clock.GetUtcNow() + maxWait;
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stopping.Token);
        while (true)
        {
            var observed = await CatchUpAsync(state, linked.Token);
            await ExpireLocksAsync(sub);
            var now = _clock.GetUtcNow();
            var locked = sub.TryLock(maxMessages, now, out var changed);
            if (locked.Count > 0)
                return await DeliverAsync(sub, locked, linked.Token);
            if (waitEnd is { } end && now >= end)
                return [];

            // Sleep until something can change: a record on the topic (a publish), a settlement on this subscription,
            // a lock expiring or a scheduled message falling due, or the end of the wait. Other streams' appends do not
            // wake an idle receiver.
            var wakeAt = Earliest(waitEnd, sub.NextDeadline());
            var delay = wakeAt is { } at ? Max(at - now, TimeSpan.Zero) : Timeout.InfiniteTimeSpan;
            using var sleep = CancellationTokenSource.CreateLinkedTokenSource(linked.Token);
            var appended = _ledger.WaitForAppendAsync(state.Stream, observed, sleep.Token);
            var timer = delay == Timeout.InfiniteTimeSpan ? Task.Delay(Timeout.InfiniteTimeSpan, sleep.Token) : Task.Delay(delay, _clock, sleep.Token);
            await Task.WhenAny(appended, changed, timer);
            await sleep.CancelAsync();
            linked.Token.ThrowIfCancellationRequested();
        }
    }

    public async ValueTask<SettleResult> CompleteAsync(BusDelivery delivery, CancellationToken cancellationToken = default)
    {
        var (_, sub) = SubscriptionOf(delivery.Topic, delivery.Subscription);
        if (sub.BeginSettle(delivery.SequenceNumber, delivery.LockToken, _clock.GetUtcNow()) is not { } locked)
        {
            Logs.LockLost(_logger, delivery.Topic, delivery.Subscription, delivery.MessageId, delivery.SequenceNumber, "complete");
            return SettleResult.LockLost;
        }
        await WriteOrRevertAsync(sub, locked.Entry,
            BusRecords.Settle(sub.Stream, BusRecords.MessageCompleted, locked.Entry.Ref, new Settlement(locked.Entry.Seq, locked.DeliveryCount)));
        sub.EndRemove(locked.Entry);
        Logs.Completed(_logger, delivery.Topic, delivery.Subscription, delivery.MessageId, delivery.SequenceNumber, locked.DeliveryCount);
        MaybeCheckpoint(sub);
        return SettleResult.Settled;
    }

    public async ValueTask<SettleResult> AbandonAsync(BusDelivery delivery, string reason, CancellationToken cancellationToken = default)
    {
        var (_, sub) = SubscriptionOf(delivery.Topic, delivery.Subscription);
        if (sub.BeginSettle(delivery.SequenceNumber, delivery.LockToken, _clock.GetUtcNow()) is not { } locked)
        {
            Logs.LockLost(_logger, delivery.Topic, delivery.Subscription, delivery.MessageId, delivery.SequenceNumber, "abandon");
            return SettleResult.LockLost;
        }
        await RecordFailuresAsync(sub, [locked], reason);
        return SettleResult.Settled;
    }

    public async ValueTask<SettleResult> DeadLetterAsync(BusDelivery delivery, string reason, string description = "", CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(reason);
        var (_, sub) = SubscriptionOf(delivery.Topic, delivery.Subscription);
        if (sub.BeginSettle(delivery.SequenceNumber, delivery.LockToken, _clock.GetUtcNow()) is not { } locked)
        {
            Logs.LockLost(_logger, delivery.Topic, delivery.Subscription, delivery.MessageId, delivery.SequenceNumber, "dead-letter");
            return SettleResult.LockLost;
        }
        await WriteOrRevertAsync(sub, locked.Entry, DeadLetterEntry(sub, locked, reason, description));
        sub.EndRemove(locked.Entry);
        Logs.DeadLettered(_logger, delivery.Topic, delivery.Subscription, delivery.MessageId, delivery.SequenceNumber, reason, locked.DeliveryCount);
        MaybeCheckpoint(sub);
        return SettleResult.Settled;
    }

    public ValueTask<LockRenewal> RenewLockAsync(BusDelivery delivery, CancellationToken cancellationToken = default)
    {
        var (_, sub) = SubscriptionOf(delivery.Topic, delivery.Subscription);
        var until = sub.Renew(delivery.SequenceNumber, delivery.LockToken, _clock.GetUtcNow());
        if (until is null)
            Logs.LockLost(_logger, delivery.Topic, delivery.Subscription, delivery.MessageId, delivery.SequenceNumber, "renew");
        return ValueTask.FromResult(until is { } value ? new LockRenewal(SettleResult.Settled, value) : new LockRenewal(SettleResult.LockLost, default));
    }

    public async IAsyncEnumerable<DeadLetteredMessage> ReadDeadLettersAsync(string topic, string subscription, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var (_, sub) = SubscriptionOf(topic, subscription);
        await foreach (var record in _ledger.ReadStreamAsync(sub.DeadLetterStream, 0, cancellationToken))
        {
            var settlement = BusRecords.ReadSettlement(record);
            var message = await _ledger.ReadAsync(settlement.Seq, cancellationToken);
            var (header, body) = BusEnvelope.Decode(message);
            yield return new DeadLetteredMessage(topic, subscription, message.Seq, message.Key, message.Type, header.SessionKey ?? "",
                message.CorrelationId, message.CausationId, body, message.Time, settlement.DeliveryCount,
                settlement.Reason ?? "", settlement.Description ?? "", record.Time);
        }
    }

    /// <summary>Unsettled messages of a subscription (due or scheduled); for health checks and tests.</summary>
    public int UnsettledCount(string topic, string subscription) => SubscriptionOf(topic, subscription).Sub.UnsettledCount;

    /// <summary>Writes final checkpoints (when configured) and stops waiting receives.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        Task[] pending;
        lock (_checkpointGate)
            pending = [.. _checkpointWrites];
        await Task.WhenAll(pending);
        if (_options.CheckpointStore is not null)
        {
            foreach (var sub in _topics.Values.SelectMany(t => t.Subscriptions))
            {
                try
                {
                    await WriteCheckpointAsync(sub, force: true);
                }
                catch (IOException ex)
                {
                    Logs.CheckpointFailed(_logger, sub.Topic, sub.Definition.Name, ex.GetType().Name);
                }
            }
        }
        _stopping.Dispose();
    }

    private TopicState TopicOf(string topic) =>
        _topics.TryGetValue(topic, out var state)
            ? state
            : throw new UnknownTopicException($"Topic '{topic}' is not declared in the topology (declared: {string.Join(", ", _topics.Keys)}).");

    private (TopicState Topic, SubscriptionState Sub) SubscriptionOf(string topic, string subscription)
    {
        var state = TopicOf(topic);
        return state.Subscriptions.FirstOrDefault(s => s.Definition.Name == subscription) is { } sub
            ? (state, sub)
            : throw new UnknownTopicException($"Topic '{topic}' has no subscription '{subscription}' (declared: {string.Join(", ", state.Subscriptions.Select(s => s.Definition.Name))}).");
    }

    /// <summary>
    /// Reads topic records appended since the last catch-up into every subscription of the topic. Returns the ledger
    /// head it has seen everything below, so a waiter can sleep until the head moves past it.
    /// </summary>
    private async Task<long> CatchUpAsync(TopicState topic, CancellationToken cancellationToken)
    {
        var head = _ledger.Head;
        if (head <= Volatile.Read(ref topic.ObservedHead))
            return head;
        await topic.Gate.WaitAsync(cancellationToken);
        try
        {
            head = _ledger.Head;
            if (head <= topic.ObservedHead)
                return head;
            var now = _clock.GetUtcNow();
            await foreach (var record in _ledger.ReadStreamAsync(topic.Stream, topic.Cursor, cancellationToken))
            {
                var (header, _) = BusEnvelope.Decode(record);
                foreach (var sub in topic.Subscriptions)
                    sub.Add(NewEntry(record, header, failures: 0), now);
                Volatile.Write(ref topic.Cursor, record.Seq + 1);
            }
            Volatile.Write(ref topic.ObservedHead, head);
            return head;
        }
        finally
        {
            topic.Gate.Release();
        }
    }

    private static Entry NewEntry(LedgerRecord record, EnvelopeHeader header, int failures) =>
        new(record.Seq, record.Key, record.Type, header.SessionKey ?? "", record.CorrelationId, record.CausationId, record.Time, header.ScheduledFor, failures);

    private async Task<bool> WaitForBacklogAsync(TopicState topic, CancellationToken cancellationToken)
    {
        var waited = false;
        DateTimeOffset? waitEnd = null;
        while (true)
        {
            // The state is current up to the last publish (each publish catches up after writing); only when it
            // looks over the bound is it worth catching up with everyone else's publishes before waiting.
            if (OverBacklog(topic) is null)
                return waited;
            await CatchUpAsync(topic, cancellationToken);
            if (OverBacklog(topic) is not { } over)
                return waited;
            var now = _clock.GetUtcNow();
            if (waitEnd is null)
            {
                waitEnd = now + _options.PublishWaitMax;
                waited = true;
                Logs.BackPressure(_logger, topic.Definition.Name, over.Sub.Definition.Name, over.Sub.DueCount, _options.BacklogMaxPerSubscription);
            }
            if (now >= waitEnd)
            {
                // Soft bound: writing anyway is what keeps a handler that publishes from waiting on itself.
                Logs.BackPressureTimedOut(_logger, topic.Definition.Name, over.Sub.Definition.Name, over.Sub.DueCount, _options.PublishWaitMax);
                return waited;
            }
            using var sleep = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stopping.Token);
            await Task.WhenAny(over.Drained, Task.Delay(waitEnd.Value - now, _clock, sleep.Token));
            await sleep.CancelAsync();
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    /// <summary>The first subscription of the topic over its backlog bound and a task completing at its next settlement.</summary>
    private (SubscriptionState Sub, Task Drained)? OverBacklog(TopicState topic)
    {
        foreach (var sub in topic.Subscriptions)
        {
            if (sub.OverBacklog(_options.BacklogMaxPerSubscription) is { } drained)
                return (sub, drained);
        }
        return null;
    }

    private async Task<IReadOnlyList<BusDelivery>> DeliverAsync(SubscriptionState sub, List<LockedMessage> locked, CancellationToken cancellationToken)
    {
        var deliveries = new BusDelivery[locked.Count];
        try
        {
            for (var i = 0; i < locked.Count; i++)
            {
                var (entry, count, token, until) = locked[i];
                var body = BusEnvelope.Body(await _ledger.ReadAsync(entry.Seq, cancellationToken));
                deliveries[i] = new BusDelivery(sub.Topic, sub.Definition.Name, entry.Seq, entry.MessageId, entry.Type, entry.SessionKey,
                    entry.CorrelationId, entry.CausationId, body, count, entry.EnqueuedTime, entry.ScheduledFor, token, until);
            }
        }
        catch
        {
            // Nobody holds these locks: release them at once rather than let them expire and count as failures.
            sub.Unlock(locked);
            throw;
        }
        Logs.Delivered(_logger, sub.Topic, sub.Definition.Name, deliveries.Length, deliveries[0].SequenceNumber);
        return deliveries;
    }

    /// <summary>Records a failed delivery for expired locks, dead-lettering those that reached the max delivery count.</summary>
    private async Task ExpireLocksAsync(SubscriptionState sub)
    {
        var expired = sub.TakeExpired(_clock.GetUtcNow());
        if (expired.Count == 0)
            return;
        foreach (var message in expired)
            Logs.LockExpired(_logger, sub.Topic, sub.Definition.Name, message.Entry.MessageId, message.Entry.Seq, message.DeliveryCount);
        await RecordFailuresAsync(sub, expired, DeadLetterReasons.LockExpired);
    }

    /// <summary>
    /// Writes one ledger batch for failed deliveries (the caller moved them to settling), then releases them, or
    /// removes those that reached the max delivery count: their record is a dead-letter with the failure reason.
    /// </summary>
    private async Task RecordFailuresAsync(SubscriptionState sub, IReadOnlyList<LockedMessage> failed, string reason)
    {
        var max = sub.Definition.MaxDeliveryCount;
        var entries = failed.Select(m => m.DeliveryCount >= max
                ? DeadLetterEntry(sub, m, DeadLetterReasons.MaxDeliveryCountExceeded, reason)
                : BusRecords.Settle(sub.Stream, BusRecords.DeliveryFailed, m.Entry.Ref, new Settlement(m.Entry.Seq, m.DeliveryCount, reason)))
            .ToList();
        try
        {
            // Not cancellable: the messages are out of circulation until the record is written and they are released.
            await _ledger.AppendBatchAsync(entries, CancellationToken.None);
        }
        catch
        {
            foreach (var message in failed)
                sub.RevertSettle(message.Entry);
            throw;
        }
        var deadLettered = false;
        foreach (var message in failed)
        {
            if (message.DeliveryCount >= max)
            {
                sub.EndRemove(message.Entry);
                deadLettered = true;
                Logs.DeadLettered(_logger, sub.Topic, sub.Definition.Name, message.Entry.MessageId, message.Entry.Seq, DeadLetterReasons.MaxDeliveryCountExceeded, message.DeliveryCount);
            }
            else
            {
                sub.EndRelease(message.Entry, reason);
                Logs.Abandoned(_logger, sub.Topic, sub.Definition.Name, message.Entry.MessageId, message.Entry.Seq, message.DeliveryCount, reason);
            }
        }
        if (deadLettered)
            MaybeCheckpoint(sub);
    }

    private static LedgerEntry DeadLetterEntry(SubscriptionState sub, LockedMessage message, string reason, string description) =>
        BusRecords.Settle(sub.DeadLetterStream, BusRecords.MessageDeadLettered, message.Entry.Ref,
            new Settlement(message.Entry.Seq, message.DeliveryCount, reason, description.Length == 0 ? null : description));

    private async Task WriteOrRevertAsync(SubscriptionState sub, Entry entry, LedgerEntry record)
    {
        try
        {
            // Not cancellable: once the settlement is queued it may become durable, and the state must follow the ledger.
            await _ledger.AppendAsync(record, CancellationToken.None);
        }
        catch
        {
            // Not durable (or not known to be): the lock holds again, so the caller may retry or let it expire.
            // A record that did reach the ledger is harmless: a second completion or failure of the same message is idempotent at rebuild.
            sub.RevertSettle(entry);
            throw;
        }
    }

    /// <summary>
    /// Rebuilds every subscription in one sequential scan of the ledger (<see cref="ILedger.ScanAsync{T}"/>) over the topic
    /// streams and the subscriptions' bookkeeping streams, from the lowest checkpoint. A settlement is always written after
    /// its message, so the scan meets a message before anything that settles it: each subscription holds the messages it
    /// has met and not yet seen settled, and at the end those are its unsettled messages, in sequence order.
    /// </summary>
    private async Task RebuildAsync(CancellationToken cancellationToken)
    {
        var now = _clock.GetUtcNow();
        var readers = new Dictionary<string, RebuildReader>(StringComparer.Ordinal);
        var from = long.MaxValue;
        foreach (var topic in _topics.Values)
        {
            foreach (var sub in topic.Subscriptions)
            {
                sub.CheckpointPosition = await ReadCheckpointAsync(sub, cancellationToken);
                var pending = new Dictionary<long, Entry>();
                readers[sub.Stream] = new RebuildReader(null, pending, DeadLetters: false);
                readers[sub.DeadLetterStream] = new RebuildReader(null, pending, DeadLetters: true);
            }
            // The topic's messages below every subscription's checkpoint are settled everywhere: its cursor starts there.
            topic.Cursor = topic.Subscriptions.Count == 0 ? 0 : topic.Subscriptions.Min(s => s.CheckpointPosition);
            readers[topic.Stream] = new RebuildReader(topic, null, DeadLetters: false);
            from = Math.Min(from, topic.Cursor);
        }

        var head = _ledger.Head;
        // Envelope headers and settlements are decoded where the scan reads, ahead of this loop.
        var scan = _ledger.ScanAsync(Math.Min(from, head), new LedgerScanFilter(readers.Keys), view =>
        {
            var record = view.ToRecord(); // a pending message keeps its record
            return readers[record.Stream].Topic is null
                ? (record, Header: null, Settlement: BusRecords.ReadSettlement(record))
                : (record, Header: BusEnvelope.Decode(record).Header, Settlement: (Settlement?)null);
        }, cancellationToken);
        await foreach (var (record, header, settlement) in scan)
        {
            var reader = readers[record.Stream];
            if (reader.Topic is { } topic)
            {
                if (record.Seq < topic.Cursor)
                    continue;
                foreach (var sub in topic.Subscriptions)
                {
                    if (record.Seq >= sub.CheckpointPosition)
                        readers[sub.Stream].Pending![record.Seq] = NewEntry(record, header!, failures: 0);
                }
                topic.Cursor = record.Seq + 1;
            }
            else if (reader.Pending!.TryGetValue(settlement!.Seq, out var entry))
            {
                // A settlement of a message below the subscription's checkpoint finds nothing here: that message is settled.
                if (reader.DeadLetters || record.Type == BusRecords.MessageCompleted)
                    reader.Pending.Remove(settlement.Seq);
                else if (record.Type == BusRecords.DeliveryFailed)
                {
                    entry.Failures = checked(entry.Failures + 1);
                    entry.LastFailureReason = settlement.Reason ?? "";
                }
            }
        }

        foreach (var topic in _topics.Values)
        {
            foreach (var sub in topic.Subscriptions)
            {
                foreach (var entry in readers[sub.Stream].Pending!.Values.OrderBy(e => e.Seq))
                    sub.Add(entry, now);
            }
            // The streams were read after the head was taken, so every topic record below the head is in.
            topic.ObservedHead = head;
            foreach (var sub in topic.Subscriptions)
                Logs.Rebuilt(_logger, topic.Definition.Name, sub.Definition.Name, sub.UnsettledCount, sub.CheckpointPosition);
        }
    }

    /// <summary>
    /// What the rebuild scan does with one stream's records: a topic's messages go to its subscriptions' pending messages;
    /// a subscription's settlements (or dead letters) take them out of its own.
    /// </summary>
    private sealed record RebuildReader(TopicState? Topic, Dictionary<long, Entry>? Pending, bool DeadLetters);

    private static string CheckpointName(SubscriptionState sub) => $"bus/{sub.Topic}/{sub.Definition.Name}/checkpoint.json";

    /// <summary>The subscription's checkpoint position, or 0 when there is none or it does not match this ledger.</summary>
    private async Task<long> ReadCheckpointAsync(SubscriptionState sub, CancellationToken cancellationToken)
    {
        if (_options.CheckpointStore is not { } store)
            return 0;
        var content = await store.GetAsync(CheckpointName(sub), cancellationToken);
        if (content is null)
            return 0;
        sub.CheckpointETag = content.ETag;
        BusCheckpoint? checkpoint;
        try
        {
            checkpoint = JsonSerializer.Deserialize(content.Data.Span, BusJson.Default.BusCheckpoint);
        }
        catch (JsonException)
        {
            checkpoint = null;
        }
        if (checkpoint is null || checkpoint.Position < 0 || checkpoint.Position > _ledger.Head)
        {
            Logs.CheckpointIgnored(_logger, sub.Topic, sub.Definition.Name, checkpoint?.Position ?? -1, "unreadable or beyond the ledger head");
            return 0;
        }
        if (checkpoint.Position > 0)
        {
            var before = await _ledger.ReadAsync(checkpoint.Position - 1, cancellationToken);
            if (!string.Equals(Convert.ToHexString(before.Hash), checkpoint.HashBefore, StringComparison.OrdinalIgnoreCase))
            {
                // The ledger was repaired and rewritten after the checkpoint: positions no longer mean the same records.
                Logs.CheckpointIgnored(_logger, sub.Topic, sub.Definition.Name, checkpoint.Position, "the ledger record before it changed");
                return 0;
            }
        }
        return checkpoint.Position;
    }

    private void MaybeCheckpoint(SubscriptionState sub)
    {
        if (_options.CheckpointStore is null || _stopping.IsCancellationRequested)
            return;
        // The low-water mark costs a walk over the unsettled messages: look at it every so many settlements only.
        var checkEvery = (int)Math.Min(256, _options.CheckpointEveryRecords);
        if (Interlocked.Increment(ref sub.SettledSinceCheckpointCheck) < checkEvery)
            return;
        Volatile.Write(ref sub.SettledSinceCheckpointCheck, 0);
        var topic = _topics[sub.Topic];
        var low = sub.LowWaterMark(Volatile.Read(ref topic.Cursor));
        if (low - sub.CheckpointPosition < _options.CheckpointEveryRecords || Interlocked.CompareExchange(ref sub.CheckpointWriting, 1, 0) != 0)
            return;
        var write = Task.Run(async () =>
        {
            try
            {
                await WriteCheckpointAsync(sub, force: false);
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException or InvalidDataException)
            {
                // A checkpoint is an optimisation: a failed write only means the next start-up reads more.
                Logs.CheckpointFailed(_logger, sub.Topic, sub.Definition.Name, ex.GetType().Name);
            }
            finally
            {
                Volatile.Write(ref sub.CheckpointWriting, 0);
            }
        });
        lock (_checkpointGate)
        {
            _checkpointWrites.RemoveAll(t => t.IsCompleted);
            _checkpointWrites.Add(write);
        }
    }

    /// <summary>
    /// Writes the subscription's low-water mark when it moved: every message below it is settled durably (the
    /// settlement record was appended before the message left the state), so a checkpoint is never ahead of the ledger.
    /// </summary>
    private async Task WriteCheckpointAsync(SubscriptionState sub, bool force)
    {
        var store = _options.CheckpointStore!;
        var topic = _topics[sub.Topic];
        var low = sub.LowWaterMark(Volatile.Read(ref topic.Cursor));
        if (low <= sub.CheckpointPosition || (!force && low - sub.CheckpointPosition < _options.CheckpointEveryRecords))
            return;
        var before = await _ledger.ReadAsync(low - 1);
        var bytes = JsonSerializer.SerializeToUtf8Bytes(new BusCheckpoint(low, Convert.ToHexString(before.Hash)), BusJson.Default.BusCheckpoint);
        var result = await store.PutAsync(CheckpointName(sub), bytes, sub.CheckpointETag);
        if (result.Status == PutStatus.Written)
        {
            sub.CheckpointETag = result.ETag;
            sub.CheckpointPosition = low;
            Logs.CheckpointWritten(_logger, sub.Topic, sub.Definition.Name, low);
        }
        else
        {
            // Someone else changed it (an operator reset, or a second bus on this data folder, which is a bug).
            // Pick up its ETag; the next write tries again with our position, which is a valid lower bound.
            sub.CheckpointETag = (await store.GetInfoAsync(CheckpointName(sub)))?.ETag;
            Logs.CheckpointFailed(_logger, sub.Topic, sub.Definition.Name, result.Status.ToString());
        }
    }

    private static DateTimeOffset? Earliest(DateTimeOffset? a, DateTimeOffset? b) =>
        a is null ? b : b is null ? a : a < b ? a : b;

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private sealed class TopicState(TopicDefinition definition, IReadOnlyList<SubscriptionState> subscriptions)
    {
        public TopicDefinition Definition { get; } = definition;
        public string Stream { get; } = BusRecords.TopicStream(definition.Name);
        public IReadOnlyList<SubscriptionState> Subscriptions { get; } = subscriptions;
        public SemaphoreSlim Gate { get; } = new(1, 1);

        /// <summary>Next ledger position to read the topic stream from: everything below is in every subscription.</summary>
        public long Cursor;

        /// <summary>Ledger head below which every topic record has been read.</summary>
        public long ObservedHead;
    }
}
