namespace HealthFlow.Pipeline.Orchestration;

/// <summary>
/// The waiting orchestrators kept in memory (<see cref="OrchestrationSession"/>), at most <c>capacity</c>, least
/// recently run evicted first. An evicted instance loses nothing: its next episode replays it from its history.
/// </summary>
internal sealed class SessionCache(int capacity)
{
    private readonly Lock _gate = new();
    private readonly LinkedList<OrchestrationInstance> _order = new();

    /// <summary>Keeps <paramref name="session"/> as <paramref name="instance"/>'s, the most recently run.</summary>
    public void Keep(OrchestrationInstance instance, OrchestrationSession session)
    {
        if (capacity == 0)
            return;
        instance.KeepSession(session);
        lock (_gate)
        {
            if (instance.CacheNode is { } node)
                _order.Remove(node);
            instance.CacheNode = _order.AddLast(instance);
            while (_order.Count > capacity)
            {
                var oldest = _order.First!.Value;
                _order.RemoveFirst();
                oldest.CacheNode = null;
                // Without the instance's gate: an episode that took the session already keeps it until its commit.
                oldest.TakeSession();
            }
        }
    }

    /// <summary>The instance keeps no session (ended, or its episode failed).</summary>
    public void Forget(OrchestrationInstance instance)
    {
        lock (_gate)
        {
            if (instance.CacheNode is { } node)
            {
                _order.Remove(node);
                instance.CacheNode = null;
            }
        }
    }
}
