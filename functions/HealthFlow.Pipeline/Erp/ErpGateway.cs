using System.Collections.Concurrent;
using HealthFlow.Finance.Journals;
using HealthFlow.Ledger;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace HealthFlow.Pipeline.Erp;

/// <summary>
/// The one <see cref="IErpGateway"/> implementation: the posted-key register in the ledger in front of a vendor connector.
/// </summary>
/// <remarks>
/// <para>A post: (1) a key accepted before returns its recorded acknowledgement, nothing is sent; (2) journals of the request
/// that the ERP acknowledged before (under any key) are not sent again and their documents are reused; (3) connectors
/// without an ERP-side duplicate check (<see cref="IErpConnector.NeedsIntentRecord"/>) get an intent record first, and a key
/// left pending by a crash is answered with a rejection that <see cref="ErpAcknowledgement.RequiresReconciliation"/>;
/// (4) the connector sends, retrying throttling and transient failures; (5) the acknowledgement is appended to the
/// ledger before it is returned. Crash between (4) and (5): the next post of the key goes through (2)/(3) and the
/// connector's own recovery (the file sink reads its file tail, the webhook relies on <c>Idempotency-Key</c>, Dynamics 365
/// finds its journal by reference), so the journal lands once.</para>
/// <para>The register is read from the ledger on <see cref="StartAsync"/> (or the first post).</para>
/// </remarks>
public sealed class ErpGateway : IErpGateway, IDisposable
{
    private readonly ILedger _ledger;
    private readonly Func<ErpPostedRegister, CancellationToken, ValueTask<IErpConnector>> _connect;
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _startGate = new(1, 1);
    private readonly ConcurrentDictionary<string, Task<ErpAcknowledgement>> _inFlight = new(StringComparer.Ordinal);
    private volatile State? _state;

    private readonly IReadOnlyList<IDisposable> _owned;

    internal ErpGateway(string name, ILedger ledger, Func<ErpPostedRegister, CancellationToken, ValueTask<IErpConnector>> connect, TimeProvider clock, ILogger? logger, params IReadOnlyList<IDisposable> owned)
    {
        _owned = owned;
        Name = name;
        _ledger = ledger;
        _connect = connect;
        _clock = clock;
        _logger = logger ?? NullLogger.Instance;
    }

    public string Name { get; }

    /// <summary>The register, once started.</summary>
    public ErpPostedRegister? Register => _state?.Register;

    /// <summary>Rebuilds the register from the ledger and opens the connector (idempotent).</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default) => await EnsureStartedAsync(cancellationToken);

    public async ValueTask<ErpAcknowledgement> PostAsync(ErpPostRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrWhiteSpace(request.IdempotencyKey);
        if (request.Journals is null || request.Journals.Count == 0)
            throw new ArgumentException("A post needs at least one journal.", nameof(request));
        if (request.Journals.Select(j => j.IdempotencyKey).Distinct(StringComparer.Ordinal).Count() != request.Journals.Count)
            throw new ArgumentException("Two journals of one post share an idempotency key.", nameof(request));

        var state = await EnsureStartedAsync(cancellationToken);
        var mine = new TaskCompletionSource<ErpAcknowledgement>(TaskCreationOptions.RunContinuationsAsynchronously);
        var running = _inFlight.GetOrAdd(request.IdempotencyKey, mine.Task);
        if (running != mine.Task)
            return (await running.WaitAsync(cancellationToken)) with { Replayed = true };

        try
        {
            var acknowledgement = await PostOnceAsync(state, request, cancellationToken);
            mine.SetResult(acknowledgement);
            return acknowledgement;
        }
        catch (Exception exception)
        {
            mine.SetException(exception);
            _ = mine.Task.Exception; // observed: the caller gets the exception itself
            throw;
        }
        finally
        {
            _inFlight.TryRemove(new KeyValuePair<string, Task<ErpAcknowledgement>>(request.IdempotencyKey, mine.Task));
        }
    }

    /// <summary>
    /// Settles a key that <see cref="ErpAcknowledgement.RequiresReconciliation"/> after someone looked in the ERP for its
    /// reference: <paramref name="foundInErp"/> = the documents found there (recorded as accepted; the key is then posted)
    /// or null/empty = not there (recorded as rejected, which clears the pending attempt so the next post sends).
    /// </summary>
    public async ValueTask<ErpAcknowledgement> ResolvePendingAsync(string idempotencyKey, string correlationId, IReadOnlyList<ErpDocument>? foundInErp, CancellationToken cancellationToken = default)
    {
        var state = await EnsureStartedAsync(cancellationToken);
        var acknowledgement = Stamp(foundInErp is { Count: > 0 }
            ? new ErpAcknowledgement { Outcome = ErpOutcome.Accepted, IdempotencyKey = idempotencyKey, Gateway = Name, Documents = foundInErp, Reason = "reconciled: found in the ERP" }
            : new ErpAcknowledgement { Outcome = ErpOutcome.Rejected, IdempotencyKey = idempotencyKey, Gateway = Name, Reason = "reconciled: not in the ERP; the next post sends it" });
        return await RecordAsync(state.Register, acknowledgement, correlationId);
    }

    private async Task<ErpAcknowledgement> PostOnceAsync(State state, ErpPostRequest request, CancellationToken cancellationToken)
    {
        var key = request.IdempotencyKey;
        var register = state.Register;
        var correlationId = request.Journals[0].Source.CorrelationId;
        if (register.TryGetAccepted(key, out var recorded))
        {
            Logs.Replayed(_logger, Name, key);
            return recorded with { Replayed = true };
        }

        Logs.Posting(_logger, Name, key, request.Journals.Count);
        var problems = request.Journals
            .SelectMany(j => JournalValidation.Problems(j, currencyDecimals: 6).Select(p => $"{j.JournalId}: {p}"))
            .ToList();
        if (problems.Count > 0)
            return await RecordAsync(register, Stamp(new ErpAcknowledgement
            {
                Outcome = ErpOutcome.Rejected,
                IdempotencyKey = key,
                Gateway = Name,
                Reason = "invalid journal, not sent: " + string.Join("; ", problems),
            }), correlationId);

        var before = new List<ErpDocument>();
        var toSend = new List<Journal>();
        foreach (var journal in request.Journals)
        {
            if (register.TryGetJournal(journal.IdempotencyKey, out var document))
                before.Add(document);
            else
                toSend.Add(journal);
        }

        if (before.Count > 0)
            Logs.JournalsAlreadyPosted(_logger, Name, key, before.Count);
        if (toSend.Count == 0)
            return await RecordAsync(register, Stamp(new ErpAcknowledgement { Outcome = ErpOutcome.Accepted, IdempotencyKey = key, Gateway = Name, Documents = before }), correlationId);

        var connector = state.Connector;
        if (connector.NeedsIntentRecord)
        {
            if (register.IsPending(key))
            {
                // Not recorded: a recorded outcome would clear the pending mark, and only reconciliation may do that.
                Logs.NeedsReconciliation(_logger, Name, key);
                return Stamp(new ErpAcknowledgement
                {
                    Outcome = ErpOutcome.Rejected,
                    IdempotencyKey = key,
                    Gateway = Name,
                    Documents = before,
                    RequiresReconciliation = true,
                    Reason = $"an earlier attempt may have reached {Name} without a recorded answer; look for reference {ErpReference.For(key, 16)} (or {ErpReference.For(key, 34)}) in the ERP, then resolve the key",
                });
            }

            await register.RecordPostingAsync(key, Name, correlationId, _clock.GetUtcNow(), cancellationToken);
        }

        var answer = await connector.SendAsync(new ErpSendContext(key, toSend), cancellationToken);
        var acknowledgement = Stamp(answer with { IdempotencyKey = key, Gateway = Name, Documents = [.. before, .. answer.Documents] });
        return await RecordAsync(register, acknowledgement, correlationId);
    }

    private async Task<ErpAcknowledgement> RecordAsync(ErpPostedRegister register, ErpAcknowledgement acknowledgement, string correlationId)
    {
        // The ERP has answered: recording must not be abandoned half-way because the caller lost interest.
        await register.RecordAsync(acknowledgement, correlationId, CancellationToken.None);
        switch (acknowledgement.Outcome)
        {
            case ErpOutcome.Accepted:
                Logs.Accepted(_logger, Name, acknowledgement.IdempotencyKey, acknowledgement.Documents.Count, acknowledgement.Attempts);
                break;
            case ErpOutcome.Rejected:
                Logs.Rejected(_logger, Name, acknowledgement.IdempotencyKey, acknowledgement.StatusCode, acknowledgement.Attempts);
                break;
            default:
                Logs.Failed(_logger, Name, acknowledgement.IdempotencyKey, acknowledgement.StatusCode, acknowledgement.Attempts);
                break;
        }

        return acknowledgement;
    }

    private ErpAcknowledgement Stamp(ErpAcknowledgement acknowledgement) => acknowledgement with { At = _clock.GetUtcNow() };

    private async ValueTask<State> EnsureStartedAsync(CancellationToken cancellationToken)
    {
        if (_state is { } started)
            return started;
        await _startGate.WaitAsync(cancellationToken);
        try
        {
            if (_state is { } raced)
                return raced;
            var register = await ErpPostedRegister.OpenAsync(_ledger, cancellationToken);
            var connector = await _connect(register, cancellationToken);
            Logs.Ready(_logger, Name, register.Count);
            return _state = new State(register, connector);
        }
        finally
        {
            _startGate.Release();
        }
    }

    /// <summary>Releases the connector and its HTTP client.</summary>
    public void Dispose()
    {
        if (_state?.Connector is IDisposable connector)
            connector.Dispose();
        foreach (var owned in _owned)
            owned.Dispose();
        _startGate.Dispose();
    }

    private sealed record State(ErpPostedRegister Register, IErpConnector Connector);
}
