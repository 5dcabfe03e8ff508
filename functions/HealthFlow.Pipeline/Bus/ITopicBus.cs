using HealthFlow.Ledger;

namespace HealthFlow.Pipeline.Bus;

/// <summary>
/// The topic-bus port: topics with durable subscriptions, peek-lock delivery, at-least-once. Shaped after Azure
/// Service Bus (sender, peek-lock receiver, complete/abandon/dead-letter/renew, scheduled messages, sessions,
/// max delivery count) so the Functions app can implement it over Service Bus and the embedded bus
/// (<see cref="EmbeddedTopicBus"/>) implements it over the ledger.
/// </summary>
/// <remarks>
/// Invariants every implementation keeps:
/// <list type="bullet">
/// <item>At-least-once: a published message is delivered to every subscription of its topic until it is
/// completed or dead-lettered there; a lock that expires or is abandoned makes the message deliverable again.</item>
/// <item>A completed message is never delivered again to that subscription, across restarts.</item>
/// <item>A message is not delivered before its <see cref="BusMessage.ScheduledFor"/>.</item>
/// <item>On a subscription that requires sessions, a message is not handed out while an earlier message of the
/// same session key is locked or unsettled; different sessions proceed in parallel.</item>
/// <item>After <c>maxDeliveryCount</c> failed deliveries (abandon or lock expiry) the message is dead-lettered
/// with reason <see cref="DeadLetterReasons.MaxDeliveryCountExceeded"/> and the last failure reason as description.</item>
/// </list>
/// Handlers must therefore be idempotent (keyed on <see cref="BusDelivery.MessageId"/>): at-least-once means a
/// crash between the handler's effect and <see cref="CompleteAsync"/> redelivers the message.
/// Expected outcomes (lock lost) are values; an unknown topic or a malformed message is a bug and throws.
/// </remarks>
public interface ITopicBus
{
    /// <summary>Publishes one message to <paramref name="topic"/>; returns once it is durable.</summary>
    /// <exception cref="UnknownTopicException">The topic is not declared in the topology.</exception>
    ValueTask<PublishReceipt> PublishAsync(string topic, BusMessage message, CancellationToken cancellationToken = default);

    /// <summary>
    /// Publishes messages to <paramref name="topic"/> atomically and in order (one ledger commit on the embedded
    /// bus, one <c>ServiceBusMessageBatch</c> on Service Bus); returns once all are durable.
    /// </summary>
    /// <exception cref="UnknownTopicException">The topic is not declared in the topology.</exception>
    ValueTask<PublishReceipt> PublishBatchAsync(string topic, IReadOnlyList<BusMessage> messages, CancellationToken cancellationToken = default);

    /// <summary>
    /// Locks and returns up to <paramref name="maxMessages"/> messages of a subscription, waiting up to
    /// <paramref name="maxWait"/> (<see cref="Timeout.InfiniteTimeSpan"/>: until cancelled) for the first one.
    /// Returns an empty list when nothing became deliverable in time. Each message stays locked until
    /// <see cref="BusDelivery.LockedUntil"/> unless completed, abandoned, dead-lettered or renewed.
    /// </summary>
    ValueTask<IReadOnlyList<BusDelivery>> ReceiveAsync(string topic, string subscription, int maxMessages, TimeSpan maxWait, CancellationToken cancellationToken = default);

    /// <summary>Settles a delivery: the subscription never delivers this message again.</summary>
    ValueTask<SettleResult> CompleteAsync(BusDelivery delivery, CancellationToken cancellationToken = default);

    /// <summary>
    /// Releases a delivery's lock so the message is delivered again; counts toward the max delivery count.
    /// <paramref name="reason"/> is kept with the message's history: a type or code, never payload content.
    /// </summary>
    ValueTask<SettleResult> AbandonAsync(BusDelivery delivery, string reason, CancellationToken cancellationToken = default);

    /// <summary>Moves a delivery to the subscription's dead-letter sub-queue with a reason (no payload content).</summary>
    ValueTask<SettleResult> DeadLetterAsync(BusDelivery delivery, string reason, string description = "", CancellationToken cancellationToken = default);

    /// <summary>Extends a delivery's lock by the subscription's lock duration from now.</summary>
    ValueTask<LockRenewal> RenewLockAsync(BusDelivery delivery, CancellationToken cancellationToken = default);

    /// <summary>The messages dead-lettered on a subscription, oldest first, with their bodies (for replay).</summary>
    IAsyncEnumerable<DeadLetteredMessage> ReadDeadLettersAsync(string topic, string subscription, CancellationToken cancellationToken = default);
}

/// <summary>
/// A bus whose topics live in the ledger (the embedded bus): publishing is appending entries, so a caller can
/// commit messages together with its own records in one ledger batch, one fsync, all or nothing. Ingestion uses it
/// to make a receipt, its raw payload and its events durable at once; over Service Bus it publishes separately.
/// </summary>
public interface ILedgerTopicBus : ITopicBus
{
    /// <summary>The entries whose commit publishes <paramref name="messages"/> to <paramref name="topic"/>, after the back-pressure wait.</summary>
    ValueTask<IReadOnlyList<LedgerEntry>> PrepareBatchAsync(string topic, IReadOnlyList<BusMessage> messages, CancellationToken cancellationToken = default);
}

/// <summary>
/// A message to publish. <see cref="MessageId"/> is the source's identity (an idempotency key, never minted on
/// arrival) and consumers deduplicate on it; <see cref="Body"/> is opaque bytes the bus stores and delivers
/// unchanged and never logs.
/// </summary>
/// <param name="MessageId">Non-empty identity from the source document.</param>
/// <param name="Type">Non-empty message type, e.g. <c>RemittanceReceived</c>; the ledger record type.</param>
/// <param name="Body">Opaque payload (JSON for events). Keep it small: large payloads travel as a reference to their ledger record.</param>
/// <param name="SessionKey">Ordering key; required (non-empty) on topics with a subscription that requires sessions.</param>
/// <param name="CorrelationId">The ingest receipt the message descends from.</param>
/// <param name="CausationId">The record or message that caused this one.</param>
/// <param name="ScheduledFor">Earliest delivery time; null delivers at once.</param>
public sealed record BusMessage(
    string MessageId,
    string Type,
    ReadOnlyMemory<byte> Body,
    string SessionKey = "",
    string CorrelationId = "",
    string CausationId = "",
    DateTimeOffset? ScheduledFor = null);

/// <summary>
/// One locked delivery of a message to a subscription. Settle it with the bus it came from; the
/// <see cref="LockToken"/> identifies this lock, so settling with a stale delivery after the lock was lost
/// returns <see cref="SettleResult.LockLost"/>.
/// </summary>
/// <param name="Topic">Topic the message was published to.</param>
/// <param name="Subscription">Subscription this delivery belongs to.</param>
/// <param name="SequenceNumber">The message's position (the ledger sequence number of its record on the embedded bus).</param>
/// <param name="MessageId">The source's identity of the message.</param>
/// <param name="Type">Message type.</param>
/// <param name="SessionKey">Ordering key; empty when none.</param>
/// <param name="CorrelationId">Ingest receipt the message descends from.</param>
/// <param name="CausationId">What caused the message.</param>
/// <param name="Body">The published bytes, unchanged.</param>
/// <param name="DeliveryCount">1 on the first delivery; one more after each abandon or lock expiry.</param>
/// <param name="EnqueuedTime">When the message was published (durable).</param>
/// <param name="ScheduledFor">The earliest delivery time it was published with, if any.</param>
/// <param name="LockToken">Identity of this lock.</param>
/// <param name="LockedUntil">When the lock expires unless renewed.</param>
public sealed record BusDelivery(
    string Topic,
    string Subscription,
    long SequenceNumber,
    string MessageId,
    string Type,
    string SessionKey,
    string CorrelationId,
    string CausationId,
    ReadOnlyMemory<byte> Body,
    int DeliveryCount,
    DateTimeOffset EnqueuedTime,
    DateTimeOffset? ScheduledFor,
    Guid LockToken,
    DateTimeOffset LockedUntil);

/// <summary>What a publish wrote.</summary>
/// <param name="FirstSequenceNumber">Sequence number of the first message; the rest follow contiguously.</param>
/// <param name="Count">Number of messages published.</param>
/// <param name="BackPressured">
/// True when a subscription's backlog was over its bound and the publish waited (up to the configured maximum)
/// before writing: consumers are behind, so callers at the edge may slow their senders down.
/// </param>
public readonly record struct PublishReceipt(long FirstSequenceNumber, int Count, bool BackPressured);

/// <summary>How a settlement (complete, abandon, dead-letter) ended.</summary>
public enum SettleResult
{
    /// <summary>The settlement is durable.</summary>
    Settled,
    /// <summary>
    /// The lock had expired, was already settled, or belongs to an earlier delivery; nothing was changed. The
    /// message will be (or was) delivered again, so the handler's effect must be idempotent.
    /// </summary>
    LockLost,
}

/// <summary>Result of <see cref="ITopicBus.RenewLockAsync"/>.</summary>
/// <param name="Result"><see cref="SettleResult.Settled"/> when renewed, <see cref="SettleResult.LockLost"/> otherwise.</param>
/// <param name="LockedUntil">The new expiry when renewed.</param>
public readonly record struct LockRenewal(SettleResult Result, DateTimeOffset LockedUntil);

/// <summary>A dead-lettered message with its body and why it was dead-lettered.</summary>
public sealed record DeadLetteredMessage(
    string Topic,
    string Subscription,
    long SequenceNumber,
    string MessageId,
    string Type,
    string SessionKey,
    string CorrelationId,
    string CausationId,
    ReadOnlyMemory<byte> Body,
    DateTimeOffset EnqueuedTime,
    int DeliveryCount,
    string Reason,
    string Description,
    DateTimeOffset DeadLetteredTime);

/// <summary>Dead-letter reasons the bus itself uses (Service Bus uses the same strings).</summary>
public static class DeadLetterReasons
{
    /// <summary>The message failed <c>maxDeliveryCount</c> deliveries; the description holds the last failure reason.</summary>
    public const string MaxDeliveryCountExceeded = "MaxDeliveryCountExceeded";

    /// <summary>Failure reason recorded when a lock expired without settlement.</summary>
    public const string LockExpired = "LockExpired";
}

/// <summary>Thrown when publishing to or receiving from a topic or subscription the topology does not declare: a bug or a stale topology file.</summary>
public sealed class UnknownTopicException : ArgumentException
{
    public UnknownTopicException()
    {
    }

    public UnknownTopicException(string message) : base(message)
    {
    }

    public UnknownTopicException(string message, Exception innerException) : base(message, innerException)
    {
    }
}
