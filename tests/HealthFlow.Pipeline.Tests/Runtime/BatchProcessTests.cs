using HealthFlow.Pipeline.Runtime;

namespace HealthFlow.Pipeline.Tests.Runtime;

public class BatchProcessTests
{
    [Fact]
    public void A_batch_job_runs_again_as_the_same_program_and_arguments_with_the_batch_settings_on_the_same_console()
    {
        var start = BatchProcess.StartInfo(["reconcile", "--date", "2026-01-15"]);

        Assert.Equal(Environment.ProcessPath, start.FileName);
        Assert.Equal(["reconcile", "--date", "2026-01-15"], start.ArgumentList.TakeLast(3));
        Assert.False(start.UseShellExecute || start.RedirectStandardInput || start.RedirectStandardOutput || start.RedirectStandardError);
        Assert.Equal("0", BatchProcess.Settings["DOTNET_TieredPGO"]);
        // A value the environment already has (an operator's) is kept; the rest of the environment goes along.
        foreach (var (name, value) in BatchProcess.Settings)
            Assert.Equal(Environment.GetEnvironmentVariable(name) ?? value, start.Environment[name]);
        Assert.Equal(Environment.GetEnvironmentVariable("PATH"), start.Environment["PATH"]);
    }
}
