using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace HealthFlow.Ledger;

/// <summary>
/// Enumerates a sequence on another thread, ahead of its consumer: batches of items pass through a bounded channel, so
/// producing (reading, verifying and decoding records) overlaps consuming (applying them) on a second core.
/// </summary>
internal static class ReadAhead
{
    /// <summary>
    /// The items of <paramref name="source"/>, in order, produced up to <paramref name="batchesAhead"/> batches of
    /// <paramref name="batchSize"/> ahead, a batch ending early once its items' sizes reach <paramref name="batchBytes"/>
    /// (large items keep the batches in flight small). The source's failure is thrown after the items before it, as
    /// enumerating directly would; a consumer that stops early stops the source and never sees a failure beyond where it stopped.
    /// </summary>
    public static async IAsyncEnumerable<T> EnumerateAsync<T>(Func<CancellationToken, IAsyncEnumerable<(T Item, int Size)>> source,
        int batchSize, int batchesAhead, long batchBytes = long.MaxValue, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var channel = Channel.CreateBounded<T[]>(new BoundedChannelOptions(batchesAhead) { SingleReader = true, SingleWriter = true });
        var producer = Task.Run(() => ProduceAsync(source(stop.Token), channel.Writer, batchSize, batchBytes, stop.Token), CancellationToken.None);
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

    private static async Task ProduceAsync<T>(IAsyncEnumerable<(T Item, int Size)> source, ChannelWriter<T[]> writer, int batchSize, long batchBytes,
        CancellationToken cancellationToken)
    {
        var batch = new List<T>(batchSize);
        var bytes = 0L;
        try
        {
            await foreach (var (item, size) in source)
            {
                if (batch.Count == batchSize || bytes >= batchBytes)
                {
                    await HandOverAsync(batch, writer, cancellationToken);
                    bytes = 0;
                }
                batch.Add(item);
                bytes += size;
            }
        }
        finally
        {
            try
            {
                // What the source gave before it ended, or failed, goes to the consumer first (unless it has stopped).
                if (batch.Count > 0 && !cancellationToken.IsCancellationRequested)
                    await HandOverAsync(batch, writer, cancellationToken);
            }
            finally
            {
                // Completed without the failure: the consumer takes that from this task once it has every item before it.
                writer.Complete();
            }
        }
    }

    private static async Task HandOverAsync<T>(List<T> batch, ChannelWriter<T[]> writer, CancellationToken cancellationToken)
    {
        var items = batch.ToArray();
        batch.Clear();
        await writer.WriteAsync(items, cancellationToken);
    }
}
