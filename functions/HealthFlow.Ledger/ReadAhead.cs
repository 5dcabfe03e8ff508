using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Threading.Channels;

namespace HealthFlow.Ledger;

/// <summary>
/// Enumerates a sequence on another thread, ahead of its consumer: batches of items pass through a bounded channel, so
/// producing (reading, verifying and decoding records) overlaps consuming (applying them) on a second core.
/// </summary>
internal static class ReadAhead
{
    /// <summary>
    /// How many parts work done on several cores (decoding a batch, verifying a segment's chunk) is cut into: a few per core,
    /// so that a core another process holds does not leave the rest waiting on its part.
    /// </summary>
    internal static readonly int Parts = Environment.ProcessorCount == 1 ? 1 : 4 * Environment.ProcessorCount;

    /// <summary>
    /// The items of <paramref name="source"/>, each passed through <paramref name="decode"/>, in order, produced up to
    /// <paramref name="batchesAhead"/> batches of <paramref name="batchSize"/> ahead, a batch ending early once its items'
    /// <paramref name="size"/> reach <paramref name="batchBytes"/> (large items keep the batches in flight small). A batch is decoded in parts on several
    /// cores, so <paramref name="decode"/> must be thread-safe. The first failure, of the source or of a decode, is thrown
    /// after the items before it, as enumerating directly would; a consumer that stops early stops the source and never
    /// sees a failure beyond where it stopped.
    /// </summary>
    public static async IAsyncEnumerable<T> EnumerateAsync<TSource, T>(Func<CancellationToken, IAsyncEnumerable<TSource>> source, Func<TSource, T> decode,
        int batchSize, int batchesAhead, Func<TSource, int>? size = null, long batchBytes = long.MaxValue,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var channel = Channel.CreateBounded<T[]>(new BoundedChannelOptions(batchesAhead) { SingleReader = true, SingleWriter = true });
        var producer = Task.Run(() => ProduceAsync(source(stop.Token), decode, channel.Writer, batchSize, size, batchBytes, stop.Token), CancellationToken.None);
        var drained = false;
        try
        {
            while (await channel.Reader.WaitToReadAsync(cancellationToken))
            {
                while (channel.Reader.TryRead(out var batch))
                {
                    foreach (var item in batch)
                        yield return item;
                }
            }
            drained = true;
        }
        finally
        {
            if (!drained)
            {
                await stop.CancelAsync();
                // What the source did past the consumer's stop is no concern of the consumer's.
                await producer.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
        await producer;
    }

    private static async Task ProduceAsync<TSource, T>(IAsyncEnumerable<TSource> source, Func<TSource, T> decode, ChannelWriter<T[]> writer, int batchSize,
        Func<TSource, int>? size, long batchBytes, CancellationToken cancellationToken)
    {
        var batch = new List<TSource>(batchSize);
        var bytes = 0L;
        try
        {
            await foreach (var item in source)
            {
                if (batch.Count == batchSize || bytes >= batchBytes)
                {
                    await HandOverAsync(batch, decode, writer, cancellationToken);
                    bytes = 0;
                }
                batch.Add(item);
                bytes += size?.Invoke(item) ?? 0;
            }
        }
        finally
        {
            try
            {
                // What the source gave before it ended, or failed, goes to the consumer first (unless it has stopped).
                if (batch.Count > 0 && !cancellationToken.IsCancellationRequested)
                    await HandOverAsync(batch, decode, writer, cancellationToken);
            }
            finally
            {
                // Completed without the failure: the consumer takes that from this task once it has every item before it.
                writer.Complete();
            }
        }
    }

    /// <summary>Decodes <paramref name="batch"/> and hands the items over, up to the first that fails to decode; then throws that failure.</summary>
    private static async Task HandOverAsync<TSource, T>(List<TSource> batch, Func<TSource, T> decode, ChannelWriter<T[]> writer, CancellationToken cancellationToken)
    {
        var items = new T[batch.Count];
        var failures = new (int At, ExceptionDispatchInfo? Failure)[Parts];
        Parallel.For(0, Parts, part =>
        {
            failures[part] = (batch.Count, null);
            for (var i = batch.Count * part / Parts; i < batch.Count * (part + 1) / Parts; i++)
            {
                try
                {
                    items[i] = decode(batch[i]);
                }
                catch (Exception ex)
                {
                    failures[part] = (i, ExceptionDispatchInfo.Capture(ex));
                    return;
                }
            }
        });
        batch.Clear();
        var (at, failure) = failures.MinBy(f => f.At);
        if (at > 0)
            await writer.WriteAsync(failure is null ? items : items[..at], cancellationToken);
        failure?.Throw();
    }
}
