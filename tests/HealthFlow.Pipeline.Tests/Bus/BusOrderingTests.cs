using HealthFlow.Pipeline.Bus;
using static HealthFlow.Pipeline.Tests.Bus.BusFixture;

namespace HealthFlow.Pipeline.Tests.Bus;

public sealed class A_session_subscription
{
    [Fact]
    public async Task holds_a_sessions_next_message_while_the_first_is_locked_and_lets_other_sessions_flow()
    {
        await using var f = await StartAsync();
        await f.Bus.PublishBatchAsync(Visits, [Message("a-1", session: "A"), Message("a-2", session: "A"), Message("b-1", session: "B"), Message("b-2", session: "B")]);

        var first = await f.ReceiveNowAsync(Visits, Billing);
        Assert.Equal(["a-1", "b-1"], first.Select(d => d.MessageId));
        Assert.Empty(await f.ReceiveNowAsync(Visits, Billing));

        await f.Bus.CompleteAsync(first[1]);
        Assert.Equal("b-2", Assert.Single(await f.ReceiveNowAsync(Visits, Billing)).MessageId);

        await f.Bus.CompleteAsync(first[0]);
        Assert.Equal("a-2", Assert.Single(await f.ReceiveNowAsync(Visits, Billing)).MessageId);
    }

    [Fact]
    public async Task redelivers_an_abandoned_message_before_the_rest_of_its_session()
    {
        await using var f = await StartAsync();
        await f.Bus.PublishBatchAsync(Visits, [Message("a-1", session: "A"), Message("a-2", session: "A")]);

        await f.Bus.AbandonAsync(Assert.Single(await f.ReceiveNowAsync(Visits, Billing)), "IOException");
        var again = Assert.Single(await f.ReceiveNowAsync(Visits, Billing));
        Assert.Equal(("a-1", 2), (again.MessageId, again.DeliveryCount));
        f.Clock.Advance(TimeSpan.FromSeconds(30));
        var third = Assert.Single(await f.ReceiveNowAsync(Visits, Billing));
        Assert.Equal(("a-1", 3), (third.MessageId, third.DeliveryCount));
    }

    [Fact]
    public async Task delivers_each_session_in_publish_order_after_a_restart()
    {
        await using var f = await StartAsync();
        await f.Bus.PublishBatchAsync(Visits, [Message("a-1", session: "A"), Message("a-2", session: "A"), Message("a-3", session: "A")]);
        await f.Bus.CompleteAsync(Assert.Single(await f.ReceiveNowAsync(Visits, Billing)));
        Assert.Equal("a-2", Assert.Single(await f.ReceiveNowAsync(Visits, Billing)).MessageId);

        await f.RestartAsync();

        var order = new List<string>();
        while ((await f.ReceiveNowAsync(Visits, Billing)) is [var delivery])
        {
            order.Add(delivery.MessageId);
            await f.Bus.CompleteAsync(delivery);
        }
        Assert.Equal(["a-2", "a-3"], order);
    }

    [Fact]
    public async Task is_not_blocked_by_a_scheduled_message_that_is_not_due()
    {
        await using var f = await StartAsync();
        var later = f.Clock.GetUtcNow().AddMinutes(10);
        await f.Bus.PublishBatchAsync(Visits, [Message("a-1", session: "A", scheduledFor: later), Message("a-2", session: "A")]);

        Assert.Equal("a-2", Assert.Single(await f.ReceiveNowAsync(Visits, Billing)).MessageId);
    }
}

public sealed class A_subscription_without_sessions
{
    [Fact]
    public async Task hands_out_messages_oldest_first()
    {
        await using var f = await StartAsync();
        await f.Bus.PublishBatchAsync(Orders, [Message("m-1"), Message("m-2"), Message("m-3")]);

        Assert.Equal(["m-1", "m-2"], (await f.ReceiveNowAsync(max: 2)).Select(d => d.MessageId));
        Assert.Equal(["m-3"], (await f.ReceiveNowAsync()).Select(d => d.MessageId));
    }
}

public sealed class A_scheduled_message
{
    [Fact]
    public async Task is_not_delivered_before_its_time()
    {
        await using var f = await StartAsync();
        var due = f.Clock.GetUtcNow().AddMinutes(10);
        await f.Bus.PublishAsync(Orders, Message("m-1", scheduledFor: due));

        Assert.Empty(await f.ReceiveNowAsync());
        f.Clock.Advance(TimeSpan.FromMinutes(10) - TimeSpan.FromTicks(1));
        Assert.Empty(await f.ReceiveNowAsync());
        f.Clock.Advance(TimeSpan.FromTicks(1));

        var delivery = Assert.Single(await f.ReceiveNowAsync());
        Assert.Equal(due, delivery.ScheduledFor);
    }

    [Fact]
    public async Task wakes_a_waiting_receive_when_it_falls_due()
    {
        await using var f = await StartAsync();
        await f.Bus.PublishAsync(Orders, Message("m-1", scheduledFor: f.Clock.GetUtcNow().AddMinutes(10)));
        var receive = f.Bus.ReceiveAsync(Orders, Worker, 10, TimeSpan.FromHours(1)).AsTask();
        await f.Clock.WaitForTimersAsync();

        f.Clock.Advance(TimeSpan.FromMinutes(10));

        Assert.Equal("m-1", Assert.Single(await receive.WaitAsync(TimeSpan.FromSeconds(10))).MessageId);
    }

    [Fact]
    public async Task keeps_its_schedule_across_a_restart()
    {
        await using var f = await StartAsync();
        await f.Bus.PublishAsync(Orders, Message("m-1", scheduledFor: f.Clock.GetUtcNow().AddMinutes(10)));

        await f.RestartAsync();

        Assert.Empty(await f.ReceiveNowAsync());
        f.Clock.Advance(TimeSpan.FromMinutes(10));
        Assert.Single(await f.ReceiveNowAsync());
    }
}
