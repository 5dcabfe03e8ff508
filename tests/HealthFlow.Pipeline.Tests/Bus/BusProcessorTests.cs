using System.Collections.Concurrent;
using System.Text;
using HealthFlow.Pipeline.Bus;
using static HealthFlow.Pipeline.Tests.Bus.BusFixture;

namespace HealthFlow.Pipeline.Tests.Bus;

public sealed class A_bus_processor
{
    [Fact]
    public async Task completes_what_its_handler_handled()
    {
        await using var f = await StartAsync();
        await f.Bus.PublishBatchAsync(Orders, [.. Enumerable.Range(0, 20).Select(i => Message($"m-{i}"))]);
        var handled = new ConcurrentBag<string>();
        using var stop = new CancellationTokenSource();
        var processor = new BusProcessor(f.Bus, Orders, Worker, (delivery, _) =>
        {
            handled.Add(delivery.MessageId);
            if (handled.Count == 20)
                stop.Cancel();
            return Task.CompletedTask;
        }, new BusProcessorOptions { MaxConcurrency = 4 }, f.Clock);

        await processor.RunAsync(stop.Token).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(20, handled.Distinct().Count());
        Assert.Equal(0, f.Bus.UnsettledCount(Orders, Worker));
        Assert.Equal(20, (await f.StreamAsync("bus/orders/worker")).Count(r => r.Type == "MessageCompleted"));
    }

    [Fact]
    public async Task abandons_on_an_exception_with_its_type_name_as_reason_never_its_message()
    {
        await using var f = await StartAsync();
        await f.Bus.PublishAsync(Orders, Message("m-1"));
        var attempts = 0;
        using var stop = new CancellationTokenSource();
        var processor = new BusProcessor(f.Bus, Orders, Worker, (delivery, _) =>
        {
            if (Interlocked.Increment(ref attempts) == 3)
                stop.Cancel();
            throw new InvalidOperationException("patient Jane Doe");
        }, clock: f.Clock);

        await processor.RunAsync(stop.Token).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(3, attempts);
        var dead = new List<DeadLetteredMessage>();
        await foreach (var message in f.Bus.ReadDeadLettersAsync(Orders, Worker))
            dead.Add(message);
        Assert.Equal(("MaxDeliveryCountExceeded", "InvalidOperationException"), (Assert.Single(dead).Reason, dead[0].Description));
        var bookkeeping = await f.StreamAsync("bus/orders/worker");
        Assert.Equal(2, bookkeeping.Count(r => r.Type == "DeliveryFailed"));
        Assert.DoesNotContain(bookkeeping.Concat(await f.StreamAsync("bus/orders/worker/$deadletter")),
            r => Encoding.UTF8.GetString(r.Payload.Span).Contains("Jane", StringComparison.Ordinal));
    }

    [Fact]
    public async Task runs_one_message_per_session_at_a_time_in_order_while_sessions_run_in_parallel()
    {
        await using var f = await StartAsync();
        var sessions = new[] { "A", "B", "C" };
        await f.Bus.PublishBatchAsync(Visits, [.. Enumerable.Range(0, 10).SelectMany(i => sessions.Select(s => Message($"{s}-{i}", session: s)))]);
        var order = new ConcurrentDictionary<string, ConcurrentQueue<int>>();
        var running = new ConcurrentDictionary<string, int>();
        var overlap = 0;
        var maxParallel = 0;
        var total = 0;
        using var stop = new CancellationTokenSource();
        var processor = new BusProcessor(f.Bus, Visits, Billing, async (delivery, _) =>
        {
            if (running.AddOrUpdate(delivery.SessionKey, 1, (_, n) => n + 1) > 1)
                Interlocked.Increment(ref overlap);
            var now = running.Values.Sum();
            InterlockedMax(ref maxParallel, now);
            await Task.Delay(5, CancellationToken.None);
            order.GetOrAdd(delivery.SessionKey, _ => new()).Enqueue(int.Parse(delivery.MessageId[2..], System.Globalization.CultureInfo.InvariantCulture));
            running.AddOrUpdate(delivery.SessionKey, 0, (_, n) => n - 1);
            if (Interlocked.Increment(ref total) == 30)
                await stop.CancelAsync();
        }, new BusProcessorOptions { MaxConcurrency = 8 }, f.Clock);

        await processor.RunAsync(stop.Token).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(0, overlap);
        Assert.True(maxParallel > 1, "sessions should run in parallel");
        foreach (var session in sessions)
            Assert.Equal(Enumerable.Range(0, 10), order[session]);
    }

    [Fact]
    public async Task renews_the_lock_while_a_slow_handler_runs()
    {
        await using var f = await StartAsync();
        await f.Bus.PublishAsync(Orders, Message("m-1"));
        var bus = new RenewalCountingBus(f.Bus);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var stop = new CancellationTokenSource();
        var processor = new BusProcessor(bus, Orders, Worker, async (_, _) =>
        {
            started.TrySetResult();
            await release.Task;
            await stop.CancelAsync();
        }, clock: f.Clock);
        var running = processor.RunAsync(stop.Token);
        await started.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await f.Clock.WaitForTimersAsync(); // the renewal timer (the receive loop waits for a free slot)

        f.Clock.Advance(TimeSpan.FromSeconds(16)); // past half of the 30 s lock: renew
        for (var i = 0; i < 500 && bus.Renewals == 0; i++)
            await Task.Delay(10);
        f.Clock.Advance(TimeSpan.FromSeconds(20)); // past the original lock, within the renewed one

        Assert.True(bus.Renewals >= 1); // the second advance may trigger the next renewal as well
        Assert.Empty(await f.ReceiveNowAsync());
        release.SetResult();
        await running.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(0, f.Bus.UnsettledCount(Orders, Worker));
        Assert.DoesNotContain(await f.StreamAsync("bus/orders/worker"), r => r.Type == "DeliveryFailed");
    }

    private sealed class RenewalCountingBus(ITopicBus inner) : ITopicBus
    {
        private int _renewals;

        public int Renewals => Volatile.Read(ref _renewals);

        public ValueTask<LockRenewal> RenewLockAsync(BusDelivery delivery, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _renewals);
            return inner.RenewLockAsync(delivery, cancellationToken);
        }

        public ValueTask<PublishReceipt> PublishAsync(string topic, BusMessage message, CancellationToken cancellationToken = default) => inner.PublishAsync(topic, message, cancellationToken);
        public ValueTask<PublishReceipt> PublishBatchAsync(string topic, IReadOnlyList<BusMessage> messages, CancellationToken cancellationToken = default) => inner.PublishBatchAsync(topic, messages, cancellationToken);
        public ValueTask<IReadOnlyList<BusDelivery>> ReceiveAsync(string topic, string subscription, int maxMessages, TimeSpan maxWait, CancellationToken cancellationToken = default) => inner.ReceiveAsync(topic, subscription, maxMessages, maxWait, cancellationToken);
        public ValueTask<SettleResult> CompleteAsync(BusDelivery delivery, CancellationToken cancellationToken = default) => inner.CompleteAsync(delivery, cancellationToken);
        public ValueTask<SettleResult> AbandonAsync(BusDelivery delivery, string reason, CancellationToken cancellationToken = default) => inner.AbandonAsync(delivery, reason, cancellationToken);
        public ValueTask<SettleResult> DeadLetterAsync(BusDelivery delivery, string reason, string description = "", CancellationToken cancellationToken = default) => inner.DeadLetterAsync(delivery, reason, description, cancellationToken);
        public IAsyncEnumerable<DeadLetteredMessage> ReadDeadLettersAsync(string topic, string subscription, CancellationToken cancellationToken = default) => inner.ReadDeadLettersAsync(topic, subscription, cancellationToken);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        var current = Volatile.Read(ref target);
        while (value > current && Interlocked.CompareExchange(ref target, value, current) is var seen && seen != current)
            current = seen;
    }
}
