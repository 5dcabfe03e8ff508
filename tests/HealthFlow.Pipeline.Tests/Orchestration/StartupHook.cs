using HealthFlow.Pipeline.Tests.Orchestration;

// CA1050: the runtime looks the startup hook up by this exact name, in the global namespace.
#pragma warning disable CA1050

/// <summary>
/// .NET startup hook (<c>DOTNET_STARTUP_HOOKS</c>): when this test assembly is started as the orchestration crash host
/// (<see cref="OrchestrationCrashHost.FolderVariable"/> set), runs the host until the test kills it; otherwise does
/// nothing. Under the test runner the variable is never set.
/// </summary>
internal static class StartupHook
{
    public static void Initialize()
    {
        if (Environment.GetEnvironmentVariable(OrchestrationCrashHost.FolderVariable) is { Length: > 0 } folder)
        {
            OrchestrationCrashHost.RunAsync(folder).GetAwaiter().GetResult();
            Environment.Exit(0);
        }
    }
}
