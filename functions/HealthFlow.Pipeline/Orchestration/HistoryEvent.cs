using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using HealthFlow.Ledger;

namespace HealthFlow.Pipeline.Orchestration;

/// <summary>The JSON of orchestration inputs, outputs, events and custom status: System.Text.Json, web defaults.</summary>
public static class OrchestrationJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web);

    /// <summary>JSON text of <paramref name="value"/>; null stays null (no input, no output).</summary>
    public static string? Serialize(object? value) => value switch
    {
        null => null,
        JsonElement { ValueKind: JsonValueKind.Undefined } => null,
        JsonElement element => element.GetRawText(),
        _ => JsonSerializer.Serialize(value, value.GetType(), Options),
    };

    /// <summary>The value of JSON text; null or empty text gives default.</summary>
    public static T? Deserialize<T>(string? json) =>
        string.IsNullOrEmpty(json) ? default : JsonSerializer.Deserialize<T>(json, Options);
}

/// <summary>Kinds of history events, named as in Durable Task.</summary>
public enum HistoryEventType
{
    /// <summary>First event: orchestrator name, input, parent, correlation id.</summary>
    ExecutionStarted,
    /// <summary>Marks an episode: the orchestrator ran at <see cref="HistoryEvent.Timestamp"/> (its <c>CurrentUtcDateTime</c>) after the events before it.</summary>
    OrchestratorStarted,
    /// <summary>An activity call (action).</summary>
    TaskScheduled,
    TaskCompleted,
    TaskFailed,
    /// <summary>A durable timer (action).</summary>
    TimerCreated,
    TimerFired,
    /// <summary>An external event arrived.</summary>
    EventRaised,
    /// <summary>A sub-orchestration call (action).</summary>
    SubOrchestrationInstanceCreated,
    SubOrchestrationInstanceCompleted,
    SubOrchestrationInstanceFailed,
    /// <summary>The custom status changed during the episode.</summary>
    CustomStatusSet,
    ExecutionCompleted,
    ExecutionFailed,
    ExecutionTerminated,
    /// <summary>An operator rewound the failed instance: the failures that ended it no longer count.</summary>
    ExecutionRewound,
}

/// <summary>
/// One event of an instance's history, stored as the JSON payload of a ledger record in stream
/// <c>orchestrations/{instanceId}</c> (record type = <see cref="Type"/>). Actions carry an <see cref="EventId"/> (their
/// position among the instance's actions); completions name the action they complete in <see cref="TaskScheduledId"/>.
/// </summary>
/// <remarks>Inputs, results and failure messages are data: they go to the ledger, never to logs.</remarks>
public sealed record HistoryEvent(HistoryEventType Type, DateTimeOffset Timestamp)
{
    public int EventId { get; init; } = -1;
    public int TaskScheduledId { get; init; } = -1;
    public string? Name { get; init; }
    public string? Input { get; init; }
    public string? Result { get; init; }
    public TaskFailureDetails? Failure { get; init; }
    public DateTimeOffset? FireAt { get; init; }
    /// <summary>Sub-orchestration actions: the child's instance id.</summary>
    public string? InstanceId { get; init; }
    /// <summary>ExecutionStarted of a sub-orchestration: the parent's instance id and the parent's action id.</summary>
    public string? ParentInstanceId { get; init; }
    public int ParentTaskId { get; init; } = -1;
    public string? CorrelationId { get; init; }
    public string? Reason { get; init; }

    internal bool IsAction => Type is HistoryEventType.TaskScheduled or HistoryEventType.TimerCreated or HistoryEventType.SubOrchestrationInstanceCreated;

    internal bool IsFailure => Type is HistoryEventType.TaskFailed or HistoryEventType.SubOrchestrationInstanceFailed;

    internal bool IsCompletion => Type is HistoryEventType.TaskCompleted or HistoryEventType.TaskFailed or HistoryEventType.TimerFired
        or HistoryEventType.SubOrchestrationInstanceCompleted or HistoryEventType.SubOrchestrationInstanceFailed;

    internal bool IsTerminal => Type is HistoryEventType.ExecutionCompleted or HistoryEventType.ExecutionFailed or HistoryEventType.ExecutionTerminated;

    /// <summary>"TaskScheduled 'PostJournalActivity' (#3)": names and ids only, safe to log.</summary>
    internal string Describe() => Type switch
    {
        HistoryEventType.TimerCreated => $"TimerCreated (#{EventId})",
        _ when IsAction => $"{Type} '{Name}' (#{EventId})",
        _ => Type.ToString(),
    };
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, UseStringEnumConverter = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(HistoryEvent))]
[JsonSerializable(typeof(InstanceCatalogEntry))]
internal sealed partial class HistoryJson : JsonSerializerContext;

/// <summary>Catalog record (stream <see cref="HistoryStreams.Catalog"/>): which instances exist, so start-up and queries find them.</summary>
internal sealed record InstanceCatalogEntry(string InstanceId, string Name);

/// <summary>Ledger stream names and record encoding of histories.</summary>
internal static class HistoryStreams
{
    public const string Catalog = "orchestrations";
    public const string InstanceCreated = "InstanceCreated";

    /// <summary>Longest instance id: it becomes part of a ledger stream name.</summary>
    public const int InstanceIdMaxLength = 256;

    public static string Of(string instanceId) => $"orchestrations/{instanceId}";

    /// <summary>The ledger entry of one event; <paramref name="stream"/> is <see cref="Of"/>, kept by the instance rather than built per event.</summary>
    public static LedgerEntry Encode(string stream, string instanceId, string correlationId, HistoryEvent history) =>
        new(stream, history.Type.ToString(), KeyOf(instanceId, history), correlationId, instanceId,
            JsonSerializer.SerializeToUtf8Bytes(history, HistoryJson.Default.HistoryEvent));

    public static HistoryEvent Decode(LedgerRecord record) =>
        JsonSerializer.Deserialize(record.Payload.Span, HistoryJson.Default.HistoryEvent)
        ?? throw new InvalidDataException($"Ledger record {record.Seq} of {record.Stream} is not a history event.");

    public static LedgerEntry CatalogEntry(string instanceId, string name, string correlationId) =>
        new(Catalog, InstanceCreated, instanceId, correlationId, instanceId,
            JsonSerializer.SerializeToUtf8Bytes(new InstanceCatalogEntry(instanceId, name), HistoryJson.Default.InstanceCatalogEntry));

    public static InstanceCatalogEntry DecodeCatalog(LedgerRecord record) =>
        JsonSerializer.Deserialize(record.Payload.Span, HistoryJson.Default.InstanceCatalogEntry)
        ?? throw new InvalidDataException($"Ledger record {record.Seq} of {record.Stream} is not a catalog entry.");


    /// <summary>The record key: the event's identity within the instance (e.g. <c>{id}/TaskCompleted/3</c>).</summary>
    private static string KeyOf(string instanceId, HistoryEvent history)
    {
        // A pooled buffer, one string: a StringBuilder cost a builder, its chunks and the string per event.
        var key = new DefaultInterpolatedStringHandler(3, 4, CultureInfo.InvariantCulture);
        key.AppendFormatted(instanceId);
        key.AppendLiteral("/");
        key.AppendFormatted(history.Type);
        if (history.EventId >= 0)
        {
            key.AppendLiteral("/");
            key.AppendFormatted(history.EventId);
        }
        if (history.TaskScheduledId >= 0)
        {
            key.AppendLiteral("/");
            key.AppendFormatted(history.TaskScheduledId);
        }
        return key.ToStringAndClear();
    }
}
