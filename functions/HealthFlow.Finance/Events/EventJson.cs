using System.Text.Json;
using System.Text.Json.Serialization;

namespace HealthFlow.Finance.Events;

/// <summary>The one JSON shape of canonical events: on topics, in the ledger and in replay.</summary>
public static class EventJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        WriteIndented = false,
    };

    public static byte[] Serialize(CanonicalEvent @event) => JsonSerializer.SerializeToUtf8Bytes(@event, Options);

    public static CanonicalEvent Deserialize(ReadOnlySpan<byte> json) =>
        JsonSerializer.Deserialize<CanonicalEvent>(json, Options) ?? throw new JsonException("Empty event.");
}
