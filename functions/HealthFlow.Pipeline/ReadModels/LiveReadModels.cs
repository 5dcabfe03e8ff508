using HealthFlow.Ledger;
using HealthFlow.Pipeline.Workflows;
using Microsoft.Extensions.Logging;

namespace HealthFlow.Pipeline.ReadModels;

/// <summary>
/// <see cref="FinanceReadModels"/> kept current in a running host: rebuilt from the ledger at <see cref="StartAsync"/>, then
/// following it (each append wakes a catch-up from the last position), so they always equal a rebuild from zero up to
/// <see cref="Position"/>.
/// </summary>
public sealed partial class LiveReadModels(ILedger ledger, MasterDataSource masterData, ILogger<LiveReadModels> logger) : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask;
    private long _position;
    private int _disposed;

    public FinanceReadModels Models { get; } = new(FinanceReadModels.ArAccounts(masterData.Current));

    /// <summary>Every ledger record below this position is applied.</summary>
    public long Position => Interlocked.Read(ref _position);

    /// <summary>Catches up to the current head, then follows the ledger in the background.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        await CatchUpAsync(cancellationToken);
        _loop = Task.Run(() => FollowAsync(_stop.Token), CancellationToken.None);
    }

    /// <summary>Waits until every record appended before the call is applied.</summary>
    public async Task WaitForCatchUpAsync(CancellationToken cancellationToken = default)
    {
        var head = ledger.Head;
        while (Position < head)
            await Task.Delay(10, cancellationToken);
    }

    private async Task CatchUpAsync(CancellationToken cancellationToken)
    {
        var head = ledger.Head;
        await Models.CatchUpAsync(ledger, Position, head, progress: null, cancellationToken);
        Interlocked.Exchange(ref _position, head);
    }

    private async Task FollowAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                await ledger.WaitForAppendAsync(Position, cancellationToken);
                await CatchUpAsync(cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception exception) when (exception is InvalidDataException or System.Text.Json.JsonException or IOException)
        {
            // The host keeps serving; the models stay at their position and `healthflow rebuild` still reads the ledger.
            LogStopped(logger, Position, exception.GetType().Name);
        }
    }

    [LoggerMessage(EventId = 7110, Level = LogLevel.Error, Message = "The live read models stopped following the ledger at record {Position}: {Error}")]
    private static partial void LogStopped(ILogger logger, long position, string error);

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
            return;
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }
}
