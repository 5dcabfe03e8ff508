using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using HealthFlow.Infra.Tests.Support;

namespace HealthFlow.Infra.Tests;

/// <summary>
/// functions/HealthFlow.Functions cannot restore here, so what can be checked without building it is checked here:
/// it is the project azure.yaml deploys, it uses the root host.json, it is built by CI (HealthFlow.sln) but kept out
/// of the local test command (HealthFlow.Local.slnf), its package versions are central, and its HTTP triggers serve
/// the local runtime's routes.
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
    public void The_http_triggers_serve_the_local_runtime_routes_and_no_others_anonymously()
    {
        var local = Repository.Read("functions/HealthFlow.Pipeline/Http/HealthFlowRoutes.cs");
        var triggers = Repository.Read("functions/HealthFlow.Functions/HttpFunctions.cs");

        var localRoutes = LocalRoute().Matches(local).Select(m => $"{m.Groups["verb"].Value.ToUpperInvariant()} {Normalize(m.Groups["route"].Value)}").ToHashSet(StringComparer.Ordinal);
        var functionRoutes = TriggerRoute().Matches(triggers).Select(m => $"{m.Groups["verb"].Value.ToUpperInvariant()} {Normalize("/api/" + m.Groups["route"].Value)}").ToHashSet(StringComparer.Ordinal);

        // The ingestion, receipt and health routes exist in both hosts; a trigger never serves a route the local
        // runtime lacks. (Routes the Pipeline adds later get their triggers with the rest of the Functions app.)
        foreach (var route in new[] { "POST /api/x12", "POST /api/fhir", "POST /api/hl7v2", "GET /api/receipts/{}", "GET /api/health" })
        {
            Assert.Contains(route, localRoutes);
            Assert.Contains(route, functionRoutes);
        }
        Assert.Subset(localRoutes, functionRoutes);
        Assert.DoesNotContain("AuthorizationLevel.Function", triggers, StringComparison.Ordinal);
    }

    /// <summary>Route parameters compare by position, not name: /api/receipts/{receiptId} = /api/receipts/{id}.</summary>
    private static string Normalize(string route) => RouteParameter().Replace(route, "{}");

    [GeneratedRegex(@"app\.Map(?<verb>Get|Post|Put|Delete)\(""(?<route>[^""]+)""")]
    private static partial Regex LocalRoute();

    [GeneratedRegex(@"HttpTrigger\(AuthorizationLevel\.\w+, ""(?<verb>\w+)"", Route = ""(?<route>[^""]+)""\)")]
    private static partial Regex TriggerRoute();

    [GeneratedRegex(@"\{[^}]*\}")]
    private static partial Regex RouteParameter();
}
