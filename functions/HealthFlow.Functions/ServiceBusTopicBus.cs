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
/// the Service Bus SessionId. Messages are sent in order in as few <see cref="ServiceBusMessageBatch"/>es as fit the
/// namespace's size limit (256 KB per batch on Standard). A body over <see cref="InlineBodyMax"/> travels as a
/// claim-check: the message carries no body, <see cref="ClaimCheckProperty"/> and its ledger position, and
/// <see cref="BodyAsync"/> reads the body from the ledger on whichever instance receives it. A publish that fails
/// part-way is retried whole by its caller; the ledger then holds the messages twice and consumers drop the repeats
/// by message id, as for any redelivery.
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

    /// <summary>Application property (true) of a message whose body is in its ledger record only.</summary>
    public const string ClaimCheckProperty = "claimCheck";

    /// <summary>Largest body sent inline: Standard's 256 KB limit less room for properties and the AMQP envelope.</summary>
    public const int InlineBodyMax = 192 * 1024;

    private readonly ConcurrentDictionary<string, ServiceBusSender> _senders = new(StringComparer.Ordinal);

    public ValueTask<PublishReceipt> PublishAsync(string topic, BusMessage message, CancellationToken cancellationToken = default) =>
        PublishBatchAsync(topic, [message], cancellationToken);

    public async ValueTask<PublishReceipt> PublishBatchAsync(string topic, IReadOnlyList<BusMessage> messages, CancellationToken cancellationToken = default)
    {
        var name = Topic(topic).Name;
        var first = await ledger.AppendBatchAsync([.. messages.Select(m => TopicRecords.For(name, m))], cancellationToken);
        var sender = _senders.GetOrAdd(name, client.CreateSender);
        var batch = await sender.CreateMessageBatchAsync(cancellationToken);
        try
        {
            for (var i = 0; i < messages.Count; i++)
            {
                var message = ToServiceBus(messages[i], first + i);
                if (batch.TryAddMessage(message))
                    continue;
                // Full: send what it holds and go on in a new batch.
                if (batch.Count > 0)
                {
                    await sender.SendMessagesAsync(batch, cancellationToken);
                    batch.Dispose();
                    batch = await sender.CreateMessageBatchAsync(cancellationToken);
                }
                if (!batch.TryAddMessage(message))
                    throw new InvalidOperationException($"A message for topic '{topic}' does not fit an empty Service Bus batch ({batch.MaxSizeInBytes} bytes) even without its body.");
            }
            if (batch.Count > 0)
                await sender.SendMessagesAsync(batch, cancellationToken);
        }
        finally
        {
            batch.Dispose();
        }
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
                    message.CorrelationId ?? "", Property(message, "causationId"), await BodyAsync(ledger, message, cancellationToken), message.EnqueuedTime,
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

    /// <summary>A received message's body: inline, or read from the ledger record its claim-check names.</summary>
    public static async ValueTask<ReadOnlyMemory<byte>> BodyAsync(ILedger ledger, ServiceBusReceivedMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        ArgumentNullException.ThrowIfNull(message);
        if (!(message.ApplicationProperties.TryGetValue(ClaimCheckProperty, out var claimCheck) && claimCheck is true))
            return message.Body.ToMemory();
        var seq = message.ApplicationProperties.TryGetValue(LedgerSequenceProperty, out var value) && value is long ledgerSeq
            ? ledgerSeq
            : throw new InvalidDataException($"Claim-check message {message.MessageId} names no ledger record.");
        return TopicRecords.BodyOf(await ledger.ReadAsync(seq, cancellationToken));
    }

    private static ServiceBusMessage ToServiceBus(BusMessage message, long ledgerSeq)
    {
        var claimCheck = message.Body.Length > InlineBodyMax;
        var result = new ServiceBusMessage(claimCheck ? ReadOnlyMemory<byte>.Empty : message.Body)
        {
            MessageId = message.MessageId,
            Subject = message.Type,
            CorrelationId = message.CorrelationId,
            ContentType = "application/json",
        };
        result.ApplicationProperties[LedgerSequenceProperty] = ledgerSeq;
        if (claimCheck)
            result.ApplicationProperties[ClaimCheckProperty] = true;
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
