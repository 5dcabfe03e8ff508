using System.Net.Http.Json;
using System.Text.Json;
using HealthFlow.Testing;
using HealthFlow.X12;
using HealthFlow.Tests.Shared;

namespace HealthFlow.Cli.Tests;

/// <summary>
/// Issue 6's exactly-once promise through the real process: <c>healthflow serve</c> is killed with SIGKILL while
/// remittance-to-GL posts to the file ERP (at its first journal, with 835s still to send: those are sent after the restart),
/// started again on the same data folder, and must finish every orchestration
/// with each journal in <c>erp/journals.jsonl</c> once: no idempotency key twice, and the cash posted equal to the
/// cash the 835s moved (Σ BPR02), which a lost or a doubled journal would both break.
/// </summary>
public sealed class CrashRecoveryTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "healthflow-cli-crash-" + Guid.NewGuid().ToString("N"));

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task A_runtime_killed_while_posting_resumes_and_posts_every_journal_exactly_once()
    {
        var generator = new X12Generator(41);
        using var claims = new MemoryStream();
        var billed = generator.Write837(claims, ClaimKind.Institutional, 400).Claims;
        var remittances = billed.Chunk(40).Select(chunk =>
        {
            using var stream = new MemoryStream();
            var totals = generator.Write835For(stream, chunk);
            return (Bytes: stream.ToArray(), totals.PaymentCents, totals.TransactionSets);
        }).ToList();
        var journals = Path.Combine(_folder, "erp", "journals.jsonl");

        bool HasJournal() => File.Exists(journals) && File.ReadAllText(journals).Contains('\n', StringComparison.Ordinal);
        int linesAtKill, sentBeforeKill = 0;
        await using (var serve = await ServeProcess.StartAsync(_folder))
        {
            await PostAsync(serve, claims.ToArray());
            // Killed at the first journal, even with 835s still to send: the workflows can post everything sent so far
            // before a poll after the last 835 would notice.
            while (sentBeforeKill < remittances.Count && !HasJournal())
                await PostAsync(serve, remittances[sentBeforeKill++].Bytes);
            await Poll.UntilAsync(() => Task.FromResult(HasJournal()), "the first journal", TimeSpan.FromMinutes(2));
            await serve.KillAsync();
            linesAtKill = File.ReadAllLines(journals).Length;
        }

        await using (var serve = await ServeProcess.StartAsync(_folder))
        {
            foreach (var remittance in remittances.Skip(sentBeforeKill))
                await PostAsync(serve, remittance.Bytes);
            using var admin = serve.Client(ServeProcess.AdminKey);
            var expected = remittances.Sum(r => r.TransactionSets);
            await Poll.UntilAsync(async () =>
            {
                var completed = await admin.GetFromJsonAsync<JsonElement>("api/orchestrations?prefix=remit:&status=Completed&top=1000");
                return completed.GetArrayLength() == expected;
            }, $"{expected} completed remittance orchestrations", TimeSpan.FromMinutes(2));
        }

        var posted = File.ReadAllLines(journals).Select(line => JsonDocument.Parse(line).RootElement).ToList();
        Assert.True(linesAtKill < posted.Count, $"the kill came after the last journal ({linesAtKill} of {posted.Count}); it proves nothing");
        var keys = posted.Select(j => j.GetProperty("idempotencyKey").GetString()!).ToList();
        Assert.Equal(keys.Count, keys.Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(remittances.Sum(r => r.PaymentCents) / 100m, posted.Sum(ErpCash.Of));

        var verify = await CliRunner.RunAsync("ledger", "verify", "--data", _folder);
        Assert.True(verify.ExitCode == 0, verify.Output);
    }

    private static async Task PostAsync(ServeProcess serve, byte[] interchange)
    {
        using var response = await serve.PostAsync("api/x12", "application/edi-x12", interchange);
        Assert.True(response.IsSuccessStatusCode, $"POST /api/x12 answered {(int)response.StatusCode}");
    }

}
