using Azure.Messaging.ServiceBus;
using HealthFlow.Ledger;
using HealthFlow.Pipeline.Bus;
using HealthFlow.Pipeline.Workflows;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;

namespace HealthFlow.Functions;

/// <summary>
/// The Service Bus subscriptions the workflows consume (<see cref="WorkflowRouters.Subscriptions"/>, the list the local
/// runtime runs over its embedded bus), each a trigger that hands the message to the same router handler. Sessions where
/// topology.json says <c>requiresSession</c> (one encounter or 835 at a time, in order).
/// </summary>
/// <remarks>
/// <para>Settlement is the host's (host.json <c>autoCompleteMessages</c>): a handler that returns completes the message,
/// one that throws abandons it, and after the subscription's <c>maxDeliveryCount</c> Service Bus dead-letters it, where
/// it stays for replay and the dead-letter alert (infra/monitoring/dead-letters.kql). On that last delivery the trigger
/// also raises a <c>dead-lettered</c> exception on the workbench, so an operator sees it next to the workflow exceptions.</para>
/// <para>Checked against Azure/azure-functions-dotnet-worker extensions/Worker.Extensions.ServiceBus: <c>ServiceBusTriggerAttribute(topicName,
/// subscriptionName)</c> with <c>Connection</c> and <c>IsSessionsEnabled</c>; <see cref="ServiceBusReceivedMessage"/> is bound by
/// ServiceBusReceivedMessageConverter. <c>[DurableClient]</c> binds <see cref="DurableTaskClient"/> (Worker.Extensions.DurableTask).</para>
/// </remarks>
public sealed class TopicFunctions(IServiceProvider services, BusTopology topology, ExceptionBook exceptions, ILedger ledger, TimeProvider clock)
{
    /// <summary>The app setting prefix of the identity-based Service Bus connection (<c>ServiceBusConnection__fullyQualifiedNamespace</c>).</summary>
    private const string Connection = "ServiceBusConnection";

    [Function("EncountersDischargeToBill")]
    public Task OnEncounter(
        [ServiceBusTrigger("encounters", "discharge-to-bill", Connection = Connection, IsSessionsEnabled = true)] ServiceBusReceivedMessage message,
        [DurableClient] DurableTaskClient client, FunctionContext context) =>
        RouteAsync("encounters", "discharge-to-bill", message, client, context, (routers, delivery, token) => routers.OnEncounterAsync(delivery, token));

    [Function("ChargesDischargeToBill")]
    public Task OnCharge(
        [ServiceBusTrigger("charges", "discharge-to-bill", Connection = Connection, IsSessionsEnabled = true)] ServiceBusReceivedMessage message,
        [DurableClient] DurableTaskClient client, FunctionContext context) =>
        RouteAsync("charges", "discharge-to-bill", message, client, context, (routers, delivery, token) => routers.OnChargeAsync(delivery, token));

    [Function("ClaimsRemittanceToGl")]
    public Task OnClaim(
        [ServiceBusTrigger("claims", "remittance-to-gl", Connection = Connection)] ServiceBusReceivedMessage message,
        [DurableClient] DurableTaskClient client, FunctionContext context) =>
        RouteAsync("claims", "remittance-to-gl", message, client, context, (routers, delivery, token) => routers.OnClaimAsync(delivery, token));

    /// <summary>Drained, as in the local runtime: nothing needs it, and undrained messages would expire into the dead-letter queue.</summary>
    [Function("ClaimsDischargeToBill")]
    public static void DrainClaims(
        [ServiceBusTrigger("claims", "discharge-to-bill", Connection = Connection, IsSessionsEnabled = true)] ServiceBusReceivedMessage message) =>
        ArgumentNullException.ThrowIfNull(message);

    [Function("RemittancesRemittanceToGl")]
    public Task OnRemittance(
        [ServiceBusTrigger("remittances", "remittance-to-gl", Connection = Connection, IsSessionsEnabled = true)] ServiceBusReceivedMessage message,
        [DurableClient] DurableTaskClient client, FunctionContext context) =>
        RouteAsync("remittances", "remittance-to-gl", message, client, context, (routers, delivery, token) => routers.OnRemittanceAsync(delivery, token));

    [Function("ExceptionsWorkbench")]
    public Task OnException(
        [ServiceBusTrigger("exceptions", "workbench", Connection = Connection)] ServiceBusReceivedMessage message,
        [DurableClient] DurableTaskClient client, FunctionContext context) =>
        RouteAsync("exceptions", "workbench", message, client, context, (routers, delivery, token) => routers.OnExceptionAsync(delivery, token));

    private async Task RouteAsync(string topic, string subscription, ServiceBusReceivedMessage message, DurableTaskClient client, FunctionContext context,
        Func<WorkflowRouters, BusDelivery, CancellationToken, Task> handle)
    {
        var delivery = await DeliveryAsync(topic, subscription, message, context.CancellationToken);
        var routers = ActivatorUtilities.CreateInstance<WorkflowRouters>(services, new DurableOrchestrationClient(client));
        try
        {
            await handle(routers, delivery, context.CancellationToken);
        }
        catch (Exception ex) when (delivery.DeliveryCount >= topology.FindTopic(topic)!.FindSubscription(subscription)!.MaxDeliveryCount)
        {
            // The last delivery failed: Service Bus dead-letters the message when the host abandons it.
            await exceptions.PublishAsync(DeadLettered(delivery, ex), CancellationToken.None);
            throw;
        }
    }

    /// <summary>
    /// The routers' view of a message; its sequence number is its ledger record's (claim-checks name records), −1 when it
    /// has none. A claim-check's body is read from that record (<see cref="ServiceBusTopicBus.BodyAsync"/>).
    /// </summary>
    private async Task<BusDelivery> DeliveryAsync(string topic, string subscription, ServiceBusReceivedMessage message, CancellationToken cancellationToken) => new(
        topic, subscription,
        message.ApplicationProperties.TryGetValue(ServiceBusTopicBus.LedgerSequenceProperty, out var seq) && seq is long ledgerSeq ? ledgerSeq : -1,
        message.MessageId, message.Subject ?? "", message.SessionId ?? "", message.CorrelationId ?? "",
        message.ApplicationProperties.TryGetValue("causationId", out var causation) ? causation?.ToString() ?? "" : "",
        await ServiceBusTopicBus.BodyAsync(ledger, message, cancellationToken), message.DeliveryCount, message.EnqueuedTime, message.ScheduledEnqueueTime == default ? null : message.ScheduledEnqueueTime,
        Guid.TryParse(message.LockToken, out var lockToken) ? lockToken : Guid.Empty, message.LockedUntil);

    /// <summary>A non-blocking workbench entry: ids, the exception's type, never the body (it may hold claim data).</summary>
    private WorkflowException DeadLettered(BusDelivery delivery, Exception ex)
    {
        var id = ExceptionBook.IdFor($"bus:{delivery.Topic}/{delivery.Subscription}", 0, "dead-lettered", delivery.MessageId);
        return new WorkflowException
        {
            Id = id,
            Reason = "dead-lettered",
            Kind = "bus",
            Reference = $"{delivery.Topic}/{delivery.Subscription}/{delivery.MessageId}",
            Blocking = false,
            CorrelationId = delivery.CorrelationId,
            InstanceId = "",
            Action = $"the {delivery.Type} message failed {delivery.DeliveryCount} deliveries ({ex.GetType().Name}, details in Application Insights) and is in the dead-letter queue of {delivery.Topic}/{delivery.Subscription}; fix the cause, resubmit it from there, then POST /api/exceptions/{id}/resolve",
            RaisedAt = clock.GetUtcNow(),
        };
    }
}
