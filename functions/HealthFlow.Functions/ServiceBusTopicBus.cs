using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Azure.Messaging.ServiceBus;
using HealthFlow.Ledger;
using HealthFlow.Pipeline.Bus;

namespace HealthFlow.Functions;

/// <summary>
/// The publishing side of <see cref="ITopicBus"/> on Azure Service Bus, plus reading dead letters for replay.
/// In Azure the receiving side is the Functions host: Service Bus triggers lock, complete, abandon and dead-letter
/// (host.json, "serviceBus"), so the pull methods of the port are not used here and say so.
/// </summary>
/// <remarks>
/// Message ids are the source's idempotency keys (duplicate detection drops a retried publish); the session key is
/// the Service Bus SessionId; a batch is one <see cref="ServiceBusMessageBatch"/>, sent atomically. A batch that does
/// not fit the namespace's message size limit (256 KB on Standard) is refused, never split.
/// <para>Every published message is also appended to the ledger as the embedded bus records it
/// (<see cref="TopicRecords"/>), before it is sent: the ledger stays the record of what was published, the workflows'
/// read models rebuild from it at start, and a claim-check (RemittanceToGl's input) names the message's record, whose
/// position travels as the application property <see cref="LedgerSequenceProperty"/>. A publish retried after a failed
/// send appends again; consumers key on the message id, so the repeat changes nothing.</para>
/// </remarks>
public sealed class ServiceBusTopicBus(ServiceBusClient client, BusTopology topology, ILedger ledger) : ITopicBus, IAsyncDisposable
{
    /// <summary>Application property carrying the message's ledger sequence number (a long).</summary>
    public const string LedgerSequenceProperty = "ledgerSeq";

    private readonly ConcurrentDictionary<string, ServiceBusSender> _senders = new(StringComparer.Ordinal);

    public ValueTask<PublishReceipt> PublishAsync(string topic, BusMessage message, CancellationToken cancellationToken = default) =>
        PublishBatchAsync(topic, [message], cancellationToken);

    public async ValueTask<PublishReceipt> PublishBatchAsync(string topic, IReadOnlyList<BusMessage> messages, CancellationToken cancellationToken = default)
    {
        var name = Topic(topic).Name;
        var first = await ledger.AppendBatchAsync([.. messages.Select(m => TopicRecords.For(name, m))], cancellationToken);
        var sender = _senders.GetOrAdd(name, client.CreateSender);
        using var batch = await sender.CreateMessageBatchAsync(cancellationToken);
        for (var i = 0; i < messages.Count; i++)
        {
            if (!batch.TryAddMessage(ToServiceBus(messages[i], first + i)))
                throw new InvalidOperationException(
                    $"{messages.Count} message(s) for topic '{topic}' exceed one Service Bus batch ({batch.MaxSizeInBytes} bytes): publish a ledger reference instead of the payload.");
        }
        await sender.SendMessagesAsync(batch, cancellationToken);
        return new PublishReceipt(first, messages.Count, BackPressured: false);
    }

    public ValueTask<IReadOnlyList<BusDelivery>> ReceiveAsync(string topic, string subscription, int maxMessages, TimeSpan maxWait, CancellationToken cancellationToken = default) =>
        throw TriggersOnly();

    public ValueTask<SettleResult> CompleteAsync(BusDelivery delivery, CancellationToken cancellationToken = default) => throw TriggersOnly();

    public ValueTask<SettleResult> AbandonAsync(BusDelivery delivery, string reason, CancellationToken cancellationToken = default) => throw TriggersOnly();

    public ValueTask<SettleResult> DeadLetterAsync(BusDelivery delivery, string reason, string description = "", CancellationToken cancellationToken = default) =>
        throw TriggersOnly();

    public ValueTask<LockRenewal> RenewLockAsync(BusDelivery delivery, CancellationToken cancellationToken = default) => throw TriggersOnly();

    public async IAsyncEnumerable<DeadLetteredMessage> ReadDeadLettersAsync(string topic, string subscription, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var definition = Topic(topic);
        if (definition.FindSubscription(subscription) is null)
            throw new UnknownTopicException($"Topic '{topic}' has no subscription '{subscription}' in the topology.");
        // Peek, never receive: reading dead letters for replay must not remove them.
        await using var receiver = client.CreateReceiver(topic, subscription, new ServiceBusReceiverOptions { SubQueue = SubQueue.DeadLetter });
        long? from = null;
        while (true)
        {
            var page = await receiver.PeekMessagesAsync(100, from, cancellationToken);
            if (page.Count == 0)
                yield break;
            foreach (var message in page)
            {
                yield return new DeadLetteredMessage(
                    topic, subscription, message.SequenceNumber, message.MessageId, message.Subject ?? "", message.SessionId ?? "",
                    message.CorrelationId ?? "", Property(message, "causationId"), message.Body.ToMemory(), message.EnqueuedTime,
                    message.DeliveryCount, message.DeadLetterReason ?? "", message.DeadLetterErrorDescription ?? "",
                    // Service Bus does not stamp the dead-lettering time on the message; the enqueue time is the bound we have.
                    message.EnqueuedTime);
            }
            from = page[^1].SequenceNumber + 1;
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var sender in _senders.Values)
            await sender.DisposeAsync();
    }

    private TopicDefinition Topic(string name) =>
        topology.FindTopic(name) ?? throw new UnknownTopicException($"Topic '{name}' is not declared in the topology.");

    private static ServiceBusMessage ToServiceBus(BusMessage message, long ledgerSeq)
    {
        var result = new ServiceBusMessage(message.Body)
        {
            MessageId = message.MessageId,
            Subject = message.Type,
            CorrelationId = message.CorrelationId,
            ContentType = "application/json",
        };
        result.ApplicationProperties[LedgerSequenceProperty] = ledgerSeq;
        if (message.SessionKey.Length > 0)
            result.SessionId = message.SessionKey;
        if (message.CausationId.Length > 0)
            result.ApplicationProperties["causationId"] = message.CausationId;
        if (message.ScheduledFor is { } scheduled)
            result.ScheduledEnqueueTime = scheduled;
        return result;
    }

    private static string Property(ServiceBusReceivedMessage message, string name) =>
        message.ApplicationProperties.TryGetValue(name, out var value) ? value?.ToString() ?? "" : "";

    private static NotSupportedException TriggersOnly() =>
        new("In Azure, Service Bus triggers receive and settle messages (host.json, \"serviceBus\"); ServiceBusTopicBus only publishes and reads dead letters.");
}
