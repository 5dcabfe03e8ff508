using System.Text.Json;
using System.Text.Json.Serialization;

namespace HealthFlow.Pipeline.Http;

/// <summary>The JSON shape of HTTP answers: camelCase, no nulls, enums as names.</summary>
public static class ApiJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };
}
