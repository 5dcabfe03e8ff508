using System.Text;
using HealthFlow.Finance.Events;
using HealthFlow.Finance.Journals;
using HealthFlow.Pipeline.Ingestion;
using HealthFlow.Pipeline.Ingestion.Fhir;
using HealthFlow.Pipeline.Ingestion.X12;
using HealthFlow.Tests.Shared;
using HealthFlow.X12;

namespace HealthFlow.Pipeline.Tests.Reconciliation;

/// <summary>The events ingestion makes of the fixtures and of generated X12 read back through SourceEventJson as the serializer reads them.</summary>
public sealed class SourceEventJsonFixtureTests
{
    private static readonly ProcessingContext Context = new("rcpt-fixture", "test", value => "pt_" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(value)))[..32]);

    public static TheoryData<string> Fixtures() =>
        [.. Directory.EnumerateFiles(SourceTree.PathOf("tests/fixtures/x12")).Concat(Directory.EnumerateFiles(SourceTree.PathOf("tests/fixtures/fhir")))
            .Select(p => Path.GetRelativePath(SourceTree.PathOf("tests/fixtures"), p).Replace('\\', '/')).Order(StringComparer.Ordinal)];

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Events_of_each_fixture_read_as_the_serializer_reads_them(string fixture)
    {
        var payload = File.ReadAllBytes(SourceTree.PathOf("tests/fixtures/" + fixture));
        IPayloadProcessor processor = fixture.StartsWith("x12/", StringComparison.Ordinal) ? new X12Processor(TimeProvider.System) : new FhirProcessor();
        AssertEachReadAsTheSerializerReads(processor.Process(payload, Context).Events);
    }

    [Fact]
    public void Events_of_generated_835s_and_837s_read_as_the_serializer_reads_them()
    {
        var generator = new X12Generator(7);
        var events = new List<WrittenEvent>();
        foreach (var write in new Action<Stream>[]
        {
            s => generator.Write835(s, 200_000, claimsPerTransactionSet: 20, setsPerInterchange: 5),
            s => generator.Write835Corrections(s),
            s => generator.Write837(s, ClaimKind.Institutional, 50),
            s => generator.Write837(s, ClaimKind.Professional, 50),
        })
        {
            using var stream = new MemoryStream();
            write(stream);
            events.AddRange(new X12Processor(TimeProvider.System).Process(stream.ToArray(), Context).Events);
        }

        Assert.Contains(events, e => e.Message.Type == nameof(RemittanceReceived));
        Assert.Contains(events, e => e.Message.Type == nameof(ClaimSubmitted));
        AssertEachReadAsTheSerializerReads(events);
    }

    private static void AssertEachReadAsTheSerializerReads(IReadOnlyList<WrittenEvent> events)
    {
        var strings = new Utf8StringPool(capacity: 64); // shared by all events, and full before the end: pooled and not
        foreach (var @event in events)
        {
            var json = @event.Message.Body.ToArray();
            if (@event.Message.Type is nameof(ClaimSubmitted) or nameof(RemittanceReceived))
                Assert.NotNull(SourceEventJson.TryReadWritten(json)); // the written shape takes the fast path
            foreach (var read in new[] { SourceEventJson.Deserialize(json), SourceEventJson.Deserialize(json, strings) })
            {
                Assert.Equal(@event.Message.Type, read.EventType);
                Assert.Equal(Encoding.UTF8.GetString(json), Encoding.UTF8.GetString(EventJson.Serialize(read)));
            }
        }
    }
}
