namespace HealthFlow.Pipeline.Tests.Bus;

/// <summary>
/// A <see cref="TimeProvider"/> that moves only when told, with timers that fire on <see cref="Advance"/>, so lock
/// expiry, scheduled delivery and bounded waits are tested without sleeping. (Microsoft.Extensions.TimeProvider.Testing
/// is not in the package source here.)
/// </summary>
internal sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    private readonly Lock _gate = new();
    private readonly List<ManualTimer> _timers = [];
    private DateTimeOffset _now = start;

    public ManualClock() : this(new DateTimeOffset(2026, 11, 21, 8, 30, 0, TimeSpan.Zero))
    {
    }

    /// <summary>Timers waiting to fire: lets a test wait until code under test is asleep on the clock.</summary>
    public int PendingTimers
    {
        get
        {
            lock (_gate)
                return _timers.Count(t => t.Due is not null);
        }
    }

    public override DateTimeOffset GetUtcNow()
    {
        lock (_gate)
            return _now;
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new ManualTimer(this, callback, state);
        timer.Change(dueTime, period);
        lock (_gate)
            _timers.Add(timer);
        return timer;
    }

    public void Advance(TimeSpan by)
    {
        List<ManualTimer> due;
        lock (_gate)
        {
            _now += by;
            due = [.. _timers.Where(t => t.Due is { } at && at <= _now)];
            foreach (var timer in due)
                timer.Due = timer.Period is { } period ? _now + period : null;
        }
        foreach (var timer in due)
            timer.Fire();
    }

    /// <summary>Waits (in real time) until at least <paramref name="count"/> timers are pending.</summary>
    public async Task WaitForTimersAsync(int count = 1)
    {
        for (var i = 0; i < 500 && PendingTimers < count; i++)
            await Task.Delay(10);
        Assert.True(PendingTimers >= count, $"expected {count} pending timer(s), found {PendingTimers}");
    }

    private sealed class ManualTimer(ManualClock clock, TimerCallback callback, object? state) : ITimer
    {
        public DateTimeOffset? Due { get; set; }
        public TimeSpan? Period { get; set; }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            lock (clock._gate)
            {
                Due = dueTime == Timeout.InfiniteTimeSpan ? null : clock._now + dueTime;
                Period = period == Timeout.InfiniteTimeSpan || period == TimeSpan.Zero ? null : period;
            }
            if (dueTime == TimeSpan.Zero)
            {
                lock (clock._gate)
                    Due = Period is { } p ? clock._now + p : null;
                Fire();
            }
            return true;
        }

        public void Fire() => callback(state);

        public void Dispose()
        {
            lock (clock._gate)
            {
                Due = null;
                clock._timers.Remove(this);
            }
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
