using System.Diagnostics;
using System.Globalization;
using System.Text;
using HealthFlow.Ledger;
using HealthFlow.Ledger.Storage;
using HealthFlow.Pipeline.Orchestration;

namespace HealthFlow.Pipeline.Tests.Orchestration;

/// <summary>
/// The runtime process the SIGKILL test kills: this test assembly started with <c>dotnet exec</c> and a startup hook
/// (<see cref="StartupHook"/>) that runs the embedded engine on a data folder and starts a long orchestration of
/// <see cref="CrashStepsOrchestrator"/>. No project change is needed for it: the test SDK's generated <c>Main</c> never runs,
/// because the hook does not return.
/// </summary>
internal static class OrchestrationCrashHost
{
    public const string FolderVariable = "HEALTHFLOW_ORCHESTRATION_CRASH_HOST";
    public const string InstanceId = "crash:sigkill";
    public const int Steps = 100;

    /// <summary>Registrations shared by the killed process and the test that resumes its work.</summary>
    public static OrchestrationRegistry Registry(string folder) => new OrchestrationRegistry()
        .AddOrchestrator<CrashStepsOrchestrator>()
        .AddActivity<int, int>("Record", async (context, step, cancellationToken) =>
        {
            // A little work, so the kill lands mid-orchestration rather than after it.
            await Task.Delay(5, cancellationToken);
            // The side effect, made durable before the activity returns: one line per execution, keyed by the task.
            using var log = new FileStream(Path.Combine(folder, "executions.log"), FileMode.Append, FileAccess.Write, FileShare.ReadWrite, 1, FileOptions.WriteThrough);
            log.Write(Encoding.ASCII.GetBytes($"{context.IdempotencyKey} {step}\n"));
            log.Flush(flushToDisk: true);
            return step;
        });

    /// <summary>Runs the engine until killed.</summary>
    public static async Task RunAsync(string folder)
    {
        using var store = FileBlobStore.OpenWritable(folder);
        await using var ledger = await BlobLedger.OpenAsync(store);
        await using var engine = await EmbeddedOrchestrationEngine.OpenAsync(ledger, Registry(folder));
        await engine.StartAsync();
        await engine.StartIfNotExistsAsync(nameof(CrashStepsOrchestrator), InstanceId, Steps);
        Console.Out.WriteLine("started");
        Console.Out.Flush();
        await engine.WaitForInstanceCompletionAsync(InstanceId);
        Console.Out.WriteLine("completed");
        Console.Out.Flush();
        await Task.Delay(Timeout.InfiniteTimeSpan);
    }

    /// <summary>Starts this test assembly as the crash host on <paramref name="folder"/>.</summary>
    public static Process Start(string folder)
    {
        var assembly = typeof(OrchestrationCrashHost).Assembly.Location;
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("exec");
        start.ArgumentList.Add(assembly);
        start.Environment["DOTNET_STARTUP_HOOKS"] = assembly;
        start.Environment[FolderVariable] = folder;
        return Process.Start(start) ?? throw new InvalidOperationException("Could not start the crash host.");
    }

    /// <summary>Executions per task, from the side-effect log.</summary>
    public static Dictionary<string, int> Executions(string folder)
    {
        var path = Path.Combine(folder, "executions.log");
        if (!File.Exists(path))
            return [];
        return File.ReadAllLines(path).Where(l => l.Length > 0).GroupBy(l => l.Split(' ')[0]).ToDictionary(g => g.Key, g => g.Count());
    }
}

/// <summary>Many small steps in sequence, so a kill lands mid-orchestration.</summary>
internal sealed class CrashStepsOrchestrator : IOrchestrator<int, int>
{
    public async Task<int> RunAsync(OrchestrationContext context, int input)
    {
        var sum = 0;
        for (var step = 1; step <= input; step++)
            sum = checked(sum + await context.CallActivityAsync<int>("Record", step));
        return sum;
    }
}

public sealed class A_runtime_process_killed_mid_orchestration
{
    [Fact]
    public async Task resumes_from_the_ledger_and_runs_every_step_with_at_most_one_extra_execution()
    {
        var folder = Path.Combine(Path.GetTempPath(), "healthflow-sigkill-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            using (var host = OrchestrationCrashHost.Start(folder))
            {
                try
                {
                    Assert.Equal("started", await host.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60)));
                    var deadline = DateTime.UtcNow.AddSeconds(60);
                    while (OrchestrationCrashHost.Executions(folder).Count < OrchestrationCrashHost.Steps / 4)
                    {
                        Assert.True(DateTime.UtcNow < deadline, "the crash host made no progress");
                        await Task.Delay(5);
                    }
                }
                finally
                {
                    host.Kill(entireProcessTree: true); // SIGKILL on Linux: no finally blocks, no flushes, no dispose.
                    await host.WaitForExitAsync();
                }
            }
            var before = OrchestrationCrashHost.Executions(folder).Count;
            Assert.InRange(before, OrchestrationCrashHost.Steps / 4, OrchestrationCrashHost.Steps - 1);

            using var store = FileBlobStore.OpenWritable(folder);
            await using var ledger = await BlobLedger.OpenAsync(store);
            Assert.Null(ledger.Fault);
                await using var engine = await EmbeddedOrchestrationEngine.OpenAsync(ledger, OrchestrationCrashHost.Registry(folder));
            await engine.StartAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            var done = await engine.WaitForInstanceCompletionAsync(OrchestrationCrashHost.InstanceId, timeout.Token);

            Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
            Assert.Equal(OrchestrationCrashHost.Steps * (OrchestrationCrashHost.Steps + 1) / 2, done.ReadOutputAs<int>());
            var executions = OrchestrationCrashHost.Executions(folder);
            // Every step ran; only the one the kill cut short may have run twice (at-least-once), none more.
            Assert.Equal(OrchestrationCrashHost.Steps, executions.Count);
            Assert.True(executions.Values.Count(n => n > 1) <= 1, string.Join(", ", executions.Where(e => e.Value > 1).Select(e => $"{e.Key}×{e.Value}")));
            Assert.All(executions.Values, n => Assert.InRange(n, 1, 2));
            Assert.True((await engine.VerifyReplayAsync(OrchestrationCrashHost.InstanceId)).IsDeterministic);
        }
        finally
        {
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException)
            {
                // A leftover temporary folder is harmless.
            }
        }
    }
}
