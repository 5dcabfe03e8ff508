using System.Text.RegularExpressions;
using HealthFlow.Infra.Tests.Support;

namespace HealthFlow.Infra.Tests;

/// <summary>
/// What the syntax check cannot see: module paths and loaded files exist, every monitoring query becomes an alert,
/// every deployed resource is tagged, the resources that matter send diagnostics, and the hosting plan is the one
/// the architecture names.
/// </summary>
public sealed partial class TemplateConsistencyTests
{
    private static IEnumerable<BicepDocument> Documents() => Repository.BicepFiles().Select(BicepDocument.Load);

    private static readonly BicepDocument Main = BicepDocument.Load("infra/main.bicep");

    [Fact]
    public void Every_module_path_names_an_existing_bicep_file()
    {
        foreach (var document in Documents())
        {
            foreach (var module in document.Modules)
            {
                var path = Resolve(document, module.Target);
                Assert.True(File.Exists(path), $"{module.Location}: module file {module.Target} does not exist.");
            }
        }
    }

    [Fact]
    public void Every_file_loaded_at_build_time_exists()
    {
        var loads = 0;
        foreach (var document in Documents())
        {
            foreach (Match load in LoadCall().Matches(document.CodeWithoutComments()))
            {
                loads++;
                var path = Resolve(document, load.Groups["path"].Value);
                Assert.True(File.Exists(path), $"{document.Path}:{document.LineOf(load.Index)}: {load.Value} names a missing file.");
            }
        }
        Assert.True(loads >= 6, $"Expected the topology, abbreviations and four query loads, found {loads}.");
    }

    [Fact]
    public void Every_monitoring_query_is_deployed_as_an_alert_rule_with_its_placeholders_filled()
    {
        var queries = Directory.EnumerateFiles(Repository.PathOf("infra/monitoring"), "*.kql").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(new[] { "dead-letters.kql", "exception-backlog.kql", "posting-lag.kql", "reconciliation-breaks.kql" }, queries);

        var code = Main.CodeWithoutComments();
        foreach (var query in queries)
        {
            Assert.Contains($"loadTextContent('monitoring/{query}')", code, StringComparison.Ordinal);
            foreach (Match placeholder in Placeholder().Matches(Repository.Read($"infra/monitoring/{query}")))
                Assert.Contains($"replace(loadTextContent('monitoring/{query}'), '{placeholder.Value}',", code, StringComparison.Ordinal);
        }
        var alerts = Assert.Single(Main.Modules, m => m.Target == "../bicep/alerts.bicep");
        Assert.Equal(queries.Count, Regex.Count(alerts.Body, @"\bquery:"));
    }

    [Fact]
    public void Every_metric_a_monitoring_query_reads_is_one_healthflow_publishes()
    {
        string[] published = [HealthFlow.Pipeline.Telemetry.HealthFlowMetrics.ExceptionsOpen,
            HealthFlow.Pipeline.Telemetry.HealthFlowMetrics.ReconciliationBreaks, HealthFlow.Pipeline.Telemetry.HealthFlowMetrics.PostingLag];
        var read = Directory.EnumerateFiles(Repository.PathOf("infra/monitoring"), "*.kql")
            .SelectMany(file => Regex.Matches(File.ReadAllText(file), @"Name == ""(?<name>healthflow\.[a-z_.]+)""").Select(m => m.Groups["name"].Value))
            .Order(StringComparer.Ordinal);

        Assert.Equal(published.Order(StringComparer.Ordinal), read);
    }

    [Fact]
    public void Every_deployed_resource_with_a_location_carries_tags()
    {
        foreach (var resource in Documents().SelectMany(d => d.Resources).Where(r => !r.Existing))
        {
            if (resource.Property("location") is not null)
                Assert.True(resource.Property("tags") is not null, $"{resource.Location} has a location but no tags.");
        }
        foreach (var module in Documents().SelectMany(d => d.Modules))
        {
            var parameters = module.PropertiesOf("params");
            if (parameters.ContainsKey("location"))
                Assert.True(parameters.ContainsKey("tags"), $"{module.Location} passes a location but no tags.");
        }
    }

    [Theory]
    [InlineData("bicep/functionapp.bicep", "site")]
    [InlineData("bicep/servicebus.bicep", "namespace")]
    [InlineData("bicep/keyvault.bicep", "vault")]
    [InlineData("bicep/storage.bicep", "account")]
    [InlineData("bicep/storage.bicep", "blobService")]
    public void The_resource_sends_diagnostics_to_log_analytics(string file, string symbol)
    {
        var document = BicepDocument.Load(file);

        var settings = document.Resources.Where(r => r.ResourceType == "Microsoft.Insights/diagnosticSettings" && r.Property("scope") == symbol).ToList();

        var setting = Assert.Single(settings);
        Assert.Equal("workspaceId", setting.PropertiesOf("properties")["workspaceId"]);
    }

    [Fact]
    public void The_function_app_runs_dotnet_isolated_10_on_flex_consumption_with_an_elastic_premium_option()
    {
        var module = BicepDocument.Load("bicep/functionapp.bicep");
        var plan = Assert.Single(module.Resources, r => r.ResourceType == "Microsoft.Web/serverfarms");
        var site = Assert.Single(module.Resources, r => r.ResourceType == "Microsoft.Web/sites");

        Assert.Matches(@"name: 'FC1'\s+tier: 'FlexConsumption'", plan.Body);
        Assert.Matches(@"name: 'EP1'\s+tier: 'ElasticPremium'", plan.Body);
        var config = site.PropertiesOf("properties")["functionAppConfig"];
        Assert.Matches(@"runtime: \{\s+name: 'dotnet-isolated'\s+version: '10.0'", config);
        Assert.Contains("type: 'blobContainer'", config, StringComparison.Ordinal);
        Assert.Contains("scaleAndConcurrency", config, StringComparison.Ordinal);
        Assert.Contains("'DOTNET-ISOLATED|10.0'", site.Body, StringComparison.Ordinal);
        Assert.Contains("'FlexConsumption'", Main.Parameters.Single(p => p.Name == "hostingPlan").Value, StringComparison.Ordinal);
    }

    [Fact]
    public void The_ledger_container_can_get_a_time_based_retention_policy_that_keeps_appends_working()
    {
        var storage = BicepDocument.Load("bicep/storage.bicep");
        var policy = Assert.Single(storage.Resources, r => r.ResourceType == "Microsoft.Storage/storageAccounts/blobServices/containers/immutabilityPolicies");
        var properties = policy.PropertiesOf("properties");

        Assert.Equal("immutabilityPeriodDays", properties["immutabilityPeriodSinceCreationInDays"]);
        // The ledger writes append blobs: without protected append writes a retention policy would stop the ledger.
        Assert.Equal("true", properties["allowProtectedAppendWrites"]);
        Assert.Contains("immutabilityPeriodDays > 0", policy.Head, StringComparison.Ordinal);

        var ledger = Assert.Single(Main.Modules, m => m.Symbol == "ledgerStorage").PropertiesOf("params");
        Assert.Equal("'ledger'", ledger["immutableContainerName"]);
        Assert.Equal("ledgerImmutabilityDays", ledger["immutabilityPeriodDays"]);
        foreach (var container in new[] { "'ledger'", "'raw'", "'reporting'" })
            Assert.Contains(container, ledger["containers"], StringComparison.Ordinal);
    }

    [Fact]
    public void Private_networking_is_optional_and_off_by_default()
    {
        var vnetEnabled = Main.Parameters.Single(p => p.Name == "vnetEnabled");
        Assert.Equal("false", vnetEnabled.Value);

        Assert.Contains("if (vnetEnabled)", Assert.Single(Main.Modules, m => m.Symbol == "network").Head, StringComparison.Ordinal);
        Assert.Contains("if (vnetEnabled)", Assert.Single(Main.Modules, m => m.Symbol == "endpoints").Head, StringComparison.Ordinal);
    }

    private static string Resolve(BicepDocument document, string relative) =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(Repository.PathOf(document.Path))!, relative));

    [GeneratedRegex(@"load(?:Json|Text|FileAsBase64|Yaml)Content\('(?<path>[^']+)'")]
    private static partial Regex LoadCall();

    [GeneratedRegex(@"\{[A-Za-z]\w*\}")]
    private static partial Regex Placeholder();
}
