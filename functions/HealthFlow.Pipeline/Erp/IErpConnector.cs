using HealthFlow.Finance.Journals;

namespace HealthFlow.Pipeline.Erp;

/// <summary>
/// One ERP's wire protocol. <see cref="ErpGateway"/> does the register, the duplicate checks, recording and logging;
/// a connector only sends journals that were never acknowledged and says what the ERP answered.
/// </summary>
internal interface IErpConnector
{
    /// <summary>Gateway name (<c>file</c>, <c>webhook</c>, ...).</summary>
    string Name { get; }

    /// <summary>
    /// True when the ERP can neither deduplicate a resent request nor be asked whether an interrupted one arrived: the
    /// gateway then records an <see cref="ErpPostedRegister.PostingType"/> record before sending, and a key left pending by
    /// a crash is reported for reconciliation instead of being sent again.
    /// </summary>
    bool NeedsIntentRecord { get; }

    /// <summary>Sends the journals; returns the outcome with the documents the ERP gave (key, gateway and time are filled in by the gateway).</summary>
    ValueTask<ErpAcknowledgement> SendAsync(ErpSendContext context, CancellationToken cancellationToken);
}

/// <summary>What a connector sends.</summary>
/// <param name="IdempotencyKey">The request's key (the webhook's <c>Idempotency-Key</c>; the seed of vendor references).</param>
/// <param name="Journals">The journals not acknowledged before, in request order.</param>
internal sealed record ErpSendContext(string IdempotencyKey, IReadOnlyList<Journal> Journals);
