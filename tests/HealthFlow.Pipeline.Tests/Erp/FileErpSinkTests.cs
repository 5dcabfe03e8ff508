using System.Text;
using System.Text.Json;
using HealthFlow.Pipeline.Erp;
using Microsoft.Extensions.Logging.Abstractions;

namespace HealthFlow.Pipeline.Tests.Erp;

public sealed class The_file_ERP_sink
{
    private static readonly string[] JournalNames = ["journalId", "idempotencyKey", "legalEntity", "currency", "postingDate", "kind", "reversalOf", "source", "lines"];
    private static readonly string[] LineNames = ["account", "debit", "credit", "costCenter", "facility", "payer", "memo"];

    [Fact]
    public async Task writes_one_json_object_per_journal_with_exactly_the_file_erp_names_and_records_the_document_number()
    {
        await using var f = await ErpFixture.StartAsync();
        var gateway = f.Gateway();
        var journal = SampleJournals.Cash();

        var ack = await gateway.PostAsync(ErpPostRequest.For(journal));

        Assert.Equal(ErpOutcome.Accepted, ack.Outcome);
        Assert.Equal("FILE-J-1", Assert.Single(ack.Documents).DocumentNumber);
        var line = Assert.Single(File.ReadAllLines(Path.Combine(f.ErpFolder, "journals.jsonl")));
        using var json = JsonDocument.Parse(line);
        var root = json.RootElement;
        Assert.Equal(JournalNames, root.EnumerateObject().Select(p => p.Name));
        Assert.Equal(["receiptId", "correlationId"], root.GetProperty("source").EnumerateObject().Select(p => p.Name));
        Assert.All(root.GetProperty("lines").EnumerateArray(), l => Assert.Equal(LineNames, l.EnumerateObject().Select(p => p.Name)));
        Assert.Equal(("J-1", "remit:AETNA:TRACE1:J-1", "2026-11-21", JsonValueKind.Null), (root.GetProperty("journalId").GetString(), root.GetProperty("idempotencyKey").GetString(), root.GetProperty("postingDate").GetString(), root.GetProperty("reversalOf").ValueKind));
        Assert.Equal(100.00m, root.GetProperty("lines")[0].GetProperty("debit").GetDecimal());

        var record = Assert.Single(await f.PostedRecordsAsync());
        Assert.Equal((ErpPostedRegister.AcceptedType, journal.IdempotencyKey, "corr-J-1"), (record.Type, record.Key, record.CorrelationId));
        Assert.Contains("FILE-J-1", Encoding.UTF8.GetString(record.Payload.Span), StringComparison.Ordinal);
    }

    [Fact]
    public async Task writes_a_csv_with_a_header_row_and_rfc_4180_quoting()
    {
        await using var f = await ErpFixture.StartAsync();
        var gateway = f.Gateway();

        await gateway.PostAsync(ErpPostRequest.For(SampleJournals.Cash(memo: "check 12, \"lockbox\"\nbatch 7")));

        var text = await File.ReadAllTextAsync(Path.Combine(f.ErpFolder, "journals.csv"));
        Assert.StartsWith(JournalFormat.CsvHeader + "\r\n", text, StringComparison.Ordinal);
        Assert.Contains(",\"check 12, \"\"lockbox\"\"\nbatch 7\"\r\n", text, StringComparison.Ordinal);
        var rows = JournalFormat.ParseCsv(text).ToList();
        Assert.Equal(3, rows.Count);
        Assert.Equal(JournalFormat.CsvHeader.Split(','), rows[0]);
        Assert.Equal(["J-1", "remit:AETNA:TRACE1:J-1", "RHS-NORTH", "USD", "2026-11-21", "cash", "", "rcpt-J-1", "corr-J-1", "1", "1120", "100.00", "0", "N-PFS-RMC", "RMC", "AETNA", "check 12, \"lockbox\"\nbatch 7"], rows[1]);
    }

    [Fact]
    public async Task posts_a_key_once_when_called_twice_and_again_after_a_restart()
    {
        await using var f = await ErpFixture.StartAsync();
        var journal = SampleJournals.Cash();
        var first = await f.Gateway().PostAsync(ErpPostRequest.For(journal));
        var second = await f.Gateway().PostAsync(ErpPostRequest.For(journal));

        await f.RestartAsync();
        var afterRestart = await f.Gateway().PostAsync(ErpPostRequest.For(journal));

        Assert.False(first.Replayed);
        Assert.True(second.Replayed);
        Assert.True(afterRestart.Replayed);
        Assert.Equal("FILE-J-1", afterRestart.Documents.Single().DocumentNumber);
        Assert.Single(File.ReadAllLines(Path.Combine(f.ErpFolder, "journals.jsonl")));
        Assert.Single(await f.PostedRecordsAsync());
    }

    [Fact]
    public async Task does_not_write_a_journal_twice_when_a_crash_came_between_the_write_and_the_acknowledgement()
    {
        await using var f = await ErpFixture.StartAsync();
        await f.Gateway().PostAsync(ErpPostRequest.For(SampleJournals.Cash("J-0")));
        var journal = SampleJournals.Cash("J-1");
        // The crash: the sink wrote and fsync'd both files, the process died before the ledger record; then a torn line.
        var register = await ErpPostedRegister.OpenAsync(f.Ledger);
        var sink = FileErpConnector.Open(f.ErpFolder, register, NullLogger.Instance);
        await sink.SendAsync(new ErpSendContext(journal.IdempotencyKey, [journal]), CancellationToken.None);
        await File.AppendAllTextAsync(Path.Combine(f.ErpFolder, "journals.jsonl"), "{\"journalId\":\"J-torn\",\"idem");

        await f.RestartAsync();
        var ack = await f.Gateway().PostAsync(ErpPostRequest.For(journal));
        var next = await f.Gateway().PostAsync(ErpPostRequest.For(SampleJournals.Cash("J-2")));

        Assert.Equal((ErpOutcome.Accepted, "FILE-J-1"), (ack.Outcome, ack.Documents.Single().DocumentNumber));
        Assert.Equal(ErpOutcome.Accepted, next.Outcome);
        var ids = File.ReadAllLines(Path.Combine(f.ErpFolder, "journals.jsonl")).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("journalId").GetString());
        Assert.Equal(["J-0", "J-1", "J-2"], ids);
        var csvIds = JournalFormat.ParseCsv(await File.ReadAllTextAsync(Path.Combine(f.ErpFolder, "journals.csv"))).Skip(1).Select(r => r[0]);
        Assert.Equal(["J-0", "J-0", "J-1", "J-1", "J-2", "J-2"], csvIds);
    }

    [Fact]
    public async Task writes_the_csv_rows_a_crash_left_out_after_the_json_line_was_written()
    {
        await using var f = await ErpFixture.StartAsync();
        var journal = SampleJournals.Cash("J-1");
        var line = JournalFormat.ToJsonLines([journal]);
        Directory.CreateDirectory(f.ErpFolder);
        await File.WriteAllBytesAsync(Path.Combine(f.ErpFolder, "journals.jsonl"), line);

        var ack = await f.Gateway().PostAsync(ErpPostRequest.For(journal));

        Assert.Equal(ErpOutcome.Accepted, ack.Outcome);
        Assert.Single(File.ReadAllLines(Path.Combine(f.ErpFolder, "journals.jsonl")));
        Assert.Equal(3, JournalFormat.ParseCsv(await File.ReadAllTextAsync(Path.Combine(f.ErpFolder, "journals.csv"))).Count());
    }

    [Fact]
    public async Task writes_each_of_many_concurrent_posts_once_and_replays_them_all_after_a_restart()
    {
        await using var f = await ErpFixture.StartAsync();
        var journals = Enumerable.Range(0, 300).Select(i => SampleJournals.Cash($"J-{i}")).ToList();
        var gateway = f.Gateway();
        await Parallel.ForEachAsync(journals, new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (j, ct) => await gateway.PostAsync(ErpPostRequest.For(j), ct));

        await f.RestartAsync();
        var again = f.Gateway();
        var answers = await Task.WhenAll(journals.Select(j => again.PostAsync(ErpPostRequest.For(j)).AsTask()));

        Assert.All(answers, a => Assert.True(a.Replayed));
        var ids = File.ReadAllLines(Path.Combine(f.ErpFolder, "journals.jsonl")).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("journalId").GetString()).ToList();
        Assert.Equal(300, ids.Count);
        Assert.Equal(300, ids.Distinct().Count());
        Assert.Equal(601, JournalFormat.ParseCsv(await File.ReadAllTextAsync(Path.Combine(f.ErpFolder, "journals.csv"))).Count());
    }

    [Fact]
    public async Task cuts_a_csv_record_torn_inside_a_quoted_memo_line_break()
    {
        await using var f = await ErpFixture.StartAsync();
        await f.Gateway().PostAsync(ErpPostRequest.For(SampleJournals.Cash("J-0")));
        var csvPath = Path.Combine(f.ErpFolder, "journals.csv");
        await File.AppendAllTextAsync(csvPath, "J-torn,k,RHS-NORTH,USD,2026-11-21,cash,,r,c,1,1120,5,0,,,,\"first line\n");

        await f.RestartAsync();
        await f.Gateway().PostAsync(ErpPostRequest.For(SampleJournals.Cash("J-1")));

        var rows = JournalFormat.ParseCsv(await File.ReadAllTextAsync(csvPath)).Skip(1).Select(r => r[0]).ToList();
        Assert.Equal(["J-0", "J-0", "J-1", "J-1"], rows);
    }

    [Fact]
    public async Task rejects_an_unbalanced_journal_without_writing_it()
    {
        await using var f = await ErpFixture.StartAsync();
        var journal = SampleJournals.Cash() with { Lines = [new("1120", 10m, 0m), new("1210", 0m, 9m)] };

        var ack = await f.Gateway().PostAsync(ErpPostRequest.For(journal));

        Assert.Equal(ErpOutcome.Rejected, ack.Outcome);
        Assert.Contains("do not equal", ack.Reason, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(f.ErpFolder, "journals.jsonl")));
    }
}
