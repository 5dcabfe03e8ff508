using System.Text;
using HealthFlow.Pipeline.Bus;
using static HealthFlow.Pipeline.Tests.Bus.BusFixture;

namespace HealthFlow.Pipeline.Tests.Bus;

public sealed class A_subscription_checkpoint
{
    private static readonly EmbeddedBusOptions EveryRecord = new() { CheckpointEveryRecords = 1 };

    [Fact]
    public async Task lets_a_restart_skip_what_is_settled_and_still_deliver_the_rest()
    {
        await using var f = await StartAsync(EveryRecord, checkpoints: true);
        await f.Bus.PublishBatchAsync(Orders, [.. Enumerable.Range(0, 10).Select(i => Message($"m-{i}"))]);
        var deliveries = await f.ReceiveNowAsync();
        foreach (var delivery in deliveries.Take(6))
            await f.Bus.CompleteAsync(delivery);

        await f.RestartAsync();

        var content = await f.Store.GetAsync("bus/orders/worker/checkpoint.json");
        Assert.NotNull(content);
        Assert.Contains($"\"position\":{deliveries[6].SequenceNumber}", Encoding.UTF8.GetString(content.Data.Span), StringComparison.Ordinal);
        Assert.Equal(["m-6", "m-7", "m-8", "m-9"], (await f.ReceiveNowAsync()).Select(d => d.MessageId));
        Assert.Equal(10, (await f.ReceiveNowAsync(Orders, Audit)).Count);
    }

    [Fact]
    public async Task is_ignored_when_it_does_not_match_the_ledger()
    {
        await using var f = await StartAsync(EveryRecord, checkpoints: true);
        await f.Bus.PublishBatchAsync(Orders, [Message("m-1"), Message("m-2")]);
        var info = await f.Store.GetInfoAsync("bus/orders/worker/checkpoint.json");
        var forged = """{"position":2,"hashBefore":"00"}"""u8.ToArray();
        await f.Store.PutAsync("bus/orders/worker/checkpoint.json", forged, info?.ETag);

        await f.RestartAsync();

        Assert.Equal(["m-1", "m-2"], (await f.ReceiveNowAsync()).Select(d => d.MessageId));
    }
}
