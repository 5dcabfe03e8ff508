using HealthFlow.Ledger.Storage;

namespace HealthFlow.Pipeline.Bus;

/// <summary>
/// Bounds of the embedded bus. Two different bounds, on purpose:
/// <list type="bullet">
/// <item><see cref="LockedMaxPerSubscription"/> is hard: a receive never holds more locks than this per subscription.
/// It bounds in-flight work and lock bookkeeping, and can never deadlock anything because it only makes
/// <c>ReceiveAsync</c> return fewer messages.</item>
/// <item><see cref="BacklogMaxPerSubscription"/> is soft: while a subscription of the topic has more due, unsettled
/// messages than this, a publish waits, but at most <see cref="PublishWaitMax"/>, and then writes anyway. A handler
/// that publishes into its own topic (or a cycle of topics) while all handler slots are busy would otherwise wait
/// for a drain only it can cause; with a bounded wait it is slowed, never stopped. Nothing is lost by exceeding the
/// bound: the backlog lives in the ledger, and only a few dozen bytes per unsettled message are held in memory.</item>
/// </list>
/// Bookkeeping (complete, abandon, dead-letter) never waits on back-pressure, so consumers can always drain.
/// </summary>
public sealed class EmbeddedBusOptions
{
    /// <summary>
    /// Due, unsettled messages per subscription above which publishers wait. 10,000 is about a second of bus
    /// throughput on the file store and a few hundred kilobytes of bookkeeping; well beyond any healthy queue.
    /// </summary>
    public int BacklogMaxPerSubscription { get; init; } = 10_000;

    /// <summary>Longest a publish waits for a backlog to fall under its bound before it writes anyway.</summary>
    public TimeSpan PublishWaitMax { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Most messages locked at once per subscription (the in-flight bound); receives return at most this many.</summary>
    public int LockedMaxPerSubscription { get; init; } = 256;

    /// <summary>
    /// Optional store for per-subscription checkpoints (<c>bus/{topic}/{subscription}/checkpoint.json</c>, written with
    /// ETag-conditional puts) so start-up reads the ledger only from the oldest unsettled message. Null: start-up reads
    /// each topic from the start. Must be the store outside the ledger's protected prefix (any name under <c>bus/</c>).
    /// </summary>
    public IBlobStore? CheckpointStore { get; init; }

    /// <summary>A checkpoint is written once the settled position advanced by this many ledger records (and on dispose).</summary>
    public long CheckpointEveryRecords { get; init; } = 4096;
}
