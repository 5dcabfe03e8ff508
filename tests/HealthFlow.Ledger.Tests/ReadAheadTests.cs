namespace HealthFlow.Ledger.Tests;

/// <summary>A sequence enumerated ahead of its consumer gives what enumerating it directly gives: the same items, failures and stops.</summary>
public sealed class ReadAheadTests
{
    [Fact]
    public async Task Items_come_in_order_across_batches_then_the_source_failure_after_the_items_before_it()
    {
        var received = new List<int>();

        var failure = await Assert.ThrowsAsync<InvalidDataException>(async () =>
        {
            await foreach (var item in ReadAhead.EnumerateAsync(_ => Numbers(failAt: 1000), batchSize: 7, batchesAhead: 2))
                received.Add(item);
        });

        Assert.Equal("failed at 1000", failure.Message);
        Assert.Equal(Enumerable.Range(0, 1000), received);
    }

    [Fact]
    public async Task A_consumer_that_stops_early_stops_the_source_and_sees_no_failure_beyond_its_stop()
    {
        var stopped = new TaskCompletionSource();
        var received = new List<int>();

        await foreach (var item in ReadAhead.EnumerateAsync(_ => Numbers(failAt: 30, stopped), batchSize: 8, batchesAhead: 2))
        {
            received.Add(item);
            if (item == 20)
                break;
        }

        Assert.Equal(Enumerable.Range(0, 21), received);
        Assert.True(stopped.Task.IsCompleted, "the source must have finished by the time the consumer's loop ends");
    }

    [Fact]
    public async Task A_cancelled_consumer_gets_its_cancellation_and_stops_the_source()
    {
        using var cancel = new CancellationTokenSource();
        var stopped = new TaskCompletionSource();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var item in ReadAhead.EnumerateAsync(stop => Endless(stopped, stop), batchSize: 4, batchesAhead: 2, cancellationToken: cancel.Token))
            {
                if (item == 10)
                    await cancel.CancelAsync();
            }
        });

        Assert.True(stopped.Task.IsCompleted);
    }

    [Fact]
    public async Task A_batch_ends_once_its_items_reach_the_byte_bound_so_large_items_keep_the_read_ahead_small()
    {
        var produced = new int[1];
        async IAsyncEnumerable<(int, int)> Counted()
        {
            for (var i = 0; i < 5000; i++)
            {
                Volatile.Write(ref produced[0], i + 1);
                if (i % 10 == 0)
                    await Task.Yield();
                yield return (i, 100);
            }
        }

        // 100 "bytes" an item and batches of at most 1,000 bytes: 10 items a batch, though 1,000 would fit by count.
        await using var items = ReadAhead.EnumerateAsync(_ => Counted(), batchSize: 1000, batchesAhead: 1, batchBytes: 1000)
            .GetAsyncEnumerator();
        Assert.True(await items.MoveNextAsync());
        var deadline = DateTime.UtcNow.AddSeconds(1);
        while (Volatile.Read(ref produced[0]) < 1000 && DateTime.UtcNow < deadline)
            await Task.Delay(10);

        // The batch being read, one in the channel, one waiting for room and the item after it: about 31 at most.
        Assert.InRange(Volatile.Read(ref produced[0]), 1, 40);
    }

    private static async IAsyncEnumerable<(int, int)> Numbers(int failAt, TaskCompletionSource? stopped = null)
    {
        try
        {
            for (var i = 0; ; i++)
            {
                if (i == failAt)
                    throw new InvalidDataException($"failed at {i}");
                if (i % 100 == 0)
                    await Task.Yield();
                yield return (i, 1);
            }
        }
        finally
        {
            stopped?.TrySetResult();
        }
    }

    private static async IAsyncEnumerable<(int, int)> Endless(TaskCompletionSource stopped, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        try
        {
            for (var i = 0; ; i++)
            {
                await Task.Delay(1, cancellationToken);
                yield return (i, 1);
            }
        }
        finally
        {
            stopped.TrySetResult();
        }
    }
}
