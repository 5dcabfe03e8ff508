using HealthFlow.Infra.Tests.Support;

namespace HealthFlow.Infra.Tests;

/// <summary>
/// The tree-sitter syntax check over every Bicep file, and proof that the check fails on a broken file (a check
/// that never fails proves nothing).
/// </summary>
public sealed class BicepSyntaxTests
{
    [Fact]
    public async Task Every_bicep_file_under_infra_and_bicep_parses_without_syntax_errors()
    {
        var files = Repository.BicepFiles();
        Assert.Contains("infra/main.bicep", files);

        var result = await BicepSyntaxCheck.RunAsync();

        Assert.True(result.ExitCode == 0, $"bicep-syntax.mjs found problems:\n{result}");
        Assert.Contains($"{files.Count} file(s), 0 problem(s)", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_broken_template_fails_the_check_with_file_line_and_column()
    {
        using var folder = new TemporaryFolder();
        // A parameter without its default value and a resource whose body never closes.
        var broken = folder.Write("broken.bicep", """
            param location string =
            resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
              name: 'plan'
              location: location
            """);

        var result = await BicepSyntaxCheck.RunAsync(broken);

        Assert.Equal(1, result.ExitCode);
        Assert.Matches(@"broken\.bicep:2:1: syntax error", result.Output);
        Assert.Matches(@"broken\.bicep:\d+:\d+: missing '\}'", result.Output);
    }

    [Fact]
    public async Task An_unterminated_string_fails_the_check()
    {
        using var folder = new TemporaryFolder();
        var broken = folder.Write("string.bicep", """
            var name = 'func-healthflow
            output name string = name
            """);

        var result = await BicepSyntaxCheck.RunAsync(broken);

        Assert.True(result.ExitCode == 1, $"expected a syntax error:\n{result}");
        Assert.Contains("string.bicep:", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_valid_snippet_with_loops_lambdas_and_conditions_passes()
    {
        using var folder = new TemporaryFolder();
        var valid = folder.Write("valid.bicep", """
            @allowed([
              'Standard'
              'Premium'
            ])
            param sku string = 'Standard'
            var topology = loadJsonContent('topology.json')
            var subscriptions = flatten(map(topology.topics, topic => topic.subscriptions))
            resource ns 'Microsoft.ServiceBus/namespaces@2024-01-01' existing = {
              name: 'sbns-${sku}'
            }
            resource topics 'Microsoft.ServiceBus/namespaces/topics@2024-01-01' = [for topic in topology.topics: if (sku == 'Premium') {
              parent: ns
              name: topic.name
            }]
            output count int = length(subscriptions)
            """);

        var result = await BicepSyntaxCheck.RunAsync(valid);

        Assert.True(result.ExitCode == 0, result.ToString());
    }

    [Fact]
    public async Task A_folder_without_bicep_files_is_an_error_not_a_pass()
    {
        using var folder = new TemporaryFolder();
        folder.Write("readme.txt", "no templates here");

        var result = await BicepSyntaxCheck.RunAsync(folder.Path);

        Assert.Equal(2, result.ExitCode);
    }
}
