using HealthFlow.X12;

namespace HealthFlow.Cli.Tests;

public sealed class OperatorCommandTests : IAsyncLifetime
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "healthflow-cli-operator-" + Guid.NewGuid().ToString("N"));
    private ServeProcess _serve = null!;

    public async Task InitializeAsync() => _serve = await ServeProcess.StartAsync(_folder);

    public async Task DisposeAsync()
    {
        await _serve.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task Orchestrations_list_and_exceptions_list_and_resolve_work_against_a_running_runtime()
    {
        // An 835 whose claims were never billed here: its cash goes to unapplied cash and each claim is an exception.
        using var remittance = new MemoryStream();
        new X12Generator(3).Write835(remittance, 1, claimsPerTransactionSet: 3, setsPerInterchange: 1);
        using (var response = await _serve.PostAsync("api/x12", "application/edi-x12", remittance.ToArray()))
            Assert.True(response.IsSuccessStatusCode, $"POST /api/x12 answered {(int)response.StatusCode}");

        var admin = new[] { "--url", _serve.Address.ToString(), "--admin-key", ServeProcess.AdminKey };
        var listed = await UntilAsync(() => CliRunner.RunAsync(["exceptions", "list", .. admin]), r => r.Output.Contains("unmatched-claim", StringComparison.Ordinal));
        var id = listed.Output.Split([' ', '\n'], StringSplitOptions.RemoveEmptyEntries).First(w => w.StartsWith("EX-", StringComparison.Ordinal));

        var orchestrations = await CliRunner.RunAsync(["orchestrations", "list", "--prefix", "remit:", .. admin]);
        Assert.Equal(0, orchestrations.ExitCode);
        Assert.Contains("RemittanceToGlOrchestrator", orchestrations.Output, StringComparison.Ordinal);
        Assert.Contains("1 instance(s)", orchestrations.Output, StringComparison.Ordinal);

        var resolved = await CliRunner.RunAsync(["exceptions", "resolve", id, .. admin]);
        Assert.Equal(0, resolved.ExitCode);
        Assert.StartsWith("resolved", resolved.Output, StringComparison.Ordinal);
        Assert.Contains(id, (await CliRunner.RunAsync(["exceptions", "list", "--status", "resolved", .. admin])).Output, StringComparison.Ordinal);
        Assert.DoesNotContain(id, (await CliRunner.RunAsync(["exceptions", "list", .. admin])).Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Replay_dry_runs_and_re_drives_to_the_erp_over_http_and_rebuild_writes_the_read_models()
    {
        using var remittance = new MemoryStream();
        new X12Generator(5).Write835(remittance, 1, claimsPerTransactionSet: 2, setsPerInterchange: 1);
        using (var response = await _serve.PostAsync("api/x12", "application/edi-x12", remittance.ToArray()))
            Assert.True(response.IsSuccessStatusCode, $"POST /api/x12 answered {(int)response.StatusCode}");
        var admin = new[] { "--url", _serve.Address.ToString(), "--admin-key", ServeProcess.AdminKey };
        await UntilAsync(() => CliRunner.RunAsync(["orchestrations", "list", "--prefix", "remit:", "--status", "Completed", .. admin]), r => r.Output.Contains("1 instance(s)", StringComparison.Ordinal));

        var dry = await CliRunner.RunAsync(["replay", "--stream", "remittances", "--dry-run", "--reason", "what would go", .. admin]);
        Assert.Equal(0, dry.ExitCode);
        Assert.Contains("(dry run: nothing re-driven), target topics: 1 event(s) selected (remittances 1)", dry.Output, StringComparison.Ordinal);

        var erp = await CliRunner.RunAsync(["replay", "--stream", "remittances", "--target", "erp", "--reason", "post again", .. admin]);
        Assert.Equal(0, erp.ExitCode);
        Assert.Matches(@"posted 0, already posted [1-9]", erp.Output);

        Assert.NotEqual(0, (await CliRunner.RunAsync(["replay", "--stream", "remittances", .. admin])).ExitCode);

        var rebuilt = await CliRunner.RunAsync("rebuild", "--data", _folder);
        Assert.Equal(0, rebuilt.ExitCode);
        Assert.Contains("Exceptions: 2 open, 0 resolved", rebuilt.Output, StringComparison.Ordinal);
        Assert.Equal(["ar-subledger.json", "exceptions.json", "journal-register.json"],
            Directory.GetFiles(Path.Combine(_folder, "read-models")).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Operator_commands_without_the_admin_key_fail_with_the_runtime_s_answer()
    {
        var result = await CliRunner.RunAsync("exceptions", "list", "--url", _serve.Address.ToString(), "--admin-key", ServeProcess.VendorKey);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("403", result.Output, StringComparison.Ordinal);
    }

    private static async Task<(int ExitCode, string Output)> UntilAsync(Func<Task<(int ExitCode, string Output)>> run, Func<(int ExitCode, string Output), bool> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var result = await run();
            if (done(result))
                return result;
            Assert.True(DateTime.UtcNow < deadline, $"gave up waiting; last output:\n{result.Output}");
            await Task.Delay(250);
        }
    }
}
