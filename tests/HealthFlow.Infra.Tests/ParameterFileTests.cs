using System.Text.Json;
using System.Text.RegularExpressions;
using HealthFlow.Infra.Tests.Support;

namespace HealthFlow.Infra.Tests;

/// <summary>
/// Every deployment of infra/main.bicep gets every parameter it needs: azd's main.parameters.json and each
/// environment's file under infra/env/ give a value to each parameter without a default, name only declared
/// parameters, and keep to the allowed values.
/// </summary>
public sealed partial class ParameterFileTests
{
    private static readonly BicepDocument Main = BicepDocument.Load("infra/main.bicep");

    public static IEnumerable<string> Files() =>
    [
        "infra/main.parameters.json",
        .. Directory.EnumerateFiles(Repository.PathOf("infra/env"), "*.parameters.json").Select(Repository.Relative).Order(StringComparer.Ordinal),
    ];

    public static TheoryData<string> ParameterFiles() => [.. Files()];

    [Fact]
    public void There_is_a_parameter_file_for_dev_and_for_prod()
    {
        Assert.Contains("infra/env/dev.parameters.json", Files());
        Assert.Contains("infra/env/prod.parameters.json", Files());
    }

    [Fact]
    public void Main_has_the_parameters_azd_fills_and_they_have_no_default()
    {
        var required = Main.Parameters.Where(p => p.Value is null).Select(p => p.Name).ToList();

        Assert.Contains("environmentName", required);
        Assert.Contains("location", required);
    }

    [Theory]
    [MemberData(nameof(ParameterFiles))]
    public void Every_parameter_without_a_default_has_a_value(string file)
    {
        var values = Values(file);

        foreach (var parameter in Main.Parameters.Where(p => p.Value is null))
        {
            Assert.True(values.TryGetValue(parameter.Name, out var value), $"{file} has no value for '{parameter.Name}' (infra/main.bicep:{parameter.Line}).");
            Assert.False(value.ValueKind == JsonValueKind.String && value.GetString()!.Length == 0, $"{file}: '{parameter.Name}' is empty.");
        }
    }

    [Theory]
    [MemberData(nameof(ParameterFiles))]
    public void Every_value_names_a_parameter_of_main(string file)
    {
        var declared = Main.Parameters.Select(p => p.Name).ToHashSet(StringComparer.Ordinal);

        foreach (var name in Values(file).Keys)
            Assert.True(declared.Contains(name), $"{file} sets '{name}', which infra/main.bicep does not declare (the deployment would fail).");
    }

    [Theory]
    [MemberData(nameof(ParameterFiles))]
    public void Values_keep_to_the_allowed_values_and_types_of_main(string file)
    {
        foreach (var (name, value) in Values(file))
        {
            // Undeclared names are Every_value_names_a_parameter_of_main's finding.
            if (Main.Parameters.SingleOrDefault(p => p.Name == name) is not { } parameter)
                continue;
            var text = value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText();
            // azd substitutes ${VAR} and ${VAR=default} from the environment: check the default when there is one.
            if (AzdVariable().Match(text) is { Success: true } variable)
            {
                if (!variable.Groups["default"].Success)
                    continue;
                text = variable.Groups["default"].Value;
            }
            else
            {
                var kind = value.ValueKind;
                var expected = parameter.Type switch
                {
                    "string" => kind == JsonValueKind.String,
                    "int" => kind == JsonValueKind.Number,
                    "bool" => kind is JsonValueKind.True or JsonValueKind.False,
                    "array" => kind == JsonValueKind.Array,
                    "object" => kind == JsonValueKind.Object,
                    _ => true,
                };
                Assert.True(expected, $"{file}: '{name}' is {kind}, infra/main.bicep declares {parameter.Type}.");
            }

            var allowed = AllowedValues(parameter);
            if (allowed.Count > 0)
                Assert.True(allowed.Contains(text), $"{file}: '{name}' = {text} is not one of {string.Join(", ", allowed)}.");
        }
    }

    [Fact]
    public void Azd_parameters_come_from_the_azd_environment()
    {
        var values = Values("infra/main.parameters.json");

        Assert.Equal("${AZURE_ENV_NAME}", values["environmentName"].GetString());
        Assert.Equal("${AZURE_LOCATION}", values["location"].GetString());
        Assert.Equal("${AZURE_PRINCIPAL_ID}", values["principalId"].GetString());
    }

    [Theory]
    [InlineData("infra/env/dev.parameters.json")]
    [InlineData("infra/env/prod.parameters.json")]
    public void Each_environment_names_its_erp_and_the_address_the_gateway_requires(string file)
    {
        var values = Values(file);
        var gateway = values["erpGateway"].GetString()!;
        // The connector reads Erp:<Connector>:Url and refuses to start without it (ErpRegistration).
        var urlSetting = gateway switch
        {
            "webhook" => "Webhook__Url",
            "dynamics365" => "Dynamics365__Url",
            "oracle" => "Oracle__Url",
            "sap" => "Sap__Url",
            _ => throw new InvalidOperationException($"{file}: erpGateway '{gateway}'"),
        };
        Assert.True(values.TryGetValue("erpSettings", out var settings) && settings.TryGetProperty(urlSetting, out var url)
            && Uri.TryCreate(url.GetString(), UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttps,
            $"{file}: erpSettings needs an https {urlSetting} for the {gateway} gateway.");
    }

    private static Dictionary<string, JsonElement> Values(string file)
    {
        using var json = JsonDocument.Parse(Repository.Read(file));
        return json.RootElement.GetProperty("parameters").EnumerateObject()
            .ToDictionary(p => p.Name, p => p.Value.GetProperty("value").Clone(), StringComparer.Ordinal);
    }

    private static List<string> AllowedValues(BicepDeclaration parameter)
    {
        var allowed = AllowedDecorator().Match(parameter.Decorators);
        if (!allowed.Success)
            return [];
        return [.. allowed.Groups["values"].Value.Split('\n').Select(v => v.Trim().Trim('\'')).Where(v => v.Length > 0)];
    }

    [GeneratedRegex(@"^\$\{(?<name>[A-Z0-9_]+)(=(?<default>[^}]*))?\}$")]
    private static partial Regex AzdVariable();

    [GeneratedRegex(@"@allowed\(\[(?<values>[^\]]*)\]\)")]
    private static partial Regex AllowedDecorator();
}
