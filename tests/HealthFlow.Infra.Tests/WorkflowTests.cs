using HealthFlow.Infra.Tests.Support;

namespace HealthFlow.Infra.Tests;

/// <summary>
/// The GitHub workflows run what cannot run here: the Bicep compiler and linter on every template, the build of the
/// whole solution with the Functions app, and deployments through OIDC with a what-if before each environment.
/// </summary>
public sealed class WorkflowTests
{
    private static readonly string Ci = Repository.Read(".github/workflows/ci.yml");
    private static readonly string Deploy = Repository.Read(".github/workflows/deploy.yml");
    private static readonly string DeployEnvironment = Repository.Read(".github/workflows/deploy-environment.yml");

    [Fact]
    public void Ci_builds_the_whole_solution_and_runs_the_local_test_command()
    {
        Assert.Contains("dotnet build HealthFlow.sln", Ci, StringComparison.Ordinal);
        Assert.Contains("dotnet test HealthFlow.Local.slnf", Ci, StringComparison.Ordinal);
    }

    [Fact]
    public void Ci_compiles_and_lints_every_bicep_file_with_the_real_compiler()
    {
        Assert.Contains("az bicep build", Ci, StringComparison.Ordinal);
        Assert.Contains("az bicep lint", Ci, StringComparison.Ordinal);
        Assert.Contains("infra bicep -name '*.bicep'", Ci, StringComparison.Ordinal);
    }

    [Fact]
    public void Deploy_signs_in_with_oidc_and_previews_before_it_deploys_each_environment()
    {
        foreach (var workflow in new[] { Deploy, DeployEnvironment })
        {
            Assert.Contains("id-token: write", workflow, StringComparison.Ordinal);
            Assert.DoesNotContain("client-secret", workflow, StringComparison.Ordinal);
            Assert.DoesNotContain("creds:", workflow, StringComparison.Ordinal);
        }
        Assert.Contains("environment: dev", Deploy, StringComparison.Ordinal);
        Assert.Contains("environment: prod", Deploy, StringComparison.Ordinal);
        Assert.Contains("uses: ./.github/workflows/deploy-environment.yml", Deploy, StringComparison.Ordinal);

        Assert.Contains("azure/login@v2", DeployEnvironment, StringComparison.Ordinal);
        Assert.Contains("client-id: ${{ vars.AZURE_CLIENT_ID }}", DeployEnvironment, StringComparison.Ordinal);
        Assert.Contains("PARAMETERS: infra/env/${{ inputs.environment }}.parameters.json", DeployEnvironment, StringComparison.Ordinal);
        // The what-if runs before the job that waits for approval, and the deployment after it.
        var whatIf = DeployEnvironment.IndexOf("az deployment sub what-if", StringComparison.Ordinal);
        var approval = DeployEnvironment.IndexOf("environment: ${{ inputs.environment }}\n", StringComparison.Ordinal);
        var create = DeployEnvironment.IndexOf("az deployment sub create", StringComparison.Ordinal);
        Assert.True(whatIf > 0 && whatIf < approval && approval < create, "what-if, then the approval-gated job, then the deployment.");
    }
}
