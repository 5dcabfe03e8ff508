using HealthFlow.Finance.Reconciliation;

namespace HealthFlow.Finance.Tests;

public sealed class JournalNumberSetTests
{
    [Fact]
    public void Journal_number_set_admits_each_number_once_as_a_hash_set_does_across_growth_and_zero()
    {
        // Random 80-bit numbers with repeats, zero among them, past several doublings of the table.
        var random = new Random(7);
        var numbers = Enumerable.Range(0, 20_000)
            .Select(i => i % 997 == 0 ? UInt128.Zero : new UInt128((ulong)random.Next(0, 1 << 16), (ulong)random.NextInt64()))
            .ToList();
        numbers.AddRange(numbers.Where((_, i) => i % 3 == 0).ToList());
        var expected = new HashSet<UInt128>();
        var set = new JournalNumberSet();

        Assert.Equal(numbers.Select(expected.Add).ToList(), numbers.Select(set.Add).ToList());
    }
}
