using System.Text.Json;
using System.Text.RegularExpressions;
using HealthFlow.Infra.Tests.Support;

namespace HealthFlow.Infra.Tests;

/// <summary>
/// host.json and the app settings agree: the names host.json reads (%TaskHubName%, the AzureWebJobsStorage
/// connection, the ServiceBusConnection connection) are set by the templates, identity-based, and documented.
/// </summary>
public sealed partial class HostAndSettingsTests
{
    private static readonly BicepDocument Main = BicepDocument.Load("infra/main.bicep");
    private static readonly BicepDocument FunctionApp = BicepDocument.Load("bicep/functionapp.bicep");

    [Fact]
    public void Host_json_configures_functions_v4_with_a_bounded_timeout()
    {
        using var host = JsonDocument.Parse(Repository.Read("host.json"));
        var root = host.RootElement;

        Assert.Equal("2.0", root.GetProperty("version").GetString());
        var timeout = TimeSpan.Parse(root.GetProperty("functionTimeout").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(timeout, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(30));
        Assert.True(root.GetProperty("logging").GetProperty("applicationInsights").GetProperty("samplingSettings").GetProperty("isEnabled").GetBoolean());
    }

    [Fact]
    public void Service_bus_trigger_settings_keep_locks_short_lived_and_completion_automatic()
    {
        using var host = JsonDocument.Parse(Repository.Read("host.json"));
        var serviceBus = host.RootElement.GetProperty("extensions").GetProperty("serviceBus");

        Assert.True(serviceBus.GetProperty("autoCompleteMessages").GetBoolean());
        Assert.InRange(serviceBus.GetProperty("maxConcurrentCalls").GetInt32(), 1, 64);
        Assert.InRange(serviceBus.GetProperty("maxConcurrentSessions").GetInt32(), 1, 64);
        // Prefetched messages are locked while they wait in memory: with one-minute locks, keep prefetch off.
        Assert.Equal(0, serviceBus.GetProperty("prefetchCount").GetInt32());
    }

    [Fact]
    public void Durable_task_hub_comes_from_the_app_settings_and_uses_the_identity_based_host_storage()
    {
        using var host = JsonDocument.Parse(Repository.Read("host.json"));
        var durable = host.RootElement.GetProperty("extensions").GetProperty("durableTask");

        Assert.Equal("%TaskHubName%", durable.GetProperty("hubName").GetString());
        Assert.Contains("TaskHubName: taskHubName", Main.Variable("healthFlowSettings").Value!, StringComparison.Ordinal);
        var provider = durable.GetProperty("storageProvider");
        Assert.Equal("AzureStorage", provider.GetProperty("type").GetString());
        Assert.Equal("AzureWebJobsStorage", provider.GetProperty("connectionName").GetString());
        // Orchestration inputs and outputs carry patient-financial data: never into telemetry.
        Assert.False(durable.GetProperty("tracing").GetProperty("traceInputsAndOutputs").GetBoolean());
    }

    [Fact]
    public void Host_storage_connection_is_identity_based()
    {
        var settings = FunctionApp.Variable("hostSettings").Value!;

        Assert.Contains("AzureWebJobsStorage__accountName: hostStorage.name", settings, StringComparison.Ordinal);
        Assert.Contains("AzureWebJobsStorage__credential: 'managedidentity'", settings, StringComparison.Ordinal);
        Assert.Contains("AzureWebJobsStorage__clientId: identityClientId", settings, StringComparison.Ordinal);
        Assert.DoesNotMatch(@"AzureWebJobsStorage:\s", FunctionApp.CodeWithoutComments());
    }

    [Fact]
    public void Service_bus_connection_is_identity_based()
    {
        var settings = Main.Variable("healthFlowSettings").Value!;

        Assert.Contains("ServiceBusConnection__fullyQualifiedNamespace: serviceBus.outputs.fullyQualifiedNamespace", settings, StringComparison.Ordinal);
        Assert.Contains("ServiceBusConnection__credential: 'managedidentity'", settings, StringComparison.Ordinal);
        Assert.Contains("ServiceBusConnection__clientId: identity.outputs.clientId", settings, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_app_setting_the_templates_set_is_documented_in_docs_azure()
    {
        var docs = Repository.Read("docs/AZURE.md");
        var names = new List<string>();
        foreach (var (document, variable) in new[] { (FunctionApp, "hostSettings"), (FunctionApp, "premiumSettings"), (Main, "healthFlowSettings"), (Main, "secretSettings") })
            names.AddRange(SettingName().Matches(document.Variable(variable).Value!).Select(m => m.Groups["name"].Value));

        Assert.True(names.Count >= 15, $"Only {names.Count} settings found.");
        foreach (var name in names.Distinct(StringComparer.Ordinal))
            Assert.True(docs.Contains($"`{name}`", StringComparison.Ordinal), $"docs/AZURE.md does not document the app setting `{name}`.");
        Assert.Contains("`Vendors__<vendor>__Key`", docs, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_host_json_setting_is_documented_in_docs_azure()
    {
        var docs = Repository.Read("docs/AZURE.md");
        using var host = JsonDocument.Parse(Repository.Read("host.json"));

        foreach (var path in Leaves(host.RootElement, ""))
        {
            var name = path.Split('.')[^1];
            Assert.True(docs.Contains($"`{name}`", StringComparison.Ordinal), $"docs/AZURE.md does not document host.json's `{path}`.");
        }
    }

    private static IEnumerable<string> Leaves(JsonElement element, string path)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            yield return path;
            yield break;
        }
        foreach (var property in element.EnumerateObject())
        {
            // logLevel categories are names of loggers, documented as a group.
            if (property.Name == "logLevel")
            {
                yield return path + ".logLevel";
                continue;
            }
            foreach (var leaf in Leaves(property.Value, path.Length == 0 ? property.Name : $"{path}.{property.Name}"))
                yield return leaf;
        }
    }

    [GeneratedRegex(@"^\s*(?<name>[A-Za-z][A-Za-z0-9_]*)\s*:", RegexOptions.Multiline)]
    private static partial Regex SettingName();
}
