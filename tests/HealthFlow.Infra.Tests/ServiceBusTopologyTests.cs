using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml;
using HealthFlow.Infra.Tests.Support;

namespace HealthFlow.Infra.Tests;

/// <summary>
/// The Service Bus deployment is generated from topology.json, the file the embedded bus reads: the module must load
/// that very file and iterate it (so a topic added to the file is deployed without touching Bicep), and every entry of
/// the file must be something Service Bus accepts.
/// </summary>
public sealed partial class ServiceBusTopologyTests
{
    private static readonly BicepDocument Module = BicepDocument.Load("bicep/servicebus.bicep");

    public static TheoryData<string, string> TopologySubscriptions()
    {
        var data = new TheoryData<string, string>();
        foreach (var topic in Topics())
        {
            foreach (var subscription in topic.GetProperty("subscriptions").EnumerateArray())
                data.Add(topic.GetProperty("name").GetString()!, subscription.GetProperty("name").GetString()!);
        }
        return data;
    }

    [Fact]
    public void The_module_loads_the_repository_topology_file()
    {
        var topology = Module.Variable("topology");

        Assert.Equal("loadJsonContent('../topology.json')", topology.Value);
        // loadJsonContent resolves relative to the module file, at build time.
        var resolved = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(Repository.PathOf(Module.Path))!, "../topology.json"));
        Assert.Equal(Repository.PathOf("topology.json"), resolved);
    }

    [Fact]
    public void Topics_are_deployed_by_iterating_every_topic_of_the_file()
    {
        var topics = Assert.Single(Module.Resources, r => r.ResourceType == "Microsoft.ServiceBus/namespaces/topics");

        Assert.Contains("for topic in topology.topics", topics.Head, StringComparison.Ordinal);
        Assert.DoesNotContain(" if ", topics.Head, StringComparison.Ordinal);
        Assert.Equal("topic.name", topics.Property("name"));
        Assert.Equal("namespace", topics.Property("parent"));
    }

    [Fact]
    public void Subscriptions_are_deployed_by_iterating_every_subscription_of_every_topic_with_its_settings_from_the_file()
    {
        var flattened = Module.Variable("subscriptions").Value!;
        Assert.Contains("range(0, length(topology.topics))", flattened, StringComparison.Ordinal);
        Assert.Contains("topology.topics[i].subscriptions", flattened, StringComparison.Ordinal);
        foreach (var setting in new[] { "name", "maxDeliveryCount", "lockDuration", "requiresSession" })
            Assert.Matches($@"\b{setting}: subscription\.{setting}\b", flattened);

        var subscriptions = Assert.Single(Module.Resources, r => r.ResourceType == "Microsoft.ServiceBus/namespaces/topics/subscriptions");
        Assert.Contains("for subscription in subscriptions", subscriptions.Head, StringComparison.Ordinal);
        Assert.DoesNotContain(" if ", subscriptions.Head, StringComparison.Ordinal);
        Assert.Equal("topics[subscription.topicIndex]", subscriptions.Property("parent"));
        Assert.Equal("subscription.name", subscriptions.Property("name"));
        var properties = subscriptions.PropertiesOf("properties");
        Assert.Equal("subscription.maxDeliveryCount", properties["maxDeliveryCount"]);
        Assert.Equal("subscription.lockDuration", properties["lockDuration"]);
        Assert.Equal("subscription.requiresSession", properties["requiresSession"]);
        Assert.Equal("true", properties["deadLetteringOnMessageExpiration"]);
    }

    [Fact]
    public void Main_deploys_the_service_bus_module()
    {
        var main = BicepDocument.Load("infra/main.bicep");

        Assert.Single(main.Modules, m => m.Target == "../bicep/servicebus.bicep");
    }

    [Fact]
    public void Every_topic_of_the_file_has_a_valid_unique_name_and_a_subscription_list()
    {
        var names = Topics().Select(t => t.GetProperty("name").GetString()!).ToList();

        Assert.NotEmpty(names);
        Assert.Equal(names.Count, names.Distinct(StringComparer.OrdinalIgnoreCase).Count());
        foreach (var topic in Topics())
        {
            var name = topic.GetProperty("name").GetString()!;
            // Topic names: 1-260 characters; we keep to letters, digits, '.', '-', '_' so paths and metrics stay simple.
            Assert.Matches(EntityName(), name);
            // A topic may have no subscription yet (journals: its readers, reconciliation, come later); the ledger
            // keeps what is published there, so nothing is lost on the embedded bus; Service Bus discards it.
            Assert.Equal(System.Text.Json.JsonValueKind.Array, topic.GetProperty("subscriptions").ValueKind);
        }
    }

    [Theory]
    [MemberData(nameof(TopologySubscriptions))]
    public void Every_subscription_of_the_file_has_settings_service_bus_accepts(string topic, string subscription)
    {
        var entry = Topics().Single(t => t.GetProperty("name").GetString() == topic)
            .GetProperty("subscriptions").EnumerateArray()
            .Single(s => s.GetProperty("name").GetString() == subscription);

        // Subscription names: 1-50 characters, alphanumerics, '.', '-', '_', starting and ending with an alphanumeric.
        Assert.InRange(subscription.Length, 1, 50);
        Assert.Matches(EntityName(), subscription);
        // maxDeliveryCount: at least 1; lockDuration: ISO 8601, at most 5 minutes (the service maximum).
        Assert.InRange(entry.GetProperty("maxDeliveryCount").GetInt32(), 1, 2000);
        var lockDuration = XmlConvert.ToTimeSpan(entry.GetProperty("lockDuration").GetString()!);
        Assert.InRange(lockDuration, TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(5));
        Assert.True(entry.GetProperty("requiresSession").ValueKind is JsonValueKind.True or JsonValueKind.False);
    }

    private static List<JsonElement> Topics()
    {
        using var document = JsonDocument.Parse(Repository.Read("topology.json"));
        return [.. document.RootElement.GetProperty("topics").EnumerateArray().Select(t => t.Clone())];
    }

    [GeneratedRegex(@"^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$")]
    private static partial Regex EntityName();
}
