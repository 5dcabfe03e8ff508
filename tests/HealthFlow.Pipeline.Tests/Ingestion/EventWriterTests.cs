using HealthFlow.Finance;
using HealthFlow.Finance.Events;
using HealthFlow.Pipeline.Ingestion;
using HealthFlow.Pipeline.Ingestion.Fhir;
using HealthFlow.Pipeline.Ingestion.Hl7;
using HealthFlow.Pipeline.Ingestion.X12;
using HealthFlow.Tests.Shared;

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

    public static TheoryData<string> Fixtures() =>
        [.. new[] { "x12", "fhir", "hl7" }.SelectMany(f => Directory.EnumerateFiles(SourceTree.PathOf("tests/fixtures/" + f)))
            .Select(p => Path.GetRelativePath(SourceTree.PathOf("tests/fixtures"), p).Replace('\\', '/')).Order(StringComparer.Ordinal)];

    /// <summary>The build-time serialisers write every kind of event the readers make as the reflection-based EventJson does.</summary>
    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Events_of_each_fixture_are_written_as_EventJson_writes_them(string fixture)
    {
        IPayloadProcessor processor = fixture.Split('/')[0] switch
        {
            "x12" => new X12Processor(TimeProvider.System),
            "fhir" => new FhirProcessor(),
            _ => new Hl7Processor(TimeProvider.System),
        };
        var context = new ProcessingContext("rcp_fixture", "test", value => "pt_" + value.Length);
        foreach (var written in processor.Process(File.ReadAllBytes(SourceTree.PathOf("tests/fixtures/" + fixture)), context).Events)
        {
            var json = written.Message.Body.ToArray();
            Assert.Equal(json, EventJson.Serialize(EventJson.Deserialize(json)));
        }
    }
}
