using HealthFlow.Finance;
using HealthFlow.Finance.Events;
using HealthFlow.Pipeline.Ingestion;

namespace HealthFlow.Pipeline.Tests.Ingestion;

public sealed class EventWriterTests
{
    /// <summary>Events packed into shared blocks (past several block ends, one larger than a block) keep the JSON EventJson writes for each alone.</summary>
    [Fact]
    public void Each_written_event_is_the_json_EventJson_writes_and_its_envelope()
    {
        var writer = new EventWriter();
        var random = new Random(12);
        var events = Enumerable.Range(0, 3000).Select(i => new ClaimAcknowledged
        {
            IdempotencyKey = $"x12:ZZ:PAYER:{i:D9}",
            CorrelationId = "rcp_1",
            CausationId = "x12:ZZ:PAYER",
            ClaimId = i == 1500 ? new string('C', 1_500_000) : $"CLM{i}-" + new string('é', random.Next(400)) + "<&'\"",
            Payer = "PAYER",
            Accepted = i % 3 != 0,
            StatusCodes = [$"A{i % 8}:20:PR"],
            Charge = i % 2 == 0 ? new Money(i * 1.25m, "USD") : null,
        }).ToList();

        var written = events.Select(writer.Write).ToList();

        foreach (var (@event, w) in events.Zip(written))
        {
            Assert.Equal(EventJson.Serialize(@event), w.Message.Body.ToArray());
            Assert.Equal((@event.Topic, @event.IdempotencyKey, @event.EventType, @event.SessionKey, @event.CorrelationId, @event.CausationId),
                (w.Topic, w.Message.MessageId, w.Message.Type, w.Message.SessionKey, w.Message.CorrelationId, w.Message.CausationId));
        }
    }
}
