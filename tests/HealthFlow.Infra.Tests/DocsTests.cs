using HealthFlow.Infra.Tests.Support;

namespace HealthFlow.Infra.Tests;

/// <summary>docs/AZURE.md maps the local components and states the limits; README carries the "Deploy to Azure" steps.</summary>
public sealed class DocsTests
{
    private static readonly string Docs = Repository.Read("docs/AZURE.md");

    [Theory]
    [InlineData("Azure Blob")]
    [InlineData("Service Bus")]
    [InlineData("Durable Functions")]
    [InlineData("HTTP trigger")]
    [InlineData("Key Vault")]
    public void Every_local_component_has_its_azure_counterpart(string counterpart) =>
        Assert.Contains(counterpart, Docs, StringComparison.Ordinal);

    [Theory]
    [InlineData("256 KB")]
    [InlineData("1,000")]
    [InlineData("claim-check")]
    [InlineData("50,000")]
    [InlineData("49,000")]
    [InlineData("2025-01-05")]
    [InlineData("100 MiB")]
    [InlineData("history")]
    public void The_limits_and_how_healthflow_stays_within_them_are_stated(string fact) =>
        Assert.Contains(fact, Docs, StringComparison.Ordinal);

    [Fact]
    public void Readme_has_a_deploy_to_azure_section_with_prerequisites_commands_checks_and_rollback()
    {
        var readme = Repository.Read("README.md");
        var last = readme.Split("\n## ").Single(s => s.StartsWith("Deploy to Azure", StringComparison.Ordinal));

        foreach (var part in new[] { "Prerequisites", "azd up", "az deployment sub create", "/api/health", "835", "Rollback" })
            Assert.Contains(part, last, StringComparison.Ordinal);
    }
}
