using HealthFlow.Pipeline.Reconciliation;

namespace HealthFlow.Pipeline.Tests.Reconciliation;

/// <summary>When the daily run is due, and for which day.</summary>
public sealed class ReconciliationScheduleTests
{
    private static readonly TimeOnly CutOff = new(2, 0);

    [Fact]
    public void Before_the_cut_off_the_previous_day_is_due_at_the_cut_off()
    {
        var (due, day) = ReconciliationSchedule.Next(new DateTimeOffset(2026, 11, 21, 1, 30, 0, TimeSpan.Zero), CutOff, _ => false);

        Assert.Equal((new DateTimeOffset(2026, 11, 21, 2, 0, 0, TimeSpan.Zero), new DateOnly(2026, 11, 20)), (due, day));
    }

    [Fact]
    public void After_the_cut_off_a_missing_previous_day_is_due_at_once()
    {
        var now = new DateTimeOffset(2026, 11, 21, 9, 15, 0, TimeSpan.Zero);

        Assert.Equal((now, new DateOnly(2026, 11, 20)), ReconciliationSchedule.Next(now, CutOff, _ => false));
    }

    [Fact]
    public void After_the_cut_off_with_the_previous_day_done_today_is_due_at_tomorrows_cut_off()
    {
        var (due, day) = ReconciliationSchedule.Next(new DateTimeOffset(2026, 11, 21, 9, 15, 0, TimeSpan.Zero), CutOff, d => d == new DateOnly(2026, 11, 20));

        Assert.Equal((new DateTimeOffset(2026, 11, 22, 2, 0, 0, TimeSpan.Zero), new DateOnly(2026, 11, 21)), (due, day));
    }
}
