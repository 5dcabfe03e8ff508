using System.Buffers;
using System.Text;
using System.Text.Json;
using HealthFlow.Hl7.Generation;

namespace HealthFlow.Hl7.Tests;

public class Hl7GeneratorTests
{
    [Fact]
    public void The_same_seed_gives_the_same_traffic()
    {
        var first = new Hl7Generator(42).NextEncounter().Select(m => m.Text);
        var second = new Hl7Generator(42).NextEncounter().Select(m => m.Text);
        Assert.Equal(first, second);
        Assert.NotEqual(first, new Hl7Generator(43).NextEncounter().Select(m => m.Text));
    }

    [Theory]
    [InlineData("2.5.1", "\r")]
    [InlineData("2.3", "\r\n")]
    [InlineData("2.4", "\n")]
    public void Every_generated_message_is_accepted(string version, string terminator)
    {
        var generator = new Hl7Generator(7, new Hl7GeneratorOptions { Version = version, SegmentTerminator = terminator });
        for (var i = 0; i < 50; i++)
        {
            foreach (var message in generator.NextEncounter())
            {
                var result = Hl7Reader.Read(message.ToBytes(), Fixtures.Tokenize);
                Assert.True(result.IsAccepted, $"{message.MessageType}: {string.Join("; ", result.Errors.Select(e => $"{e.Location} {e.Diagnostic}"))}");
                Assert.Equal(message.ControlId, result.Header!.ControlId);
                Assert.All(result.Facts, f => Assert.Equal(message.EncounterId, f.EncounterId));
            }
        }
    }

    [Fact]
    public void An_encounter_story_admits_charges_and_discharges_the_same_encounter()
    {
        var messages = new Hl7Generator(1).NextEncounter();
        var facts = messages.SelectMany(m => Hl7Reader.Read(m.Text, Fixtures.Tokenize).Facts).ToList();
        Assert.Equal(Hl7FactType.EncounterAdmitted, facts[0].Type);
        Assert.Single(facts.Select(f => f.EncounterId).Distinct());
        if (facts.Count > 1)
        {
            Assert.Contains(facts, f => f.Type is Hl7FactType.ChargePosted or Hl7FactType.ChargeCredited);
            Assert.Contains(facts, f => f.Type == Hl7FactType.EncounterDischarged);
        }
    }

    [Fact]
    public void Every_ADT_trigger_can_be_generated()
    {
        var generator = new Hl7Generator(3);
        foreach (var adtEvent in Enum.GetValues<Hl7AdtEvent>())
        {
            var result = Hl7Reader.Read(generator.NextAdt(adtEvent).Text, Fixtures.Tokenize);
            Assert.True(result.IsAccepted);
            Assert.Equal(adtEvent, ((Hl7AdtMessage)result.Message!).Event);
        }
    }

    [Fact]
    public void Fake_patient_names_never_appear_in_facts_ACKs_or_inspect_reports()
    {
        var generator = new Hl7Generator(99);
        var names = Hl7Generator.FamilyNames.Concat(Hl7Generator.GivenNames).ToList();
        var seenNames = new HashSet<string>();
        for (var i = 0; i < 40; i++)
        {
            foreach (var message in generator.NextEncounter())
            {
                Assert.Contains(message.PatientFamilyName, message.Text, StringComparison.Ordinal);
                seenNames.Add(message.PatientFamilyName);
                var result = Hl7Reader.Read(message.ToBytes(), Fixtures.Tokenize);
                var downstream = new StringBuilder();
                downstream.Append(Hl7AckBuilder.Build(result, Fixtures.Now));
                foreach (var fact in result.Facts)
                {
                    downstream.Append(fact);
                }

                downstream.Append(result.Message);
                var report = new ArrayBufferWriter<byte>();
                using (var writer = new Utf8JsonWriter(report))
                {
                    Hl7InspectReport.Write(writer, message.ToBytes(), Fixtures.Tokenize, Fixtures.Now);
                }

                downstream.Append(Encoding.UTF8.GetString(report.WrittenSpan));
                var text = downstream.ToString();
                foreach (var name in names)
                {
                    Assert.DoesNotContain(name, text, StringComparison.Ordinal);
                }

                Assert.DoesNotContain("Lark Lane", text, StringComparison.Ordinal);
            }
        }

        Assert.True(seenNames.Count > 5);
    }
}
