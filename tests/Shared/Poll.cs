namespace HealthFlow.Tests.Shared;

/// <summary>Waiting in real time for a running pipeline (a runtime, a child process) to reach a state.</summary>
internal static class Poll
{
    /// <summary>
    /// Checks <paramref name="condition"/> every 20 ms until it holds; after <paramref name="timeout"/> (one minute unless
    /// given) throws <see cref="TimeoutException"/> naming <paramref name="what"/>. The bound only ends a stuck wait:
    /// nothing is asserted about how long it took.
    /// </summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromMinutes(1));
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"Timed out waiting for {what}.");
            await Task.Delay(20);
        }
    }
}
