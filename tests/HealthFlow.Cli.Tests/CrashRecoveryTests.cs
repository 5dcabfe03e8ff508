using System.Net.Http.Json;
using System.Text.Json;
using HealthFlow.Testing;
using HealthFlow.X12;
using HealthFlow.Tests.Shared;

namespace HealthFlow.Cli.Tests;

/// <summary>
/// Issue 6's exactly-once promise through the real process: <c>healthflow serve</c> is killed with SIGKILL while
/// remittance-to-GL posts to the file ERP (at its first journal, with the other 835s sent so far still to post and half
/// still to send: those are sent after the restart), started again on the same data folder, and must finish every orchestration
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
        var sentBeforeKill = 0;
        DateTimeOffset killedAt;
        await using (var serve = await ServeProcess.StartAsync(_folder))
        {
            await PostAsync(serve, claims.ToArray());
            // Half the 835s, then killed at the first journal: the others of that half are being posted or about to be
            // (the file ERP writes concurrent posts together), and the 835s sent after the restart are new work.
            while (sentBeforeKill < remittances.Count / 2)
                await PostAsync(serve, remittances[sentBeforeKill++].Bytes);
            // Watched every millisecond, not at the poll's 20: the workflows post an 835's journals within a few.
            var deadline = DateTime.UtcNow.AddMinutes(2);
            while (!HasJournal())
            {
                Assert.True(DateTime.UtcNow < deadline, "no journal within 2 minutes");
                Thread.Sleep(1);
            }
            await serve.KillAsync();
            killedAt = DateTimeOffset.UtcNow;
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
            // One orchestration per transaction set: more ended after the kill than the restart was sent, so the kill cut some short.
            var endedAfterKill = (await admin.GetFromJsonAsync<JsonElement>("api/orchestrations?prefix=remit:&status=Completed&top=1000")).EnumerateArray()
                .Count(instance => instance.GetProperty("lastUpdatedAt").GetDateTimeOffset() > killedAt);
            var sentAfterRestart = remittances.Skip(sentBeforeKill).Sum(r => r.TransactionSets);
            Assert.True(endedAfterKill > sentAfterRestart, $"every orchestration of the 835s sent before the kill had ended before it ({endedAfterKill} ended after, {sentAfterRestart} sent after): it interrupted nothing");
        }

        var posted = File.ReadAllLines(journals).Select(line => JsonDocument.Parse(line).RootElement).ToList();
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
