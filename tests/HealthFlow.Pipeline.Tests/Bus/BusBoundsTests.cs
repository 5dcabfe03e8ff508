using HealthFlow.Pipeline.Bus;
using static HealthFlow.Pipeline.Tests.Bus.BusFixture;

namespace HealthFlow.Pipeline.Tests.Bus;

public sealed class Back_pressure
{
    private static readonly EmbeddedBusOptions Tight = new() { BacklogMaxPerSubscription = 5, PublishWaitMax = TimeSpan.FromSeconds(10), LockedMaxPerSubscription = 4 };

    [Fact]
    public async Task holds_a_publish_while_a_subscription_is_over_its_backlog_bound_until_a_message_is_settled()
    {
        await using var f = await StartAsync(Tight);
        await f.Bus.PublishBatchAsync(Orders, [.. Enumerable.Range(0, 6).Select(i => Message($"m-{i}"))]);
        // Audit drains at once, so only worker holds the publisher back.
        foreach (var delivery in await f.ReceiveNowAsync(Orders, Audit))
            await f.Bus.CompleteAsync(delivery);

        var publish = f.Bus.PublishAsync(Orders, Message("m-6")).AsTask();
        await f.Clock.WaitForTimersAsync();
        Assert.False(publish.IsCompleted);

        await f.Bus.CompleteAsync((await f.ReceiveNowAsync(max: 1))[0]);

        var receipt = await publish.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(receipt.BackPressured);
        Assert.Equal(6, f.Bus.UnsettledCount(Orders, Worker));
    }

    [Fact]
    public async Task waits_at_most_the_bound_so_a_handler_that_publishes_to_its_own_topic_cannot_deadlock()
    {
        await using var f = await StartAsync(Tight);
        await f.Bus.PublishBatchAsync(Orders, [.. Enumerable.Range(0, 6).Select(i => Message($"m-{i}"))]);
        var handling = (await f.ReceiveNowAsync(max: 1))[0];

        // The handler of `handling` publishes a follow-up into the topic it drains and nobody else settles anything.
        var publish = f.Bus.PublishAsync(Orders, Message("follow-up")).AsTask();
        await f.Clock.WaitForTimersAsync();
        f.Clock.Advance(TimeSpan.FromSeconds(10));

        Assert.True((await publish.WaitAsync(TimeSpan.FromSeconds(10))).BackPressured);
        Assert.Equal(SettleResult.Settled, await f.Bus.CompleteAsync(handling));
        Assert.Equal(6, f.Bus.UnsettledCount(Orders, Worker));
    }

    [Fact]
    public async Task does_not_hold_a_publish_under_the_bound()
    {
        await using var f = await StartAsync(Tight);

        var receipt = await f.Bus.PublishBatchAsync(Orders, [.. Enumerable.Range(0, 5).Select(i => Message($"m-{i}"))]);

        Assert.False(receipt.BackPressured);
    }

    [Fact]
    public async Task does_not_count_scheduled_messages_that_are_not_due()
    {
        await using var f = await StartAsync(Tight);
        var later = f.Clock.GetUtcNow().AddDays(1);
        await f.Bus.PublishBatchAsync(Orders, [.. Enumerable.Range(0, 20).Select(i => Message($"m-{i}", scheduledFor: later))]);

        Assert.False((await f.Bus.PublishAsync(Orders, Message("now"))).BackPressured);
    }

    [Fact]
    public async Task never_locks_more_than_the_in_flight_bound_per_subscription()
    {
        await using var f = await StartAsync(Tight);
        await f.Bus.PublishBatchAsync(Orders, [.. Enumerable.Range(0, 10).Select(i => Message($"m-{i}"))]);

        var first = await f.ReceiveNowAsync(max: 10);
        Assert.Equal(4, first.Count);
        Assert.Empty(await f.ReceiveNowAsync(max: 10));

        await f.Bus.CompleteAsync(first[0]);
        Assert.Single(await f.ReceiveNowAsync(max: 10));
        Assert.Equal(4, (await f.ReceiveNowAsync(Orders, Audit, max: 10)).Count);
    }
}
