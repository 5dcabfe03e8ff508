using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using HealthFlow.Infra.Tests.Support;

namespace HealthFlow.Infra.Tests;

/// <summary>
/// functions/HealthFlow.Functions cannot restore here, so what can be checked without building it is checked here:
/// it is the project azure.yaml deploys, it uses the root host.json, it is built by CI (HealthFlow.sln) but kept out
/// of the local test command (HealthFlow.Local.slnf), its package versions are central, its HTTP triggers serve the
/// local runtime's routes, its Service Bus triggers read the topology's subscriptions the workflows consume, every
/// registered orchestrator and activity is a Durable function, and every setting it reads has a development value.
/// </summary>
public sealed partial class FunctionsProjectTests
{
    private const string Project = "functions/HealthFlow.Functions/HealthFlow.Functions.csproj";

    [Fact]
    public void The_project_is_a_functions_v4_isolated_worker_that_links_the_root_host_json()
    {
        var project = XDocument.Parse(Repository.Read(Project));

        Assert.Equal("v4", project.Descendants("AzureFunctionsVersion").Single().Value);
        Assert.Equal("Exe", project.Descendants("OutputType").Single().Value);
        var host = project.Descendants("None").Single(n => (string?)n.Attribute("Link") == "host.json");
        Assert.Equal("../../host.json", (string?)host.Attribute("Include"));
        Assert.True(File.Exists(Repository.PathOf("host.json")));
    }

    [Fact]
    public void The_project_is_in_the_solution_but_not_in_the_local_filter()
    {
        Assert.Contains(@"functions\HealthFlow.Functions\HealthFlow.Functions.csproj", Repository.Read("HealthFlow.sln"), StringComparison.Ordinal);

        using var filter = JsonDocument.Parse(Repository.Read("HealthFlow.Local.slnf"));
        var projects = filter.RootElement.GetProperty("solution").GetProperty("projects").EnumerateArray().Select(p => p.GetString()!).ToList();
        Assert.DoesNotContain(projects, p => p.Contains("HealthFlow.Functions", StringComparison.Ordinal));
        Assert.Contains(@"tests\HealthFlow.Infra.Tests\HealthFlow.Infra.Tests.csproj", projects);
    }

    [Fact]
    public void Every_package_of_the_project_has_a_central_version_in_its_labelled_group()
    {
        var references = XDocument.Parse(Repository.Read(Project)).Descendants("PackageReference").Select(r => (string)r.Attribute("Include")!).ToList();
        var central = XDocument.Parse(Repository.Read("Directory.Packages.props"));
        var versions = central.Descendants("PackageVersion").ToDictionary(v => (string)v.Attribute("Include")!, v => v);

        Assert.Contains("Microsoft.Azure.Functions.Worker", references);
        Assert.False(XDocument.Parse(Repository.Read(Project)).Descendants("PackageReference").Any(r => r.Attribute("Version") is not null), "Versions belong in Directory.Packages.props.");
        foreach (var reference in references)
            Assert.True(versions.ContainsKey(reference), $"Directory.Packages.props has no version for {reference}.");
        var group = versions["Microsoft.Azure.Functions.Worker"].Parent!;
        Assert.StartsWith("Azure Functions app", (string?)group.Attribute("Label"), StringComparison.Ordinal);
    }

    [Fact]
    public void The_http_triggers_serve_exactly_the_local_runtime_routes_anonymously()
    {
        // Every route the Pipeline maps (HealthFlowRoutes, MapOrchestrationApi, MapExceptionApi) is the local runtime's.
        var localRoutes = Directory.EnumerateFiles(Repository.PathOf("functions/HealthFlow.Pipeline"), "*.cs", SearchOption.AllDirectories)
            .SelectMany(file => LocalRoute().Matches(File.ReadAllText(file)))
            .Select(m => $"{m.Groups["verb"].Value.ToUpperInvariant()} {Normalize(m.Groups["route"].Value)}")
            .ToHashSet(StringComparer.Ordinal);
        var triggers = Repository.Read("functions/HealthFlow.Functions/HttpFunctions.cs");
        var prefix = System.Text.Json.Nodes.JsonNode.Parse(Repository.Read("host.json"))!["extensions"]!["http"]!["routePrefix"]!.GetValue<string>();
        var functionRoutes = TriggerRoute().Matches(triggers)
            .Select(m => $"{m.Groups["verb"].Value.ToUpperInvariant()} {Normalize("/" + (prefix.Length > 0 ? prefix + "/" : "") + m.Groups["route"].Value)}")
            .ToHashSet(StringComparer.Ordinal);

        foreach (var route in new[] { "POST /api/x12", "GET /api/receipts/{}", "GET /api/orchestrations/{}", "GET /api/exceptions", "POST /api/exceptions/{}/resolve" })
            Assert.Contains(route, localRoutes);
        Assert.Equal(localRoutes.Order(StringComparer.Ordinal), functionRoutes.Order(StringComparer.Ordinal));
        Assert.DoesNotContain("AuthorizationLevel.Function", triggers, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_service_bus_trigger_reads_a_topology_subscription_with_its_session_setting_over_the_identity_connection()
    {
        var source = Repository.Read("functions/HealthFlow.Functions/TopicFunctions.cs");
        var triggers = ServiceBusTrigger().Matches(source).ToList();
        var topology = Topology();

        Assert.NotEmpty(triggers);
        Assert.Contains("private const string Connection = \"ServiceBusConnection\";", source, StringComparison.Ordinal);
        foreach (var trigger in triggers)
        {
            var key = (trigger.Groups["topic"].Value, trigger.Groups["subscription"].Value);
            Assert.True(topology.TryGetValue(key, out var requiresSession), $"topology.json has no subscription {key}.");
            Assert.Equal("Connection", trigger.Groups["connection"].Value);
            Assert.True(requiresSession == trigger.Groups["sessions"].Success, $"{key}: IsSessionsEnabled must equal requiresSession ({requiresSession}) or the host cannot receive.");
        }
        Assert.Equal(triggers.Count, triggers.Select(t => (t.Groups["topic"].Value, t.Groups["subscription"].Value)).Distinct().Count());
    }

    [Fact]
    public void Every_subscription_the_workflow_routers_consume_has_a_trigger()
    {
        var routers = Repository.Read("functions/HealthFlow.Pipeline/Workflows/WorkflowRouters.cs");
        var exceptionsTopic = ConstantValue().Match(Repository.Read("functions/HealthFlow.Pipeline/Workflows/ExceptionBook.cs")).Groups["value"].Value;
        var consumed = RouterSubscription().Matches(routers)
            .Select(m => (m.Groups["topic"].Value == "ExceptionBook.Topic" ? exceptionsTopic : m.Groups["topic"].Value.Trim('"'), m.Groups["subscription"].Value))
            .ToList();
        var triggered = ServiceBusTrigger().Matches(Repository.Read("functions/HealthFlow.Functions/TopicFunctions.cs"))
            .Select(m => (m.Groups["topic"].Value, m.Groups["subscription"].Value))
            .ToHashSet();

        Assert.Equal("exceptions", exceptionsTopic);
        Assert.True(consumed.Count >= 6, $"Only {consumed.Count} router subscriptions found.");
        foreach (var subscription in consumed)
            Assert.Contains(subscription, triggered);
    }

    [Fact]
    public void Every_orchestrator_and_activity_the_workflows_register_is_a_durable_function_of_the_same_name()
    {
        var registered = Registration().Matches(Repository.Read("functions/HealthFlow.Pipeline/Workflows/WorkflowRegistration.cs"))
            .Select(m => (Kind: m.Groups["kind"].Value, Name: m.Groups["name"].Value))
            .ToList();
        var functions = DurableFunction().Matches(Repository.Read("functions/HealthFlow.Functions/WorkflowFunctions.cs"))
            .ToDictionary(m => m.Groups["name"].Value, m => m.Groups["trigger"].Value, StringComparer.Ordinal);

        Assert.Contains(registered, r => r.Kind == "Orchestrator");
        Assert.Contains(registered, r => r.Kind == "Activity");
        foreach (var (kind, name) in registered)
        {
            Assert.True(functions.TryGetValue(name, out var trigger), $"WorkflowFunctions has no [Function(nameof({name}))].");
            Assert.Equal(kind == "Orchestrator" ? "OrchestrationTrigger" : "ActivityTrigger", trigger);
        }
        Assert.Equal(registered.Count, functions.Count);
    }

    [Fact]
    public void Every_setting_the_azure_composition_reads_has_a_development_value_and_is_documented()
    {
        var composition = Repository.Read("functions/HealthFlow.Functions/AzureComposition.cs");
        var read = SettingRead().Matches(composition).Select(m => m.Groups["key"].Value).Distinct().ToList();
        using var sample = JsonDocument.Parse(Repository.Read("local.settings.sample.json"));
        var values = sample.RootElement.GetProperty("Values").EnumerateObject().Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        var readme = Repository.Read("README.md");

        Assert.Contains("Ledger:ContainerUri", read);
        Assert.Contains("ServiceBusConnection:fullyQualifiedNamespace", read);
        foreach (var key in read)
        {
            // Configuration keys use ':'; app settings and the sample file use '__' (either form in the README).
            var setting = key.Replace(":", "__", StringComparison.Ordinal);
            Assert.True(values.Contains(setting), $"local.settings.sample.json has no value for {setting}.");
            Assert.True(readme.Contains($"`{key}`", StringComparison.Ordinal) || readme.Contains($"`{setting}`", StringComparison.Ordinal),
                $"README, \"Configuration\", does not document the setting `{key}`.");
        }
        // host.json's %TaskHubName% and the trigger connection resolve under `func start` too.
        Assert.Contains("TaskHubName", values);
        Assert.Contains("AzureWebJobsStorage", values);
    }

    /// <summary>(topic, subscription) → requiresSession, from topology.json.</summary>
    private static Dictionary<(string, string), bool> Topology()
    {
        using var topology = JsonDocument.Parse(Repository.Read("topology.json"));
        var result = new Dictionary<(string, string), bool>();
        foreach (var topic in topology.RootElement.GetProperty("topics").EnumerateArray())
        {
            foreach (var subscription in topic.GetProperty("subscriptions").EnumerateArray())
                result[(topic.GetProperty("name").GetString()!, subscription.GetProperty("name").GetString()!)] = subscription.GetProperty("requiresSession").GetBoolean();
        }
        return result;
    }

    /// <summary>Route parameters compare by position, not name: /api/receipts/{receiptId} = /api/receipts/{id}.</summary>
    private static string Normalize(string route) => RouteParameter().Replace(route, "{}");

    [GeneratedRegex(@"app\.Map(?<verb>Get|Post|Put|Delete)\(""(?<route>[^""]+)""")]
    private static partial Regex LocalRoute();

    [GeneratedRegex(@"HttpTrigger\(AuthorizationLevel\.\w+, ""(?<verb>\w+)"", Route = ""(?<route>[^""]+)""\)")]
    private static partial Regex TriggerRoute();

    [GeneratedRegex(@"\{[^}]*\}")]
    private static partial Regex RouteParameter();

    [GeneratedRegex(@"ServiceBusTrigger\(""(?<topic>[^""]+)"", ""(?<subscription>[^""]+)"", Connection = (?<connection>\w+)(?<sessions>, IsSessionsEnabled = true)?\)")]
    private static partial Regex ServiceBusTrigger();

    [GeneratedRegex(@"^\s*\((?<topic>""[^""]+""|ExceptionBook\.Topic), ""(?<subscription>[^""]+)"",", RegexOptions.Multiline)]
    private static partial Regex RouterSubscription();

    [GeneratedRegex(@"public const string Topic = ""(?<value>[^""]+)"";")]
    private static partial Regex ConstantValue();

    [GeneratedRegex(@"\.Add(?<kind>Orchestrator|Activity)<(?<name>\w+)>\(\)")]
    private static partial Regex Registration();

    [GeneratedRegex(@"\[Function\(nameof\((?<name>\w+)\)\)\]\s*public [^(]+\(\[(?<trigger>OrchestrationTrigger|ActivityTrigger)\]")]
    private static partial Regex DurableFunction();

    [GeneratedRegex(@"(?:configuration\[""|Required\(configuration, "")(?<key>[A-Za-z_]+(?::[A-Za-z_]+)*)""")]
    private static partial Regex SettingRead();
}
