using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace HealthFlow.Pipeline.Bus;

/// <summary>How a <see cref="BusProcessor"/> runs its handler.</summary>
public sealed class BusProcessorOptions
{
    /// <summary>Handler invocations at once. Sessions are honoured by the bus, so a session still runs one at a time.</summary>
    public int MaxConcurrency { get; init; } = 1;

    /// <summary>Renews a delivery's lock at half its remaining time while the handler runs (Service Bus' auto lock renewal).</summary>
    public bool AutoRenewLock { get; init; } = true;

    /// <summary>Pause after a receive failed (I/O) before trying again.</summary>
    public TimeSpan ReceiveRetryDelay { get; init; } = TimeSpan.FromSeconds(1);
}

/// <summary>
/// Runs a handler over one subscription, like Service Bus' <c>ServiceBusProcessor</c>: completes a delivery when the
/// handler returns, abandons it when the handler throws (reason = the exception's type name, never its message,
/// which may quote the payload), so the bus's max delivery count dead-letters poison messages. The orchestration
/// engine and the ERP gateway sit on this.
/// </summary>
/// <remarks>
/// Invariants: at most <see cref="BusProcessorOptions.MaxConcurrency"/> handlers run at once; every delivery handed to
/// the handler is settled exactly once by the processor (or its lock expires if settling fails); <see cref="RunAsync"/>
/// returns only after every running handler finished. Stopping cancels the token handed to handlers; a handler that
/// then throws is abandoned like any other failure. Handlers must be idempotent (at-least-once delivery).
/// </remarks>
public sealed class BusProcessor
{
    private readonly ITopicBus _bus;
    private readonly string _topic;
    private readonly string _subscription;
    private readonly Func<BusDelivery, CancellationToken, Task> _handler;
    private readonly BusProcessorOptions _options;
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;

    public BusProcessor(
        ITopicBus bus,
        string topic,
        string subscription,
        Func<BusDelivery, CancellationToken, Task> handler,
        BusProcessorOptions? options = null,
        TimeProvider? clock = null,
        ILogger<BusProcessor>? logger = null)
    {
        _bus = bus;
        _topic = topic;
        _subscription = subscription;
        _handler = handler;
        _options = options ?? new BusProcessorOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.MaxConcurrency, 1, nameof(options));
        _clock = clock ?? TimeProvider.System;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>Receives and handles messages until <paramref name="stoppingToken"/> is cancelled; then waits for running handlers.</summary>
    public async Task RunAsync(CancellationToken stoppingToken)
    {
        using var slots = new SemaphoreSlim(_options.MaxConcurrency, _options.MaxConcurrency);
        var running = new HashSet<Task>();
        var runningGate = new Lock();
        Logs.ProcessorStarted(_logger, _topic, _subscription, _options.MaxConcurrency);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    await slots.WaitAsync(stoppingToken);
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    break;
                }
                var free = 1;
                while (slots.Wait(0, CancellationToken.None))
                    free++;
                IReadOnlyList<BusDelivery> batch;
                try
                {
                    batch = await _bus.ReceiveAsync(_topic, _subscription, free, Timeout.InfiniteTimeSpan, stoppingToken);
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    slots.Release(free);
                    break;
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // I/O failed or the ledger refuses appends (broken chain awaiting repair): keep trying, loudly,
                    // rather than end the processor; the host stays up and health checks see the log.
                    slots.Release(free);
                    Logs.ReceiveFailed(_logger, _topic, _subscription, ex.GetType().Name);
                    await DelayQuietlyAsync(_options.ReceiveRetryDelay, stoppingToken);
                    continue;
                }
                if (free > batch.Count)
                    slots.Release(free - batch.Count);
                foreach (var delivery in batch)
                {
                    var task = HandleAsync(delivery, slots, stoppingToken);
                    lock (runningGate)
                    {
                        running.RemoveWhere(t => t.IsCompleted);
                        running.Add(task);
                    }
                }
            }
        }
        finally
        {
            Task[] remaining;
            lock (runningGate)
                remaining = [.. running];
            await Task.WhenAll(remaining);
            Logs.ProcessorStopped(_logger, _topic, _subscription);
        }
    }

    private async Task HandleAsync(BusDelivery delivery, SemaphoreSlim slots, CancellationToken stoppingToken)
    {
        // Yield so the receive loop goes on while this handler runs.
        await Task.Yield();
        try
        {
            Task handling;
            try
            {
                handling = _handler(delivery, stoppingToken);
            }
            catch (Exception ex)
            {
                handling = Task.FromException(ex);
            }
            if (_options.AutoRenewLock && !handling.IsCompleted)
            {
                // Only a handler still running needs its lock renewed: one that finished at once (a read-model update)
                // costs no renewal timer.
                using var renewing = new CancellationTokenSource();
                var renewal = RenewWhileRunningAsync(delivery, renewing.Token);
                await handling.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                await renewing.CancelAsync();
                await renewal;
            }
            string? failure = null;
            try
            {
                await handling;
            }
            catch (Exception ex)
            {
                // Any handler failure means "try again later"; the type name is the reason, the message may hold PHI.
                failure = ex.GetType().Name;
                Logs.HandlerFailed(_logger, _topic, _subscription, delivery.MessageId, delivery.SequenceNumber, delivery.DeliveryCount, failure);
            }
            try
            {
                // Settlements are not cancelled by stopping: finishing the bookkeeping of work already done is part of stopping.
                if (failure is null)
                    await _bus.CompleteAsync(delivery, CancellationToken.None);
                else
                    await _bus.AbandonAsync(delivery, failure, CancellationToken.None);
            }
            catch (Exception ex)
            {
                // The ledger failed (I/O, broken chain): the lock expires and the message comes back; keep serving.
                Logs.SettleFailed(_logger, _topic, _subscription, delivery.MessageId, delivery.SequenceNumber, ex.GetType().Name);
            }
        }
        finally
        {
            slots.Release();
        }
    }

    private async Task RenewWhileRunningAsync(BusDelivery delivery, CancellationToken cancellationToken)
    {
        var lockedUntil = delivery.LockedUntil;
        while (!cancellationToken.IsCancellationRequested)
        {
            var remaining = lockedUntil - _clock.GetUtcNow();
            if (!await DelayQuietlyAsync(remaining / 2 > TimeSpan.Zero ? remaining / 2 : TimeSpan.Zero, cancellationToken))
                return;
            var renewal = await _bus.RenewLockAsync(delivery, cancellationToken);
            if (renewal.Result != SettleResult.Settled)
                return;
            lockedUntil = renewal.LockedUntil;
        }
    }

    /// <summary>Waits; false when cancelled first.</summary>
    /// <remarks>
    /// Without an exception: every delivery's lock renewal ends cancelled, and a thrown <see cref="TaskCanceledException"/>
    /// per message was a measurable part of a router's CPU.
    /// </remarks>
    private async Task<bool> DelayQuietlyAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        var wait = Task.Delay(delay, _clock, cancellationToken);
        await wait.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        return wait.IsCompletedSuccessfully;
    }
}
