using HealthFlow.Ledger;
using HealthFlow.Pipeline.Erp;
using HealthFlow.Pipeline.Runtime;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace HealthFlow.Pipeline.Tests.Erp;

public sealed class ERP_registration
{
    [Theory]
    [InlineData("file")]
    [InlineData("webhook")]
    [InlineData("dynamics365")]
    [InlineData("oracle")]
    [InlineData("sap")]
    public async Task builds_each_gateway_from_its_settings(string name)
    {
        await using var f = await ErpFixture.StartAsync();
        var settings = new Dictionary<string, string?>
        {
            ["Gateway"] = name,
            ["ClientSecret"] = "from-key-vault",
            ["Webhook:Url"] = "https://erp.example.org/hooks/journals",
            ["Dynamics365:Url"] = "https://contoso.operations.dynamics.com",
            ["Dynamics365:TenantId"] = "00000000-0000-0000-0000-000000000001",
            ["Dynamics365:ClientId"] = "00000000-0000-0000-0000-000000000002",
            ["Oracle:Url"] = "https://abcd.fa.us2.oraclecloud.com",
            ["Oracle:Username"] = "hf.integration",
            ["Oracle:Ledgers:*"] = "300000046975971",
            ["Sap:Url"] = "https://my123456-api.s4hana.cloud.sap",
            ["Sap:Username"] = "HF_COMM_USER",
        };

        var gateway = f.Gateway(settings);

        Assert.Equal(name, gateway.Name);
    }

    [Fact]
    public async Task refuses_a_gateway_whose_required_setting_is_missing_naming_the_setting()
    {
        await using var f = await ErpFixture.StartAsync();

        var error = Assert.Throws<InvalidOperationException>(() => f.Gateway(new Dictionary<string, string?> { ["Gateway"] = "sap", ["Sap:Url"] = "https://x.example" }));

        Assert.Contains("Erp:Sap:Username", error.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => f.Gateway(new Dictionary<string, string?> { ["Gateway"] = "netsuite" }));
    }

    [Fact]
    public async Task registers_the_file_gateway_by_default_in_a_service_collection()
    {
        await using var f = await ErpFixture.StartAsync();
        var services = new ServiceCollection();
        services.AddSingleton<ILedger>(f.Ledger);
        services.AddSingleton<TimeProvider>(f.Clock);
        services.AddErpGateway(new ConfigurationBuilder().Build(), new DataFolder(f.Folder));
        await using var provider = services.BuildServiceProvider();

        var gateway = provider.GetRequiredService<IErpGateway>();
        var ack = await gateway.PostAsync(ErpPostRequest.For(SampleJournals.Cash()));

        Assert.Equal(("file", ErpOutcome.Accepted), (gateway.Name, ack.Outcome));
        Assert.True(File.Exists(Path.Combine(f.Folder, "erp", "journals.jsonl")));
    }
}
