using System.Text.Json;
using System.Text.Json.Serialization;

namespace HealthFlow.Pipeline.Replay;

/// <summary>Where a replay sends what it selected.</summary>
[JsonConverter(typeof(ReplayTargetConverter))]
public enum ReplayTarget
{
    /// <summary>Publish the selected events to their topics again (same message id: consumers are idempotent).</summary>
    Topics,

    /// <summary>Build the journals of the selected 835s and discharges with the posting rules and post them through the ERP gateway.</summary>
    Erp,
}

/// <summary>JSON names <c>topics</c> and <c>erp</c>.</summary>
public sealed class ReplayTargetConverter() : JsonStringEnumConverter<ReplayTarget>(JsonNamingPolicy.CamelCase, allowIntegerValues: false);

/// <summary>
/// Which published events to replay. Selectors combine (all must hold); at least one of <see cref="From"/>/<see cref="To"/>,
/// <see cref="Stream"/>, <see cref="CorrelationId"/> or <see cref="DeadLetter"/> is required.
/// </summary>
/// <param name="From">Records at or after this time (ledger time).</param>
/// <param name="To">Records before this time.</param>
/// <param name="Stream">An event topic (<c>remittances</c>) or its stream (<c>topic/remittances</c>); all event topics when null.</param>
/// <param name="CorrelationId">The ingest receipt the events descend from.</param>
/// <param name="DeadLetter">A subscription's dead letters, <c>{topic}/{subscription}</c>, instead of the topic records.</param>
public sealed record ReplaySelection(DateTimeOffset? From = null, DateTimeOffset? To = null, string? Stream = null, string? CorrelationId = null, string? DeadLetter = null);

/// <summary>
/// The body of <c>POST /api/replay</c>: the selectors of <see cref="ReplaySelection"/>, the target, whether it is a dry run,
/// why (<c>Reason</c>, required, kept in the audit record) and who asked in words (<c>Operator</c>, a user name; the audit
/// also names the key that was used, by its id).
/// </summary>
public sealed record ReplayRequest(
    DateTimeOffset? From = null,
    DateTimeOffset? To = null,
    string? Stream = null,
    string? CorrelationId = null,
    string? DeadLetter = null,
    ReplayTarget Target = ReplayTarget.Topics,
    bool DryRun = false,
    string? Reason = null,
    string? Operator = null)
{
    public ReplaySelection Selection => new(From, To, Stream, CorrelationId, DeadLetter);
}

/// <summary>One selected event: its ledger record, never its body or message id (both may carry patient account numbers).</summary>
public sealed record ReplayItem(long Seq, string Topic, string Type, string CorrelationId);

/// <summary>What a replay did (or, dry, would do). Counts of a dry run are all zero except <see cref="Selected"/>.</summary>
public sealed record ReplayResult
{
    public required string ReplayId { get; init; }
    public required ReplayTarget Target { get; init; }
    public required bool DryRun { get; init; }
    public required int Selected { get; init; }

    /// <summary>Selected events per topic.</summary>
    public required IReadOnlyDictionary<string, int> ByTopic { get; init; }

    /// <summary>The selected events, oldest first, at most <see cref="ReplayService.MaxListedItems"/>.</summary>
    public required IReadOnlyList<ReplayItem> Items { get; init; }

    public bool Truncated { get; init; }

    /// <summary>Events published to their topic again (target topics).</summary>
    public int Published { get; init; }

    /// <summary>Posts the ERP accepted now (target erp).</summary>
    public int Posted { get; init; }

    /// <summary>Posts the ERP had accepted before: answered from the posted-key register, nothing sent.</summary>
    public int AlreadyPosted { get; init; }

    /// <summary>Posts the ERP rejected.</summary>
    public int Rejected { get; init; }

    /// <summary>Posts that failed transiently (the ERP unavailable); a later replay sends them.</summary>
    public int Failed { get; init; }

    /// <summary>Events whose journals cannot be built (a mapping is missing, the 835 does not balance, the discharge was cancelled).</summary>
    public int Blocked { get; init; }

    /// <summary>Events that make no journal of their own (charges, claims), left alone by target erp.</summary>
    public int Skipped { get; init; }

    /// <summary>Events whose workflow instance still runs (target erp): it posts them itself, or retries a rejected post when its exception is resolved.</summary>
    public int InFlight { get; init; }
}

/// <summary>
/// The audit of a replay in the ledger (stream <see cref="ReplayAudit.Stream"/>, key and correlation id = the replay id):
/// <see cref="ReplayAudit.StartedType"/> before anything is re-driven (who, when, what, why), <see cref="ReplayAudit.FinishedType"/>
/// with the result after. A dry run writes both too.
/// </summary>
public static class ReplayAudit
{
    public const string Stream = "replay";
    public const string StartedType = "ReplayStarted";
    public const string FinishedType = "ReplayFinished";

    public static JsonSerializerOptions Json { get; } = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };
}

/// <summary>Payload of <see cref="ReplayAudit.StartedType"/>; <c>KeyId</c> names the key that asked (<c>RequestKeys.IdOf</c>: a digest prefix, never the key).</summary>
public sealed record ReplayStarted(string ReplayId, string KeyId, string? Operator, DateTimeOffset At, string Reason, ReplayTarget Target, bool DryRun, ReplaySelection Selection);
