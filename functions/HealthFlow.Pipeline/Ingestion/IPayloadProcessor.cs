using HealthFlow.Finance.Events;
using HealthFlow.Pipeline.Bus;

namespace HealthFlow.Pipeline.Ingestion;

/// <summary>
/// Turns one durable raw payload into canonical events, or rejects it with reasons and the format's standard
/// acknowledgement. One processor per format; it must not throw for bad input (that is a rejection).
/// </summary>
public interface IPayloadProcessor
{
    PayloadFormat Format { get; }

    ProcessingResult Process(ReadOnlyMemory<byte> payload, ProcessingContext context);
}

/// <summary>What a processor knows about the payload it is given.</summary>
/// <param name="ReceiptId">The receipt, used as correlation id of every event.</param>
/// <param name="Vendor">The authenticated sender.</param>
/// <param name="Tokenize">Keyed tokenizer for patient identifiers; clear identifiers never leave the reader.</param>
public sealed record ProcessingContext(string ReceiptId, string Vendor, Func<string, string> Tokenize);

/// <summary>The outcome of processing: accepted with events, or rejected with reasons; both may carry an acknowledgement.</summary>
public sealed record ProcessingResult(bool Accepted, IReadOnlyList<WrittenEvent> Events, IReadOnlyList<string> Reasons, Acknowledgement? Acknowledgement)
{
    public static ProcessingResult Accept(IReadOnlyList<CanonicalEvent> events, Acknowledgement? acknowledgement = null) =>
        Accept([.. events.Select(WrittenEvent.Of)], acknowledgement);

    public static ProcessingResult Accept(IReadOnlyList<WrittenEvent> events, Acknowledgement? acknowledgement = null) =>
        new(true, events, [], acknowledgement);

    public static ProcessingResult Reject(IReadOnlyList<string> reasons, Acknowledgement? acknowledgement = null) =>
        new(false, [], reasons, acknowledgement);
}

/// <summary>
/// A canonical event as the bus and the ledger keep it: its JSON (<see cref="EventJson"/>) written once, when it is
/// read. A large payload's events then wait for their commit as bytes, which the collector neither traces nor
/// keeps alive an object graph for.
/// </summary>
/// <param name="Topic">The topic it is published on.</param>
/// <param name="Message">The message published, the event's JSON as its body.</param>
public sealed record WrittenEvent(string Topic, BusMessage Message)
{
    public static WrittenEvent Of(CanonicalEvent @event) =>
        new(@event.Topic, new BusMessage(@event.IdempotencyKey, @event.EventType, EventJson.Serialize(@event), @event.SessionKey, @event.CorrelationId, @event.CausationId));
}
