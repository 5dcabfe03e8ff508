using HealthFlow.Pipeline.Workflows;

namespace HealthFlow.Pipeline.Tests.Workflows;

public sealed class LedgerHandOverTests
{
    [Fact]
    public void A_kept_value_is_taken_once()
    {
        var handOver = new LedgerHandOver<string>(maxEntries: 4);
        handOver.Keep(7, "first");
        handOver.Keep(7, "second");

        Assert.True(handOver.TryTake(7, out var taken));
        Assert.Equal("first", taken);
        Assert.False(handOver.TryTake(7, out _));
        Assert.False(handOver.TryTake(8, out _));
    }

    [Fact]
    public void The_oldest_positions_go_beyond_the_entry_bound_taken_ones_counting_until_they_leave_the_write_order()
    {
        var handOver = new LedgerHandOver<string>(maxEntries: 3);
        handOver.Keep(1, "a");
        handOver.Keep(2, "b");
        Assert.True(handOver.TryTake(2, out _));
        handOver.Keep(3, "c");
        handOver.Keep(4, "d"); // four in the write order: 1 goes

        Assert.False(handOver.TryTake(1, out _));
        Assert.True(handOver.TryTake(3, out _));
        Assert.True(handOver.TryTake(4, out _));
    }

    [Fact]
    public void The_oldest_values_go_beyond_the_byte_bound_and_a_taken_value_frees_its_bytes()
    {
        var handOver = new LedgerHandOver<string>(maxEntries: 100, maxBytes: 10, bytesOf: value => value.Length);
        handOver.Keep(1, "aaaa");
        handOver.Keep(2, "bbbb");
        Assert.True(handOver.TryTake(2, out _));
        handOver.Keep(3, "cccccc"); // 4 + 6 = 10 bytes: within the bound
        Assert.True(handOver.TryTake(1, out _));

        handOver.Keep(4, "dddd");
        handOver.Keep(5, "eeeee"); // 6 + 4 + 5 = 15 bytes: 3 goes
        Assert.False(handOver.TryTake(3, out _));
        Assert.True(handOver.TryTake(4, out _));
        Assert.True(handOver.TryTake(5, out _));
    }
}
