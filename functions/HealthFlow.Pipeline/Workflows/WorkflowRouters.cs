using System.Text.Json;
using HealthFlow.Finance.Events;
using HealthFlow.Pipeline.Bus;
using HealthFlow.Pipeline.Orchestration;
using Microsoft.Extensions.Logging;

namespace HealthFlow.Pipeline.Workflows;

/// <summary>
/// The bus subscriptions that feed the workflows. Each handler is idempotent, because delivery is at least once:
/// instances start if they do not exist (ids from the source), read models add by idempotency key, events raised to a
/// running instance are decisions that a repeat does not change.
/// </summary>
public sealed class WorkflowRouters(IOrchestrationClient client, WorkflowReadModels readModels, ExceptionBook exceptions, WorkflowOptions options, TimeProvider clock, ILogger<WorkflowRouters> logger)
{
    /// <summary>(topic, subscription, handler) for each subscription the workflows consume.</summary>
    public IReadOnlyList<(string Topic, string Subscription, Func<BusDelivery, CancellationToken, Task> Handler)> Subscriptions =>
    [
        ("encounters", "discharge-to-bill", OnEncounterAsync),
        ("charges", "discharge-to-bill", OnChargeAsync),
        ("claims", "remittance-to-gl", OnClaimAsync),
        // Claims also have a discharge-to-bill subscription (topology); the claim index above is enough, so it is drained
        // to keep its backlog from throttling publishers.
        ("claims", "discharge-to-bill", static (_, _) => Task.CompletedTask),
        ("remittances", "remittance-to-gl", OnRemittanceAsync),
        (ExceptionBook.Topic, "workbench", OnExceptionAsync),
    ];

    /// <summary>encounters/discharge-to-bill: a discharge starts DischargeToBill; a cancelled discharge stops it, or reverses what it posted.</summary>
    public async Task OnEncounterAsync(BusDelivery delivery, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        switch (Read(delivery))
        {
            case EncounterDischarged discharge:
            {
                var result = await client.StartIfNotExistsAsync(nameof(DischargeToBillOrchestrator), WorkflowInstanceIds.Discharge(discharge.Facility, discharge.EncounterId),
                    new DischargeToBillInput(discharge, options.QuietPeriod, options.SlaPeriod), discharge.CorrelationId, cancellationToken);
                Logs.Routed(logger, delivery.Type, delivery.Topic, delivery.Subscription, result);
                break;
            }

            case DischargeCancelled cancelled:
            {
                var instance = WorkflowInstanceIds.Discharge(cancelled.Facility, cancelled.EncounterId);
                var raised = await client.RaiseEventAsync(instance, WorkflowEvents.DischargeCancelled, null, cancellationToken);
                Logs.RoutedEvent(logger, delivery.Type, delivery.Topic, delivery.Subscription, raised);
                if (raised == InstanceOperationResult.NotApplicable)
                {
                    // The instance has ended: if it posted, the reversal instance mirrors the accrual (it finds none otherwise).
                    var started = await client.StartIfNotExistsAsync(nameof(DischargeReversalOrchestrator), WorkflowInstanceIds.DischargeReversal(cancelled.Facility, cancelled.EncounterId),
                        new DischargeReversalInput(cancelled.Facility, cancelled.EncounterId, cancelled.CorrelationId), cancelled.CorrelationId, cancellationToken);
                    Logs.Routed(logger, delivery.Type, delivery.Topic, delivery.Subscription, started);
                }

                break;
            }
        }
    }

    /// <summary>charges/discharge-to-bill: the charge joins its encounter's read model (the quiet-period check counts them).</summary>
    public Task OnChargeAsync(BusDelivery delivery, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        if (Read(delivery) is ChargeEvent charge)
            readModels.AddCharge(charge, delivery.MessageId);
        return Task.CompletedTask;
    }

    /// <summary>claims/remittance-to-gl: the claim joins the claim index (CLP01 → facility, payer, encounter).</summary>
    public Task OnClaimAsync(BusDelivery delivery, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        if (Read(delivery) is ClaimSubmitted claim)
            readModels.AddClaim(claim, delivery.SequenceNumber, delivery.MessageId);
        return Task.CompletedTask;
    }

    /// <summary>remittances/remittance-to-gl: an 835 starts RemittanceToGl with a reference to its ledger record.</summary>
    public async Task OnRemittanceAsync(BusDelivery delivery, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        if (Read(delivery) is not RemittanceReceived remittance)
            return;
        var instanceId = WorkflowInstanceIds.Remittance(remittance.Payer, remittance.TraceNumber);
        readModels.KeepRoutedRemittance(delivery.SequenceNumber, delivery.MessageId, remittance);
        var result = await client.StartIfNotExistsAsync(nameof(RemittanceToGlOrchestrator), instanceId,
            new RemittanceToGlInput(delivery.SequenceNumber, delivery.MessageId, remittance.Payer, remittance.TraceNumber, remittance.CorrelationId), remittance.CorrelationId, cancellationToken);
        Logs.Routed(logger, delivery.Type, delivery.Topic, delivery.Subscription, result);
        if (result == StartResult.AlreadyExists)
        {
            readModels.TakeRoutedRemittance(delivery.SequenceNumber, delivery.MessageId); // no build of this delivery will take it
            await RaiseIfAnotherRemittanceAsync(instanceId, remittance, delivery.MessageId, cancellationToken);
        }
    }

    /// <summary>
    /// TRN02 is the payer's unique trace of a payment, so the instance id is payer + TRN02. A second, different 835 with
    /// the same pair (not a redelivery of the one that started the instance) is not posted: it becomes an exception for
    /// an operator, and reconciliation shows its cash as unposted, instead of being dropped in silence.
    /// </summary>
    private async Task RaiseIfAnotherRemittanceAsync(string instanceId, RemittanceReceived remittance, string messageId, CancellationToken cancellationToken)
    {
        var existing = await client.GetInstanceAsync(instanceId, getInputsAndOutputs: true, cancellationToken);
        if (existing?.SerializedInput is not { } input || OrchestrationJson.Deserialize<RemittanceToGlInput>(input)?.MessageId == messageId)
            return;
        const string Reason = "duplicate-trace-number";
        var reference = $"835:{remittance.Payer}:{remittance.TraceNumber}:{messageId}";
        await exceptions.PublishAsync(new WorkflowException
        {
            Id = ExceptionBook.IdFor(instanceId, 0, Reason, reference),
            Reason = Reason,
            Kind = "source",
            Reference = reference,
            Blocking = false,
            CorrelationId = remittance.CorrelationId,
            InstanceId = instanceId,
            Action = $"another 835 from {remittance.Payer} has trace number {remittance.TraceNumber} and was posted by {instanceId}; ask the payer which is right, post this one by hand if it is a different payment, then resolve",
            RaisedAt = clock.GetUtcNow(),
        }, cancellationToken);
    }

    /// <summary>exceptions/workbench: workflow exceptions join the read model (others' messages on the topic are left to their owners).</summary>
    public Task OnExceptionAsync(BusDelivery delivery, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        if (delivery.Type == WorkflowException.MessageType && JsonSerializer.Deserialize<WorkflowException>(delivery.Body.Span, EventJson.Options) is { } exception)
            exceptions.Add(exception);
        return Task.CompletedTask;
    }

    private CanonicalEvent? Read(BusDelivery delivery)
    {
        try
        {
            return SourceEventJson.Deserialize(delivery.Body.Span);
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException)
        {
            // A malformed message would fail on every delivery; completing it keeps the subscription moving (the
            // ledger keeps the record for the workbench).
            Logs.Unreadable(logger, delivery.Type, delivery.Topic, delivery.Subscription);
            return null;
        }
    }
}
