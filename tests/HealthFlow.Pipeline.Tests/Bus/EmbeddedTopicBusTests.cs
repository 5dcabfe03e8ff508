using System.Text;
using HealthFlow.Pipeline.Bus;
using static HealthFlow.Pipeline.Tests.Bus.BusFixture;

namespace HealthFlow.Pipeline.Tests.Bus;

public sealed class A_published_message
{
    [Fact]
    public async Task is_delivered_locked_with_its_identity_and_body_unchanged_then_completed()
    {
        await using var f = await StartAsync();
        var body = Encoding.UTF8.GetBytes("{\"amount_minor\":12345}");
        var receipt = await f.Bus.PublishAsync(Orders, new BusMessage("m-1", "OrderPlaced", body, CorrelationId: "r-1", CausationId: "c-1"));

        var delivered = Assert.Single(await f.ReceiveNowAsync());

        Assert.Equal(receipt.FirstSequenceNumber, delivered.SequenceNumber);
        Assert.Equal(("m-1", "OrderPlaced", "r-1", "c-1", 1), (delivered.MessageId, delivered.Type, delivered.CorrelationId, delivered.CausationId, delivered.DeliveryCount));
        Assert.Equal(body, delivered.Body.ToArray());
        Assert.Equal(f.Clock.GetUtcNow(), delivered.EnqueuedTime);
        Assert.Equal(f.Clock.GetUtcNow() + TimeSpan.FromSeconds(30), delivered.LockedUntil);
        Assert.Equal(SettleResult.Settled, await f.Bus.CompleteAsync(delivered));
        Assert.Empty(await f.ReceiveNowAsync());
        Assert.Equal(0, f.Bus.UnsettledCount(Orders, Worker));
    }

    [Fact]
    public async Task is_stored_on_the_topic_stream_with_the_body_bytes_as_published()
    {
        await using var f = await StartAsync();
        await f.Bus.PublishAsync(Orders, Message("m-1", "BODY"));

        var record = Assert.Single(await f.StreamAsync("topic/orders"));

        Assert.Equal(("OrderPlaced", "m-1", "receipt-m-1", "cause-m-1"), (record.Type, record.Key, record.CorrelationId, record.CausationId));
        Assert.EndsWith("BODY", Encoding.UTF8.GetString(record.Payload.Span), StringComparison.Ordinal);
    }

    [Fact]
    public async Task goes_to_every_subscription_of_its_topic_independently()
    {
        await using var f = await StartAsync();
        await f.Bus.PublishAsync(Orders, Message("m-1"));

        var worker = Assert.Single(await f.ReceiveNowAsync(Orders, Worker));
        await f.Bus.CompleteAsync(worker);

        Assert.Single(await f.ReceiveNowAsync(Orders, Audit));
    }

    [Fact]
    public async Task wakes_a_waiting_receive()
    {
        await using var f = await StartAsync();
        var receive = f.Bus.ReceiveAsync(Orders, Worker, 10, TimeSpan.FromMinutes(1)).AsTask();
        await Task.Delay(50);
        Assert.False(receive.IsCompleted);

        await f.Bus.PublishAsync(Orders, Message("m-1"));

        Assert.Equal("m-1", Assert.Single(await receive.WaitAsync(TimeSpan.FromSeconds(10))).MessageId);
    }

    [Fact]
    public async Task a_receive_that_waits_in_vain_returns_nothing_when_its_wait_ends()
    {
        await using var f = await StartAsync();
        var receive = f.Bus.ReceiveAsync(Orders, Worker, 10, TimeSpan.FromSeconds(5)).AsTask();
        await f.Clock.WaitForTimersAsync();

        f.Clock.Advance(TimeSpan.FromSeconds(5));

        Assert.Empty(await receive.WaitAsync(TimeSpan.FromSeconds(10)));
    }
}

public sealed class A_completed_message
{
    [Fact]
    public async Task is_never_redelivered_even_after_a_restart()
    {
        await using var f = await StartAsync();
        await f.Bus.PublishBatchAsync(Orders, [Message("m-1"), Message("m-2")]);
        var deliveries = await f.ReceiveNowAsync();
        Assert.Equal(SettleResult.Settled, await f.Bus.CompleteAsync(deliveries[0]));
        Assert.Equal(SettleResult.Settled, await f.Bus.CompleteAsync(deliveries[1]));

        await f.RestartAsync();

        Assert.Empty(await f.ReceiveNowAsync());
        f.Clock.Advance(TimeSpan.FromHours(1));
        Assert.Empty(await f.ReceiveNowAsync());
        Assert.Equal(2, (await f.StreamAsync("bus/orders/worker")).Count(r => r.Type == "MessageCompleted"));
    }

    [Fact]
    public async Task cannot_be_completed_twice()
    {
        await using var f = await StartAsync();
        await f.Bus.PublishAsync(Orders, Message("m-1"));
        var delivery = Assert.Single(await f.ReceiveNowAsync());

        Assert.Equal(SettleResult.Settled, await f.Bus.CompleteAsync(delivery));
        Assert.Equal(SettleResult.LockLost, await f.Bus.CompleteAsync(delivery));
        Assert.Equal(SettleResult.LockLost, await f.Bus.AbandonAsync(delivery, "late"));
    }
}

public sealed class A_locked_message
{
    [Fact]
    public async Task is_not_delivered_twice_while_locked()
    {
        await using var f = await StartAsync();
        await f.Bus.PublishAsync(Orders, Message("m-1"));

        Assert.Single(await f.ReceiveNowAsync());
        Assert.Empty(await f.ReceiveNowAsync());
    }

    [Fact]
    public async Task is_redelivered_with_a_higher_delivery_count_after_its_lock_expires()
    {
        await using var f = await StartAsync();
        await f.Bus.PublishAsync(Orders, Message("m-1"));
        var first = Assert.Single(await f.ReceiveNowAsync());

        f.Clock.Advance(TimeSpan.FromSeconds(29));
        Assert.Empty(await f.ReceiveNowAsync());
        f.Clock.Advance(TimeSpan.FromSeconds(1));
        var second = Assert.Single(await f.ReceiveNowAsync());

        Assert.Equal(("m-1", 2), (second.MessageId, second.DeliveryCount));
        Assert.NotEqual(first.LockToken, second.LockToken);
        Assert.Equal(SettleResult.LockLost, await f.Bus.CompleteAsync(first));
        Assert.Equal(SettleResult.Settled, await f.Bus.CompleteAsync(second));
        var failed = Assert.Single(await f.StreamAsync("bus/orders/worker"), r => r.Type == "DeliveryFailed");
        Assert.Contains("LockExpired", Encoding.UTF8.GetString(failed.Payload.Span), StringComparison.Ordinal);
    }

    [Fact]
    public async Task wakes_a_waiting_receive_when_its_lock_expires()
    {
        await using var f = await StartAsync();
        await f.Bus.PublishAsync(Orders, Message("m-1"));
        Assert.Single(await f.ReceiveNowAsync());
        var receive = f.Bus.ReceiveAsync(Orders, Worker, 10, Timeout.InfiniteTimeSpan).AsTask();
        await f.Clock.WaitForTimersAsync();

        f.Clock.Advance(TimeSpan.FromSeconds(30));

        Assert.Equal(2, Assert.Single(await receive.WaitAsync(TimeSpan.FromSeconds(10))).DeliveryCount);
    }

    [Fact]
    public async Task keeps_its_lock_when_renewed()
    {
        await using var f = await StartAsync();
        await f.Bus.PublishAsync(Orders, Message("m-1"));
        var delivery = Assert.Single(await f.ReceiveNowAsync());

        f.Clock.Advance(TimeSpan.FromSeconds(20));
        var renewal = await f.Bus.RenewLockAsync(delivery);
        f.Clock.Advance(TimeSpan.FromSeconds(20));

        Assert.Equal(SettleResult.Settled, renewal.Result);
        Assert.Equal(f.Clock.GetUtcNow() + TimeSpan.FromSeconds(10), renewal.LockedUntil);
        Assert.Empty(await f.ReceiveNowAsync());
        Assert.Equal(SettleResult.Settled, await f.Bus.CompleteAsync(delivery));
    }

    [Fact]
    public async Task is_delivered_again_after_a_restart_when_it_was_not_completed()
    {
        await using var f = await StartAsync();
        await f.Bus.PublishBatchAsync(Orders, [Message("m-1", "one"), Message("m-2", "two")]);
        var deliveries = await f.ReceiveNowAsync();
        await f.Bus.CompleteAsync(deliveries[0]);
        // m-2 is locked, its handler "crashes" with the process.

        await f.RestartAsync();

        var again = Assert.Single(await f.ReceiveNowAsync());
        Assert.Equal(("m-2", "two", 1), (again.MessageId, Encoding.UTF8.GetString(again.Body.Span), again.DeliveryCount));
    }
}

public sealed class An_abandoned_message
{
    [Fact]
    public async Task is_redelivered_at_once_with_its_delivery_count_one_higher()
    {
        await using var f = await StartAsync();
        await f.Bus.PublishBatchAsync(Orders, [Message("m-1"), Message("m-2")]);
        var first = (await f.ReceiveNowAsync(max: 1))[0];

        Assert.Equal(SettleResult.Settled, await f.Bus.AbandonAsync(first, "TimeoutException"));

        var again = await f.ReceiveNowAsync();
        Assert.Equal(["m-1", "m-2"], again.Select(d => d.MessageId));
        Assert.Equal([2, 1], again.Select(d => d.DeliveryCount));
        var failed = Assert.Single(await f.StreamAsync("bus/orders/worker"));
        Assert.Equal(("DeliveryFailed", "m-1", "receipt-m-1"), (failed.Type, failed.Key, failed.CorrelationId));
        Assert.Contains("TimeoutException", Encoding.UTF8.GetString(failed.Payload.Span), StringComparison.Ordinal);
    }

    [Fact]
    public async Task keeps_its_delivery_count_across_a_restart()
    {
        await using var f = await StartAsync();
        await f.Bus.PublishAsync(Orders, Message("m-1"));
        await f.Bus.AbandonAsync(Assert.Single(await f.ReceiveNowAsync()), "IOException");

        await f.RestartAsync();

        Assert.Equal(2, Assert.Single(await f.ReceiveNowAsync()).DeliveryCount);
    }
}

public sealed class A_restart
{
    [Fact]
    public async Task gives_each_subscription_of_each_topic_back_its_own_unsettled_messages_and_delivery_counts()
    {
        await using var f = await StartAsync();
        await f.Bus.PublishBatchAsync(Orders, [Message("m-1"), Message("m-2"), Message("m-3")]);
        await f.Bus.PublishAsync(Visits, Message("v-1", session: "visit-1"));
        var worker = await f.ReceiveNowAsync();
        await f.Bus.CompleteAsync(worker[0]);
        await f.Bus.AbandonAsync(worker[1], "IOException");
        await f.Bus.DeadLetterAsync(worker[2], "Unparseable");
        var audit = await f.ReceiveNowAsync(Orders, Audit);
        await f.Bus.CompleteAsync(audit[2]);
        await f.Bus.PublishAsync(Orders, Message("m-4"));

        await f.RestartAsync();

        Assert.Equal([("m-2", 2), ("m-4", 1)], (await f.ReceiveNowAsync()).Select(d => (d.MessageId, d.DeliveryCount)));
        Assert.Equal(["m-1", "m-2", "m-4"], (await f.ReceiveNowAsync(Orders, Audit)).Select(d => d.MessageId));
        Assert.Equal("v-1", Assert.Single(await f.ReceiveNowAsync(Visits, Billing)).MessageId);
    }
}

public sealed class A_message_that_keeps_failing
{
    [Fact]
    public async Task is_dead_lettered_after_max_deliveries_with_the_reason_and_the_last_failure()
    {
        await using var f = await StartAsync();
        await f.Bus.PublishAsync(Orders, Message("m-1", "poison"));

        await f.Bus.AbandonAsync(Assert.Single(await f.ReceiveNowAsync()), "FormatException");
        await f.Bus.AbandonAsync(Assert.Single(await f.ReceiveNowAsync()), "FormatException");
        Assert.Single(await f.ReceiveNowAsync());
        f.Clock.Advance(TimeSpan.FromMinutes(1)); // the third delivery's lock expires

        Assert.Empty(await f.ReceiveNowAsync());
        var dead = Assert.Single(await ReadDeadLettersAsync(f));
        Assert.Equal(("m-1", DeadLetterReasons.MaxDeliveryCountExceeded, "LockExpired", 3), (dead.MessageId, dead.Reason, dead.Description, dead.DeliveryCount));
        Assert.Equal("poison", Encoding.UTF8.GetString(dead.Body.Span));
        Assert.Single(await f.StreamAsync("bus/orders/worker/$deadletter"));
        Assert.Equal(0, f.Bus.UnsettledCount(Orders, Worker));

        await f.RestartAsync();
        Assert.Empty(await f.ReceiveNowAsync());
        Assert.Single(await ReadDeadLettersAsync(f));
        // Other subscriptions are not affected.
        Assert.Single(await f.ReceiveNowAsync(Orders, Audit));
    }

    [Fact]
    public async Task can_be_dead_lettered_explicitly_with_a_reason()
    {
        await using var f = await StartAsync();
        await f.Bus.PublishAsync(Orders, Message("m-1"));

        Assert.Equal(SettleResult.Settled, await f.Bus.DeadLetterAsync(Assert.Single(await f.ReceiveNowAsync()), "UnmappedDepartment", "department 42"));

        var dead = Assert.Single(await ReadDeadLettersAsync(f));
        Assert.Equal(("UnmappedDepartment", "department 42", 1), (dead.Reason, dead.Description, dead.DeliveryCount));
        Assert.Empty(await f.ReceiveNowAsync());
    }

    private static async Task<List<DeadLetteredMessage>> ReadDeadLettersAsync(BusFixture f)
    {
        var dead = new List<DeadLetteredMessage>();
        await foreach (var message in f.Bus.ReadDeadLettersAsync(Orders, Worker))
            dead.Add(message);
        return dead;
    }
}

public sealed class A_batch_publish
{
    [Fact]
    public async Task is_one_ledger_commit_with_contiguous_sequence_numbers()
    {
        await using var f = await StartAsync();
        var before = f.Store.Appends;

        var receipt = await f.Bus.PublishBatchAsync(Orders, [.. Enumerable.Range(0, 50).Select(i => Message($"m-{i}"))]);

        Assert.Equal(1, f.Store.Appends - before);
        Assert.Equal(50, receipt.Count);
        var records = await f.StreamAsync("topic/orders");
        Assert.Equal(Enumerable.Range(0, 50).Select(i => receipt.FirstSequenceNumber + i), records.Select(r => r.Seq));
        Assert.Equal(Enumerable.Range(0, 50).Select(i => $"m-{i}"), (await f.ReceiveNowAsync()).Select(d => d.MessageId));
    }
}

public sealed class The_bus_refuses
{
    [Fact]
    public async Task a_publish_to_an_undeclared_topic_naming_the_declared_ones()
    {
        await using var f = await StartAsync();

        var error = await Assert.ThrowsAsync<UnknownTopicException>(async () => await f.Bus.PublishAsync("order", Message("m-1")));

        Assert.Contains("'order'", error.Message, StringComparison.Ordinal);
        Assert.Contains("orders, visits", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, f.Bus.UnsettledCount(Orders, Worker));
    }

    [Fact]
    public async Task a_receive_from_an_undeclared_subscription()
    {
        await using var f = await StartAsync();

        await Assert.ThrowsAsync<UnknownTopicException>(async () => await f.ReceiveNowAsync(Orders, "nobody"));
    }

    [Fact]
    public async Task a_message_without_session_key_on_a_topic_that_needs_one()
    {
        await using var f = await StartAsync();

        await Assert.ThrowsAsync<ArgumentException>(async () => await f.Bus.PublishAsync(Visits, Message("v-1")));
    }
}

public sealed class A_subscription_declared_later
{
    [Fact]
    public async Task receives_the_topic_from_its_start()
    {
        await using var f = await StartAsync();
        f.Topology = BusTopology.Create([new TopicDefinition(Orders, [TestTopology.FindTopic(Orders)!.FindSubscription(Worker)!])]);
        await f.RestartAsync();
        await f.Bus.PublishBatchAsync(Orders, [Message("m-1"), Message("m-2")]);
        await f.Bus.CompleteAsync((await f.ReceiveNowAsync(max: 1))[0]);

        f.Topology = TestTopology;
        await f.RestartAsync();

        Assert.Equal(["m-1", "m-2"], (await f.ReceiveNowAsync(Orders, Audit)).Select(d => d.MessageId));
        Assert.Equal(["m-2"], (await f.ReceiveNowAsync(Orders, Worker)).Select(d => d.MessageId));
    }
}

public sealed class Many_concurrent_receivers
{
    [Fact]
    public async Task complete_every_message_exactly_once()
    {
        await using var f = await StartAsync();
        const int count = 600;
        var publishing = Task.WhenAll(Enumerable.Range(0, 6).Select(p => Task.Run(async () =>
        {
            for (var i = p; i < count; i += 6)
                await f.Bus.PublishAsync(Orders, Message($"m-{i}"));
        })));
        var completed = new System.Collections.Concurrent.ConcurrentBag<string>();
        var receivers = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            while (completed.Count < count)
            {
                foreach (var delivery in await f.Bus.ReceiveAsync(Orders, Worker, 7, TimeSpan.FromMilliseconds(0)))
                {
                    Assert.Equal(SettleResult.Settled, await f.Bus.CompleteAsync(delivery));
                    completed.Add(delivery.MessageId);
                }
                await Task.Yield();
            }
        })).ToList();

        await publishing.WaitAsync(TimeSpan.FromSeconds(60));
        await Task.WhenAll(receivers).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(count, completed.Count);
        Assert.Equal(count, completed.Distinct().Count());
        var settled = (await f.StreamAsync("bus/orders/worker")).Where(r => r.Type == "MessageCompleted").Select(r => r.Key).ToList();
        Assert.Equal(count, settled.Distinct().Count());
        Assert.Equal(count, settled.Count);
    }
}
