using System.Text.RegularExpressions;
using HealthFlow.Infra.Tests.Support;

namespace HealthFlow.Infra.Tests;

/// <summary>
/// `azd up` finds what it provisions and where it deploys: azure.yaml points at infra/main.bicep, the resource group
/// carries azd-env-name, and the function app carries azd-service-name equal to the service of azure.yaml.
/// </summary>
public sealed partial class AzdTests
{
    private static readonly BicepDocument Main = BicepDocument.Load("infra/main.bicep");

    [Fact]
    public void Azure_yaml_deploys_the_functions_project_as_a_dotnet_function_service()
    {
        var services = Services();

        var api = Assert.Single(services);
        Assert.Equal("api", api.Key);
        Assert.Equal("./functions/HealthFlow.Functions", api.Value["project"]);
        Assert.Equal("dotnet", api.Value["language"]);
        Assert.Equal("function", api.Value["host"]);
    }

    [Fact]
    public void Azure_yaml_points_at_the_bicep_entry_point()
    {
        var yaml = Repository.Read("azure.yaml");

        var infra = Section(yaml, "infra");
        Assert.Equal("bicep", infra["provider"]);
        Assert.True(File.Exists(Repository.PathOf($"{infra["path"]}/{infra["module"]}.bicep")), "azure.yaml's infra path and module must name infra/main.bicep.");
        Assert.Contains("targetScope = 'subscription'", Main.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void The_azd_service_name_tag_matches_the_services_of_azure_yaml()
    {
        var tagged = ServiceNameTag().Matches(Main.CodeWithoutComments()).Select(m => m.Groups["name"].Value).ToHashSet(StringComparer.Ordinal);

        Assert.Equal(Services().Keys.ToHashSet(StringComparer.Ordinal), tagged);
    }

    [Fact]
    public void The_function_app_and_only_the_function_app_carries_the_service_tag()
    {
        Assert.Contains("'azd-service-name'", Main.Variable("functionTags").Value!, StringComparison.Ordinal);
        var users = Main.Modules.Where(m => m.Body.Contains("functionTags", StringComparison.Ordinal)).ToList();
        var functionApp = Assert.Single(users);
        Assert.Equal("../bicep/functionapp.bicep", functionApp.Target);
        Assert.Equal("functionTags", functionApp.PropertiesOf("params")["tags"]);

        var module = BicepDocument.Load("bicep/functionapp.bicep");
        var site = Assert.Single(module.Resources, r => r.ResourceType == "Microsoft.Web/sites");
        Assert.Equal("tags", site.Property("tags"));
    }

    [Fact]
    public void The_resource_group_carries_the_azd_environment_tag()
    {
        var group = Assert.Single(Main.Resources, r => r.ResourceType == "Microsoft.Resources/resourceGroups");

        Assert.Equal("tags", group.Property("tags"));
        Assert.Matches(@"'azd-env-name':\s*environmentName\b", Main.Variable("tags").Value!);
    }

    /// <summary>The services of azure.yaml with their scalar settings (a two-level reader: enough for this file).</summary>
    private static Dictionary<string, Dictionary<string, string>> Services()
    {
        var services = new Dictionary<string, Dictionary<string, string>>(StringComparer.Ordinal);
        Dictionary<string, string>? current = null;
        var inServices = false;
        foreach (var raw in Repository.Read("azure.yaml").Split('\n'))
        {
            var line = raw.Split('#', 2)[0].TrimEnd();
            if (line.Length == 0)
                continue;
            var indent = line.Length - line.TrimStart().Length;
            if (indent == 0)
            {
                inServices = line == "services:";
                continue;
            }
            if (!inServices)
                continue;
            if (indent == 2 && line.EndsWith(':'))
                services[line.Trim().TrimEnd(':')] = current = new Dictionary<string, string>(StringComparer.Ordinal);
            else if (indent == 4 && current is not null && line.Trim().Split(':', 2) is [var key, var value])
                current[key.Trim()] = value.Trim();
        }
        return services;
    }

    private static Dictionary<string, string> Section(string yaml, string name)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        var inside = false;
        foreach (var raw in yaml.Split('\n'))
        {
            var line = raw.Split('#', 2)[0].TrimEnd();
            if (line.Length == 0)
                continue;
            if (!line.StartsWith(' '))
            {
                inside = line == name + ":";
                continue;
            }
            if (inside && line.Trim().Split(':', 2) is [var key, var value])
                result[key.Trim()] = value.Trim();
        }
        return result;
    }

    [GeneratedRegex(@"'azd-service-name':\s*'(?<name>[^']+)'")]
    private static partial Regex ServiceNameTag();
}
