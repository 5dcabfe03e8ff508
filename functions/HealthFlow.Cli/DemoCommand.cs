using System.CommandLine;
using System.Globalization;
using System.IO.Pipelines;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using HealthFlow.Fhir.Generation;
using HealthFlow.Hl7.Generation;
using HealthFlow.Hl7.Mllp;
using HealthFlow.Ledger;
using HealthFlow.Ledger.Storage;
using HealthFlow.Pipeline.Orchestration;
using HealthFlow.Pipeline.Reconciliation;
using HealthFlow.Pipeline.Runtime;
using HealthFlow.Pipeline.Workflows;
using Microsoft.Extensions.DependencyInjection;
using HealthFlow.X12;

namespace HealthFlow.Cli;

/// <summary>
/// <c>healthflow demo</c>: runs the local runtime on free loopback ports with a fresh data folder, plays several
/// vendors' traffic against it over real HTTP and MLLP (generated HL7 v2 ADT/DFT, FHIR Bundles, 837 claims, 835
/// remittances with denials, reversals and PLB, re-sends and malformed messages), and prints what happened: receipts,
/// acknowledgements, events per topic, the orchestrations and the journals they posted to the file ERP, open
/// exceptions, and the ledger's verification.
/// </summary>
internal static class DemoCommand
{
    private const string Vendor = "demo-clearinghouse";
    private const string VendorKey = "demo-key-not-secret";
    private const string Hl7Vendor = "demo-hospital";
    private const string Hl7Key = "demo-hospital-key-not-secret";
    private static readonly string[] Topics = ["encounters", "charges", "claims", "remittances"];

    public static Command Create()
    {
        var data = new Option<string?>("--data") { Description = "Data folder to use (default: a new temporary folder)." };
        var encounters = new Option<int>("--encounters") { Description = "Encounters to generate.", DefaultValueFactory = _ => 200 };
        var command = new Command("demo", "Run HealthFlow end to end on generated data, with embedded defaults and no cloud.") { data, encounters };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var folder = parse.GetValue(data) ?? Path.Combine(Path.GetTempPath(), "healthflow-demo-" + DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture));
            var configuration = LocalSettings.Build(Environment.CurrentDirectory, new Dictionary<string, string?>
            {
                ["HealthFlow:Data"] = folder,
                ["HealthFlow:Urls"] = "http://127.0.0.1:0",
                ["Mllp:Endpoint"] = "127.0.0.1:0",
                [$"Vendors:{Vendor}:Key"] = VendorKey,
                [$"Vendors:{Hl7Vendor}:Key"] = Hl7Key,
                [$"Mllp:Sources:{Hl7Vendor}:Facilities"] = new Hl7GeneratorOptions().SendingFacility,
                [$"Mllp:Sources:{Hl7Vendor}:Addresses"] = "127.0.0.1",
                // The demo prints its own summary; the runtime's per-message log lines would drown it.
                ["Logging:LogLevel:Default"] = "Error",
                // Bill a discharged encounter once its charges have been quiet for 2 s (a day's feed would use an hour).
                ["Workflows:QuietPeriodSeconds"] = "2",
            });
            await using var runtime = await LocalRuntime.StartAsync(configuration, cancellationToken);
            Console.WriteLine($"HealthFlow demo: HTTP on {runtime.Address}, MLLP on {runtime.MllpEndpoint}, data in {runtime.Data.Path}");
            Console.WriteLine();

            var tally = new Tally();
            var x12 = new X12Generator(2026);
            await SendHl7Async(runtime, parse.GetValue(encounters), tally, cancellationToken);
            var billed = await SendX12ClaimsAsync(runtime, x12, tally, cancellationToken);
            await SendFhirAsync(runtime, tally, cancellationToken);
            // As in life, the payer pays claims after they were billed, and corrects payments after they were posted.
            await WaitForWorkflowsAsync(runtime, cancellationToken);
            await SendX12RemittancesAsync(runtime, tally, stream => x12.Write835For(stream, billed), cancellationToken);
            await WaitForWorkflowsAsync(runtime, cancellationToken);
            await SendX12RemittancesAsync(runtime, tally, stream => x12.Write835Corrections(stream), cancellationToken);
            tally.Print();

            Console.WriteLine();
            Console.WriteLine("Canonical events on topics:");
            foreach (var topic in Topics)
                Console.WriteLine($"  {topic,-12} {await runtime.Ledger.ReadStreamAsync($"topic/{topic}", 0, cancellationToken).CountAsync(cancellationToken),7}");

            await ReportWorkflowsAsync(runtime, cancellationToken);

            using var reader = FileBlobStore.OpenReadOnly(runtime.Data.Path);
            var verification = await LedgerVerifier.VerifyAsync(reader, new LedgerOptions { SegmentMaxAppends = int.MaxValue }, cancellationToken);
            Console.WriteLine();
            Console.WriteLine(verification.Verified
                ? $"Ledger verifies: {verification.Records} records in {verification.Segments} segment(s), hash chain whole."
                : $"Ledger BROKEN: {verification.Fault}");
            Console.WriteLine($"Inspect it: healthflow ledger verify --data {runtime.Data.Path}");

            await ReconcileAsync(runtime, cancellationToken);
            return verification.Verified ? 0 : 1;
        });
        return command;
    }

    /// <summary>Reconciles every business day the demo produced and says where the CSV tables, the OData feed and the HTML page are.</summary>
    private static async Task ReconcileAsync(LocalRuntime runtime, CancellationToken cancellationToken)
    {
        var runner = runtime.Services.GetRequiredService<ReconciliationRunner>();
        var reports = await runner.RunAsync(await runner.BusinessDaysAsync(cancellationToken), cancellationToken);
        var summaries = reports.Select(r => ReconciliationSummary.From(r, runner.ReportingFolder)).ToList();
        Console.WriteLine();
        ReconcileCommand.PrintDays(summaries);
        foreach (var summary in summaries.Where(s => s.Remittances > 0))
        {
            Console.WriteLine();
            ReconcileCommand.Print(summary);
        }

        Console.WriteLine();
        Console.WriteLine($"Reconciliation tables (CSV, star schema, docs/RECONCILIATION.md): {runner.ReportingFolder}");
        Console.WriteLine($"OData feed of the same tables (admin key): {runtime.Address}odata/ while the demo runs; afterwards "
            + $"healthflow serve --data {runtime.Data.Path} serves it at {LocalRuntime.DefaultUrls}/odata/");
        var shown = summaries.LastOrDefault(s => s.Remittances > 0) ?? summaries.LastOrDefault();
        var page = $"reconciliation?date={shown?.Day ?? DateOnly.FromDateTime(DateTime.UtcNow):yyyy-MM-dd}";
        Console.WriteLine($"HTML page of a day (admin key; a browser asks for it as the password): {runtime.Address}{page} while the demo runs; "
            + $"afterwards at {LocalRuntime.DefaultUrls}/{page} under healthflow serve");
        Console.WriteLine($"Again for a day: healthflow reconcile --date yyyy-MM-dd --data {runtime.Data.Path}");
    }

    /// <summary>Waits for the workflows to settle, then prints the orchestrations, the journals the file ERP received and the open exceptions.</summary>
    private static async Task ReportWorkflowsAsync(LocalRuntime runtime, CancellationToken cancellationToken)
    {
        await WaitForWorkflowsAsync(runtime, cancellationToken);
        var instances = await AllInstancesAsync(runtime, null, cancellationToken);
        Console.WriteLine("Orchestrations:");
        foreach (var group in instances.GroupBy(i => (i.Name, i.RuntimeStatus)).OrderBy(g => g.Key.Name, StringComparer.Ordinal))
            Console.WriteLine($"  {group.Key.Name,-28} {group.Key.RuntimeStatus,-10} {group.Count(),6}");

        var journals = Path.Combine(runtime.Data.Path, "erp", "journals.jsonl");
        var (count, debit, credit, lines) = (0, 0m, 0m, 0);
        if (File.Exists(journals))
        {
            foreach (var line in await File.ReadAllLinesAsync(journals, cancellationToken))
            {
                using var journal = System.Text.Json.JsonDocument.Parse(line);
                count++;
                foreach (var entry in journal.RootElement.GetProperty("lines").EnumerateArray())
                {
                    lines++;
                    debit += entry.GetProperty("debit").GetDecimal();
                    credit += entry.GetProperty("credit").GetDecimal();
                }
            }
        }
        Console.WriteLine($"Journals posted to the file ERP ({journals}): {count} journals, {lines} lines, debits {debit:N2} = credits {credit:N2}{(debit == credit ? "" : "  ** UNBALANCED **")}");

        var exceptions = runtime.Services.GetRequiredService<ExceptionBook>().List(open: true);
        Console.WriteLine($"Open exceptions ({exceptions.Count}), each with the action that resumes it (GET /api/exceptions):");
        foreach (var group in exceptions.GroupBy(e => e.Kind).OrderBy(g => g.Key, StringComparer.Ordinal))
            Console.WriteLine($"  {group.Key,-28} {group.Count(),6}");
    }

    /// <summary>Waits until the orchestrations settle: none pending or running, or the count stops changing while some wait for an operator.</summary>
    private static async Task WaitForWorkflowsAsync(LocalRuntime runtime, CancellationToken cancellationToken)
    {
        Console.WriteLine();
        Console.Write("Waiting for discharge-to-bill and remittance-to-GL to settle");
        var active = new[] { OrchestrationRuntimeStatus.Pending, OrchestrationRuntimeStatus.Running };
        var (previous, stableFor) = (-1, 0);
        for (var waited = 0; waited < 120 && stableFor < 6; waited++)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken);
            var running = (await AllInstancesAsync(runtime, active, cancellationToken)).Count;
            stableFor = running == previous ? stableFor + 1 : 0;
            previous = running;
            if (running == 0 && waited > 4)
                break;
            if (waited % 4 == 0)
                Console.Write('.');
        }
    }

    private static Task<List<OrchestrationMetadata>> AllInstancesAsync(LocalRuntime runtime, IReadOnlyCollection<OrchestrationRuntimeStatus>? statuses, CancellationToken cancellationToken) =>
        runtime.Orchestrations.ListAllInstancesAsync(new OrchestrationQuery(statuses, PageSize: 1000), cancellationToken);

    /// <summary>Generated encounters over MLLP (one connection, an ACK per message) and a few over HTTP.</summary>
    private static async Task SendHl7Async(LocalRuntime runtime, int encounterCount, Tally tally, CancellationToken cancellationToken)
    {
        var generator = new Hl7Generator(2026);
        var messages = Enumerable.Range(0, encounterCount).SelectMany(_ => generator.NextEncounter()).ToList();
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(runtime.MllpEndpoint!, cancellationToken);
        var stream = tcp.GetStream();
        var acks = new MllpFrameReader(PipeReader.Create(stream));
        foreach (var message in messages.Skip(10))
        {
            await stream.WriteAsync(MllpFrameEncoder.Encode(message.Text), cancellationToken);
            var ack = await acks.ReadAsync(cancellationToken);
            if (ack.Status != MllpDecodeStatus.Frame)
                throw new IOException($"The MLLP connection answered with {ack.Status} instead of an ACK.");
            tally.Add("HL7 v2 over MLLP", Encoding.UTF8.GetString(ack.Payload!).Contains("MSA|AA", StringComparison.Ordinal) ? "AA" : "AE/AR");
        }

        using var http = Client(runtime, Hl7Key);
        foreach (var message in messages.Take(10))
            await PostAsync(http, "/api/hl7v2", "x-application/hl7-v2+er7", message.ToBytes(), "HL7 v2 over HTTP", tally, cancellationToken);
        await PostAsync(http, "/api/hl7v2", "text/plain", "MSH|^~\\&|BROKEN"u8.ToArray(), "HL7 v2 over HTTP", tally, cancellationToken);
    }

    /// <summary>837 claim batches (institutional and professional) and a malformed interchange over HTTP.</summary>
    private static async Task<List<X12.Claim>> SendX12ClaimsAsync(LocalRuntime runtime, X12Generator generator, Tally tally, CancellationToken cancellationToken)
    {
        using var http = Client(runtime, VendorKey);
        var billed = new List<X12.Claim>();
        foreach (var kind in new[] { ClaimKind.Institutional, ClaimKind.Professional })
        {
            using var claims = new MemoryStream();
            billed.AddRange(generator.Write837(claims, kind, 150).Claims);
            await PostAsync(http, "/api/x12", "application/edi-x12", claims.ToArray(), "X12 837", tally, cancellationToken);
        }

        await PostAsync(http, "/api/x12", "application/edi-x12", "ISA*00*broken"u8.ToArray(), "X12 837", tally, cancellationToken);
        return billed;
    }

    /// <summary>An 835 interchange over HTTP, sent twice: the re-send gets the original receipt.</summary>
    private static async Task SendX12RemittancesAsync(LocalRuntime runtime, Tally tally, Action<Stream> write, CancellationToken cancellationToken)
    {
        using var http = Client(runtime, VendorKey);
        using var remittance = new MemoryStream();
        write(remittance);
        await PostAsync(http, "/api/x12", "application/edi-x12", remittance.ToArray(), "X12 835", tally, cancellationToken);
        await PostAsync(http, "/api/x12", "application/edi-x12", remittance.ToArray(), "X12 835", tally, cancellationToken);
    }

    /// <summary>FHIR transaction and batch Bundles (encounters, charges, claims, adjudications) and one invalid claim.</summary>
    private static async Task SendFhirAsync(LocalRuntime runtime, Tally tally, CancellationToken cancellationToken)
    {
        var generator = new FhirGenerator(2026);
        using var http = Client(runtime, Hl7Key);
        for (var i = 0; i < 5; i++)
            await PostAsync(http, "/api/fhir", "application/fhir+json", generator.Bundle(10, i % 2 == 0 ? "transaction" : "batch"), "FHIR R4", tally, cancellationToken);
        await PostAsync(http, "/api/fhir", "application/fhir+json", """{"resourceType":"Claim","status":"active"}"""u8.ToArray(), "FHIR R4", tally, cancellationToken);
    }

    private static HttpClient Client(LocalRuntime runtime, string key)
    {
        var http = new HttpClient { BaseAddress = runtime.Address };
        http.DefaultRequestHeaders.Add("x-functions-key", key);
        return http;
    }

    private static async Task PostAsync(HttpClient http, string route, string contentType, byte[] body, string label, Tally tally, CancellationToken cancellationToken)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        using var response = await http.PostAsync(route, content, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        var outcome = (int)response.StatusCode switch
        {
            200 => "re-send: original receipt",
            202 when text.Contains("\"status\":\"Rejected\"", StringComparison.Ordinal) => "stored, rejected with ack",
            202 => "accepted",
            422 => "rejected with OperationOutcome",
            _ => $"HTTP {(int)response.StatusCode}",
        };
        tally.Add(label, outcome);
    }

    /// <summary>Counts of outcomes per channel, printed as a table.</summary>
    private sealed class Tally
    {
        private readonly SortedDictionary<string, SortedDictionary<string, int>> _counts = new(StringComparer.Ordinal);

        public void Add(string channel, string outcome)
        {
            if (!_counts.TryGetValue(channel, out var outcomes))
                _counts[channel] = outcomes = new SortedDictionary<string, int>(StringComparer.Ordinal);
            outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
        }

        public void Print()
        {
            Console.WriteLine("What the vendors sent and what they got back:");
            foreach (var (channel, outcomes) in _counts)
                Console.WriteLine($"  {channel,-18} {string.Join(", ", outcomes.Select(o => $"{o.Value} {o.Key}"))}");
        }
    }
}
