namespace HealthFlow.Pipeline.Orchestration;

/// <summary>
/// How a stored history is read: the effective history (rewinds applied) and the questions the engine asks of it.
/// Pure functions of the event list, so start-up, queries and replays all agree.
/// </summary>
internal static class HistoryRules
{
    /// <summary>
    /// The history as the orchestrator sees it. An <c>ExecutionRewound</c> sets aside the failures that ended the
    /// instance: its <c>ExecutionFailed</c>, and every <c>TaskFailed</c>/<c>SubOrchestrationInstanceFailed</c> after which
    /// no action was scheduled. A failure that was followed by an action (a retry timer, a compensation) was handled by
    /// the code, and replaying without it would change what the code did, so it stays.
    /// </summary>
    public static List<HistoryEvent> Effective(IEnumerable<HistoryEvent> stored)
    {
        var result = new List<HistoryEvent>();
        foreach (var e in stored)
        {
            if (e.Type == HistoryEventType.ExecutionRewound)
            {
                var voided = Voidable(result);
                result.RemoveAll(x => x.Type == HistoryEventType.ExecutionFailed || voided.Contains(x));
            }
            result.Add(e);
        }
        return result;
    }

    /// <summary>The failure events a rewind of this (effective) history would set aside.</summary>
    public static HashSet<HistoryEvent> Voidable(IReadOnlyList<HistoryEvent> effective)
    {
        var lastAction = -1;
        for (var i = effective.Count - 1; i >= 0; i--)
        {
            if (effective[i].IsAction)
            {
                lastAction = i;
                break;
            }
        }
        var voided = new HashSet<HistoryEvent>(ReferenceEqualityComparer.Instance);
        for (var i = lastAction + 1; i < effective.Count; i++)
        {
            if (effective[i].IsFailure)
                voided.Add(effective[i]);
        }
        return voided;
    }

    public static HistoryEvent? Action(IReadOnlyList<HistoryEvent> effective, int eventId)
    {
        foreach (var e in effective)
        {
            if (e.IsAction && e.EventId == eventId)
                return e;
        }
        return null;
    }

    public static bool IsResolved(IReadOnlyList<HistoryEvent> effective, int eventId)
    {
        foreach (var e in effective)
        {
            if (e.IsCompletion && e.TaskScheduledId == eventId)
                return true;
        }
        return false;
    }

    /// <summary>Actions without a completion, in order.</summary>
    public static List<HistoryEvent> Unresolved(IReadOnlyList<HistoryEvent> effective)
    {
        var resolved = new HashSet<int>();
        foreach (var e in effective)
        {
            if (e.IsCompletion)
                resolved.Add(e.TaskScheduledId);
        }
        return [.. effective.Where(e => e.IsAction && !resolved.Contains(e.EventId))];
    }

    public static bool IsTerminal(IReadOnlyList<HistoryEvent> effective) => effective.Any(e => e.IsTerminal);

    public static bool HasRun(IReadOnlyList<HistoryEvent> effective) => effective.Any(e => e.Type == HistoryEventType.OrchestratorStarted);
}
