using System.IO.Pipelines;

namespace HealthFlow.Pipeline.Mllp;

/// <summary>
/// A connection's input that ends reads after <c>timeout</c> of silence: the timer restarts on every read, so a
/// slow sender that keeps sending bytes is never cut off, and it does not run while the connection is
/// <paramref name="busy"/> (the peer is waiting for our ACKs, not idle). When it fires, <see cref="ReadAsync"/>
/// throws <see cref="TimeoutException"/>.
/// </summary>
internal sealed class IdleTimeoutPipeReader(PipeReader inner, TimeSpan timeout, Func<bool> busy, CancellationToken closed) : PipeReader, IDisposable
{
    private CancellationTokenSource _idle = CancellationTokenSource.CreateLinkedTokenSource(closed);

    public override async ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            _idle.CancelAfter(timeout);
            try
            {
                var result = await inner.ReadAsync(_idle.Token);
                _idle.CancelAfter(Timeout.InfiniteTimeSpan);
                return result;
            }
            catch (OperationCanceledException) when (_idle.IsCancellationRequested && !closed.IsCancellationRequested)
            {
                // A fired token source cannot be reset: take a fresh one for the next read.
                _idle.Dispose();
                _idle = CancellationTokenSource.CreateLinkedTokenSource(closed);
                if (!busy())
                    throw new TimeoutException("The MLLP peer was silent for the idle timeout.");
            }
        }
    }

    public override bool TryRead(out ReadResult result) => inner.TryRead(out result);

    public override void AdvanceTo(SequencePosition consumed) => inner.AdvanceTo(consumed);

    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined) => inner.AdvanceTo(consumed, examined);

    public override void CancelPendingRead() => inner.CancelPendingRead();

    public override void Complete(Exception? exception = null) => inner.Complete(exception);

    public void Dispose() => _idle.Dispose();
}
