using HealthFlow.Ledger;
using HealthFlow.Pipeline.Bus;

namespace HealthFlow.Pipeline.Tests.Bus;

public sealed class CombinedAppendsTests
{
    [Fact]
    public async Task Records_that_arrive_during_an_append_go_to_the_ledger_together_in_the_next_one()
    {
        var ledger = new FirstAppendHeld();
        var appends = new CombinedAppends(ledger);

        var first = appends.AppendAsync(Entry("a"));
        var second = appends.AppendAsync(Entry("b"));
        var third = appends.AppendAsync(Entry("c"));
        Assert.False(second.IsCompleted);
        ledger.First.SetResult(0);
        await Task.WhenAll(first, second, third);

        Assert.Equal([["a"], ["b", "c"]], ledger.Batches);
    }

    [Fact]
    public async Task A_failed_append_fails_its_records_and_the_next_records_are_appended_after_it()
    {
        var ledger = new FirstAppendHeld();
        var appends = new CombinedAppends(ledger);

        var first = appends.AppendAsync(Entry("a"));
        var second = appends.AppendAsync(Entry("b"));
        ledger.First.SetException(new IOException("disk"));

        await Assert.ThrowsAsync<IOException>(() => first);
        await second;
        Assert.Equal([["a"], ["b"]], ledger.Batches);
    }

    private static LedgerEntry Entry(string key) => new("bus/t/s", "MessageCompleted", key, "", "", ReadOnlyMemory<byte>.Empty);

    /// <summary>Records each append's keys; the first append completes when the test says, later ones at once.</summary>
    private sealed class FirstAppendHeld : ILedger
    {
        public TaskCompletionSource<long> First { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public List<string[]> Batches { get; } = [];
        public long Head => 0;
        public bool HasOtherWriters => false;

        public ValueTask<long> AppendBatchAsync(IReadOnlyList<LedgerEntry> entries, CancellationToken cancellationToken = default)
        {
            lock (Batches)
            {
                Batches.Add([.. entries.Select(e => e.Key)]);
                return Batches.Count == 1 ? new ValueTask<long>(First.Task) : ValueTask.FromResult(0L);
            }
        }

        public ValueTask<long> AppendAsync(LedgerEntry entry, CancellationToken cancellationToken = default) => AppendBatchAsync([entry], cancellationToken);
        public ValueTask<LedgerRecord> ReadAsync(long seq, CancellationToken cancellationToken = default) => throw new NotSupportedException();
        public IAsyncEnumerable<LedgerRecord> ReadAllAsync(long fromSeq = 0, CancellationToken cancellationToken = default) => throw new NotSupportedException();
        public IAsyncEnumerable<LedgerRecord> ReadStreamAsync(string stream, long fromSeq = 0, CancellationToken cancellationToken = default) => throw new NotSupportedException();
        public IAsyncEnumerable<LedgerRecord> ScanAsync(long fromSeq = 0, LedgerScanFilter? filter = null, CancellationToken cancellationToken = default) => throw new NotSupportedException();
        public IAsyncEnumerable<T> ScanAsync<T>(long fromSeq, LedgerScanFilter? filter, Func<LedgerRecordView, T> decode, CancellationToken cancellationToken = default) => throw new NotSupportedException();
        public IAsyncEnumerable<LedgerRecord> ReadCorrelationAsync(string correlationId, CancellationToken cancellationToken = default) => throw new NotSupportedException();
        public ValueTask<long> RefreshAsync(CancellationToken cancellationToken = default) => throw new NotSupportedException();
        public Task WaitForAppendAsync(long head, CancellationToken cancellationToken = default) => throw new NotSupportedException();
        public Task WaitForAppendAsync(string stream, long fromSeq, CancellationToken cancellationToken = default) => throw new NotSupportedException();
    }
}
