using System.Text;
using HealthFlow.Pipeline.Bus;

namespace HealthFlow.Pipeline.Tests.Bus;

public sealed class The_bus_topology
{
    [Fact]
    public void embedded_in_the_assembly_is_the_repository_topology_file()
    {
        var topology = BusTopology.LoadEmbedded();

        Assert.Subset(topology.Topics.Select(t => t.Name).ToHashSet(), new HashSet<string> { "encounters", "charges", "claims", "remittances", "journals", "exceptions" });
        var remittances = topology.FindTopic("remittances")!.FindSubscription("remittance-to-gl")!;
        Assert.Equal(new SubscriptionDefinition("remittance-to-gl", 10, TimeSpan.FromMinutes(5), true), remittances);
        Assert.True(topology.FindTopic("remittances")!.RequiresSessionKey);
    }

    [Fact]
    public void can_be_overridden_by_a_file()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, """
                { "topics": [ { "name": "t", "subscriptions": [ { "name": "s", "maxDeliveryCount": 2, "lockDuration": "PT30S", "requiresSession": false } ] } ] }
                """);

            var topology = BusTopology.Load(path);

            Assert.Equal(TimeSpan.FromSeconds(30), Assert.Single(Assert.Single(topology.Topics).Subscriptions).LockDuration);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void that_is_invalid_is_refused_with_every_problem_named()
    {
        var json = """
            {
              "$comment": "comments are allowed",
              "topics": [
                { "name": "a", "subscriptions": [ { "name": "s", "maxDeliveryCount": 0, "lockDuration": "1 minute", "requiresSession": false } ] },
                { "name": "a", "subscriptions": [ { "name": "s", "maxDeliveryCount": 1, "lockDuration": "PT1H", "requireSession": true } ] },
                { "name": "bad/name", "subscriptions": [] }
              ]
            }
            """;

        Assert.Null(BusTopology.Parse(Encoding.UTF8.GetBytes(json), out var errors));

        var all = string.Join("\n", errors);
        Assert.Contains("'1 minute' is not an ISO-8601 duration", all, StringComparison.Ordinal);
        Assert.Contains("unknown property \"requireSession\"", all, StringComparison.Ordinal);
        Assert.Contains("requiresSession must be true or false", all, StringComparison.Ordinal);
    }

    [Fact]
    public void that_breaks_a_service_bus_rule_is_refused()
    {
        var json = """
            { "topics": [
                { "name": "a", "subscriptions": [ { "name": "s", "maxDeliveryCount": 0, "lockDuration": "PT1H", "requiresSession": false } ] },
                { "name": "a", "subscriptions": [] },
                { "name": "bad/name", "subscriptions": [] } ] }
            """;

        Assert.Null(BusTopology.Parse(Encoding.UTF8.GetBytes(json), out var errors));

        var all = string.Join("\n", errors);
        Assert.Contains("maxDeliveryCount 0 is outside 1 to 2000", all, StringComparison.Ordinal);
        Assert.Contains("lockDuration 01:00:00 is outside 5 seconds to 5 minutes", all, StringComparison.Ordinal);
        Assert.Contains("topic 'a' is declared twice", all, StringComparison.Ordinal);
        Assert.Contains("topic name 'bad/name'", all, StringComparison.Ordinal);
    }

    [Fact]
    public void that_is_not_json_is_refused()
    {
        Assert.Null(BusTopology.Parse("{ topics"u8, out var errors));
        Assert.StartsWith("not valid JSON", Assert.Single(errors), StringComparison.Ordinal);
    }
}
