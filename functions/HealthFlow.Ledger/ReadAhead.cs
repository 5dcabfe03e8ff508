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
    /// <paramref name="batchSize"/> ahead. The source's failure is thrown after the items before it, as enumerating it
    /// directly would; a consumer that stops early stops the source and never sees a failure beyond where it stopped.
    /// </summary>
    public static async IAsyncEnumerable<T> EnumerateAsync<T>(Func<CancellationToken, IAsyncEnumerable<T>> source, int batchSize, int batchesAhead,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var channel = Channel.CreateBounded<List<T>>(new BoundedChannelOptions(batchesAhead) { SingleReader = true, SingleWriter = true });
        var producer = Task.Run(() => ProduceAsync(source(stop.Token), channel.Writer, batchSize, stop.Token), CancellationToken.None);
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

    private static async Task ProduceAsync<T>(IAsyncEnumerable<T> source, ChannelWriter<List<T>> writer, int batchSize, CancellationToken cancellationToken)
    {
        var batch = new List<T>(batchSize);
        try
        {
            await foreach (var item in source)
            {
                if (batch.Count == batchSize)
                {
                    await writer.WriteAsync(batch, cancellationToken);
                    batch = new List<T>(batchSize);
                }
                batch.Add(item);
            }
        }
        finally
        {
            try
            {
                // What the source gave before it ended, or failed, goes to the consumer first (unless it has stopped).
                if (batch.Count > 0 && !cancellationToken.IsCancellationRequested)
                    await writer.WriteAsync(batch, cancellationToken);
            }
            finally
            {
                // Completed without the failure: the consumer takes that from this task once it has every item before it.
                writer.Complete();
            }
        }
    }
}
