using System.Text.Json;
using System.Text.RegularExpressions;
using HealthFlow.Infra.Tests.Support;

namespace HealthFlow.Infra.Tests;

/// <summary>
/// No secret value in a template, parameter file or output: secrets live in Key Vault, the app reads them through
/// Key Vault references with its identity, and every data-plane resource refuses keys altogether.
/// </summary>
public sealed partial class SecretHygieneTests
{
    private static IEnumerable<BicepDocument> Documents() => Repository.BicepFiles().Select(BicepDocument.Load);

    public static TheoryData<string> ParameterFiles() => [.. ParameterFileTests.Files()];

    [Fact]
    public void No_output_is_named_like_a_secret()
    {
        foreach (var document in Documents())
        {
            foreach (var output in document.Outputs)
            {
                // "Key Vault" names a resource, not a key: AZURE_KEY_VAULT_NAME is an address.
                var words = string.Join(' ', Words(KeyVault().Replace(output.Name, "vault")));
                Assert.False(SecretWord().IsMatch(words), $"{document.Path}:{output.Line}: output '{output.Name}' is named like a secret.");
            }
        }
    }

    [Fact]
    public void No_output_returns_a_key_a_connection_string_or_a_list_function_result()
    {
        foreach (var document in Documents())
        {
            foreach (var output in document.Outputs)
            {
                Assert.False(SecretExpression().IsMatch(output.Value ?? ""),
                    $"{document.Path}:{output.Line}: output '{output.Name}' returns a secret: {output.Value}");
                Assert.DoesNotContain("@secure", output.Decorators, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public void No_template_calls_list_keys_or_any_list_function()
    {
        foreach (var document in Documents())
        {
            var code = document.CodeWithoutComments();
            var call = ListCall().Match(code);
            Assert.False(call.Success, $"{document.Path}:{document.LineOf(call.Index)}: '{call.Value}' reads keys; use managed identity and Key Vault references.");
        }
    }

    [Fact]
    public void Secure_parameters_have_no_default_value()
    {
        foreach (var document in Documents())
        {
            foreach (var parameter in document.Parameters.Where(p => p.Decorators.Contains("@secure()", StringComparison.Ordinal)))
                Assert.True(parameter.Value is null or "''", $"{document.Path}:{parameter.Line}: secure parameter '{parameter.Name}' has a default.");
        }
    }

    [Theory]
    [MemberData(nameof(ParameterFiles))]
    public void A_parameter_file_holds_no_secret_value(string file)
    {
        using var json = JsonDocument.Parse(Repository.Read(file));
        foreach (var parameter in json.RootElement.GetProperty("parameters").EnumerateObject())
        {
            Assert.False(parameter.Value.TryGetProperty("reference", out _), $"{file}: '{parameter.Name}' is a Key Vault reference parameter; HealthFlow passes no secret to the deployment.");
            var raw = parameter.Value.GetProperty("value").GetRawText();
            Assert.False(SecretValue().IsMatch(raw), $"{file}: '{parameter.Name}' looks like a secret: {raw}");
            if (SecretWord().IsMatch(string.Join(' ', Words(parameter.Name))))
                Assert.Fail($"{file}: parameter '{parameter.Name}' is named like a secret; secrets go to Key Vault after deployment.");
        }
    }

    [Fact]
    public void Settings_that_carry_secrets_are_key_vault_references()
    {
        var main = BicepDocument.Load("infra/main.bicep");
        var functionApp = BicepDocument.Load("bicep/functionapp.bicep");
        var secretSettings = main.Variable("secretSettings");

        foreach (var setting in new[] { "Ledger__PatientTokenKey", "Ledger__PayloadKey", "Admin__Key", "Erp__ClientSecret", "'Vendors__${vendor}__Key'" })
            Assert.Contains(setting, secretSettings.Value!, StringComparison.Ordinal);
        var module = Assert.Single(main.Modules, m => m.Target == "../bicep/functionapp.bicep").PropertiesOf("params");
        Assert.Equal("secretSettings", module["secretSettings"]);
        Assert.Equal("keyVault.outputs.uri", module["keyVaultUri"]);
        Assert.Equal(
            "toObject(items(secretSettings), setting => setting.key, setting => '@Microsoft.KeyVault(SecretUri=${keyVaultUri}secrets/${setting.value}/)')",
            functionApp.Variable("keyVaultReferences").Value);
        var appSettings = Assert.Single(functionApp.Resources, r => r.ResourceType == "Microsoft.Web/sites/config");
        Assert.Contains("keyVaultReferences", appSettings.Property("properties"), StringComparison.Ordinal);
        // The references resolve with the app's user-assigned identity.
        var site = Assert.Single(functionApp.Resources, r => r.ResourceType == "Microsoft.Web/sites");
        Assert.Equal("identityId", site.PropertiesOf("properties")["keyVaultReferenceIdentity"]);

        // Outside that mapping (setting name -> secret name), no template assigns a literal to a secret-like setting.
        var mapping = (secretSettings.Line, secretSettings.Line + secretSettings.Value!.Count(c => c == '\n'));
        foreach (var document in Documents())
        {
            var lines = document.Text.Split('\n');
            for (var i = 0; i < lines.Length; i++)
            {
                var inMapping = document.Path == main.Path && i + 1 >= mapping.Item1 && i + 1 <= mapping.Item2;
                Assert.False(!inMapping && SecretSettingLiteral().IsMatch(lines[i]), $"{document.Path}:{i + 1}: a secret-like setting gets a literal value: {lines[i].Trim()}");
            }
        }
    }

    [Fact]
    public void The_key_vault_uses_rbac_with_soft_delete_and_purge_protection()
    {
        var vault = Assert.Single(BicepDocument.Load("bicep/keyvault.bicep").Resources, r => r.ResourceType == "Microsoft.KeyVault/vaults");
        var properties = vault.PropertiesOf("properties");

        Assert.Equal("true", properties["enableRbacAuthorization"]);
        Assert.Equal("true", properties["enableSoftDelete"]);
        Assert.Equal("true", properties["enablePurgeProtection"]);
        Assert.DoesNotContain(vault.Document.Resources, r => r.ResourceType.StartsWith("Microsoft.KeyVault/vaults/secrets", StringComparison.Ordinal));
    }

    [Fact]
    public void Storage_accounts_refuse_shared_keys_and_anonymous_access_and_require_tls_1_2()
    {
        var account = Assert.Single(BicepDocument.Load("bicep/storage.bicep").Resources, r => r.ResourceType == "Microsoft.Storage/storageAccounts");
        var properties = account.PropertiesOf("properties");

        Assert.Equal("false", properties["allowSharedKeyAccess"]);
        Assert.Equal("false", properties["allowBlobPublicAccess"]);
        Assert.Equal("'TLS1_2'", properties["minimumTlsVersion"]);
        Assert.Equal("true", properties["supportsHttpsTrafficOnly"]);
    }

    [Fact]
    public void Service_bus_and_application_insights_refuse_local_authentication()
    {
        var bus = Assert.Single(BicepDocument.Load("bicep/servicebus.bicep").Resources, r => r.ResourceType == "Microsoft.ServiceBus/namespaces");
        var insights = Assert.Single(BicepDocument.Load("bicep/monitoring.bicep").Resources, r => r.ResourceType == "Microsoft.Insights/components");

        Assert.Equal("true", bus.PropertiesOf("properties")["disableLocalAuth"]);
        Assert.Equal("true", insights.PropertiesOf("properties")["DisableLocalAuth"]);
    }

    /// <summary>Splits camelCase, PascalCase, snake_case and kebab-case into lower-case words.</summary>
    private static IEnumerable<string> Words(string name) =>
        WordBoundary().Split(name).Where(w => w.Length > 0).Select(w => w.ToLowerInvariant());

    [GeneratedRegex(@"key[_-]?vault", RegexOptions.IgnoreCase)]
    private static partial Regex KeyVault();

    [GeneratedRegex(@"\b(key|keys|secret|secrets|password|pwd|connection ?string|connectionstring|sas|token|credential|credentials)\b")]
    private static partial Regex SecretWord();

    [GeneratedRegex(@"list\w*\(|\.listKeys|ConnectionString|InstrumentationKey|primaryKey|secondaryKey|primaryConnectionString|AccountKey", RegexOptions.IgnoreCase)]
    private static partial Regex SecretExpression();

    [GeneratedRegex(@"\blist(Keys|AccountSas|ServiceSas|ConnectionStrings|Secrets|Credentials?|AuthKeys)\s*\(", RegexOptions.IgnoreCase)]
    private static partial Regex ListCall();

    [GeneratedRegex(@"AccountKey=|SharedAccessKey=|SharedAccessSignature|[?&]sig=|-----BEGIN|[A-Za-z0-9+/]{40,}={0,2}")]
    private static partial Regex SecretValue();

    [GeneratedRegex(@"^\s*'?[A-Za-z0-9_]*(Key|Secret|Password|ConnectionString)'?\s*:\s*'(?!@Microsoft\.KeyVault\()")]
    private static partial Regex SecretSettingLiteral();

    [GeneratedRegex(@"(?<=[a-z0-9])(?=[A-Z])|[_\-\s.]+")]
    private static partial Regex WordBoundary();
}
