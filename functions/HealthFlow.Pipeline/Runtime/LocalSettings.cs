using System.Text.Json;
using Microsoft.Extensions.Configuration;

namespace HealthFlow.Pipeline.Runtime;

/// <summary>
/// Settings the standard .NET way, in the Azure Functions file format so one file serves both hosts:
/// <c>local.settings.json</c> "Values" (keys like <c>Vendors__acme__Key</c>), then environment variables,
/// then the command line, each overriding the one before.
/// </summary>
public static class LocalSettings
{
    public const string FileName = "local.settings.json";

    /// <summary>Builds the configuration of the local runtime; <paramref name="overrides"/> are command-line options.</summary>
    public static IConfigurationRoot Build(string folder, IEnumerable<KeyValuePair<string, string?>>? overrides = null)
    {
        var builder = new ConfigurationBuilder();
        var file = Path.Combine(folder, FileName);
        if (File.Exists(file))
        {
            using var stream = File.OpenRead(file);
            builder.AddInMemoryCollection(ReadValues(stream));
        }
        builder.AddEnvironmentVariables();
        if (overrides is not null)
            builder.AddInMemoryCollection(overrides);
        var configuration = builder.Build();
        if (!configuration.GetSection("Vendors").GetChildren().Any())
        {
            // No vendor configured: use the development vendors shipped in local.settings.sample.json.
            using var sample = typeof(LocalSettings).Assembly.GetManifestResourceStream("local.settings.sample.json")!;
            builder.Sources.Insert(0, new Microsoft.Extensions.Configuration.Memory.MemoryConfigurationSource
            {
                InitialData = ReadValues(sample).Where(v => v.Key.StartsWith("Vendors:", StringComparison.Ordinal) || v.Key.StartsWith("Admin:", StringComparison.Ordinal)),
            });
            configuration = builder.Build();
        }
        return configuration;
    }

    /// <summary>The "Values" of a local.settings.json, with <c>__</c> turned into the configuration separator.</summary>
    public static IEnumerable<KeyValuePair<string, string?>> ReadValues(Stream json)
    {
        using var document = JsonDocument.Parse(json);
        if (!document.RootElement.TryGetProperty("Values", out var values) || values.ValueKind != JsonValueKind.Object)
            return [];
        return [.. values.EnumerateObject().Select(p => KeyValuePair.Create(p.Name.Replace("__", ":", StringComparison.Ordinal), (string?)(p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString() : p.Value.GetRawText())))];
    }
}
