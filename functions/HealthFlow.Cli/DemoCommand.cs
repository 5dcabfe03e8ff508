using System.CommandLine;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using HealthFlow.Fhir.Generation;
using HealthFlow.Hl7.Generation;
using HealthFlow.Hl7.Mllp;
using HealthFlow.Ledger;
using HealthFlow.Ledger.Storage;
using HealthFlow.Pipeline.Runtime;
using HealthFlow.X12;

namespace HealthFlow.Cli;

/// <summary>
/// <c>healthflow demo</c>: runs the local runtime on free loopback ports with a fresh data folder, plays several
/// vendors' traffic against it over real HTTP and MLLP (generated HL7 v2 ADT/DFT, FHIR Bundles, 837 claims, 835
/// remittances with denials, reversals and PLB, re-sends and malformed messages), and prints what happened: receipts,
/// acknowledgements, events per topic and the ledger's verification.
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
            });
            await using var runtime = await LocalRuntime.StartAsync(configuration, cancellationToken);
            Console.WriteLine($"HealthFlow demo: HTTP on {runtime.Address}, MLLP on {runtime.MllpEndpoint}, data in {runtime.Data.Path}");
            Console.WriteLine();

            var tally = new Tally();
            await SendHl7Async(runtime, parse.GetValue(encounters), tally, cancellationToken);
            await SendX12Async(runtime, tally, cancellationToken);
            await SendFhirAsync(runtime, tally, cancellationToken);
            tally.Print();

            Console.WriteLine();
            Console.WriteLine("Canonical events on topics:");
            foreach (var topic in Topics)
                Console.WriteLine($"  {topic,-12} {await runtime.Ledger.ReadStreamAsync($"topic/{topic}", 0, cancellationToken).CountAsync(cancellationToken),7}");

            using var reader = FileBlobStore.OpenReadOnly(runtime.Data.Path);
            var verification = await LedgerVerifier.VerifyAsync(reader, new LedgerOptions { SegmentMaxAppends = int.MaxValue }, cancellationToken);
            Console.WriteLine();
            Console.WriteLine(verification.Verified
                ? $"Ledger verifies: {verification.Records} records in {verification.Segments} segment(s), hash chain whole."
                : $"Ledger BROKEN: {verification.Fault}");
            Console.WriteLine($"Inspect it: healthflow ledger verify --data {runtime.Data.Path}");
            return verification.Verified ? 0 : 1;
        });
        return command;
    }

    /// <summary>Generated encounters over MLLP (one connection, an ACK per message) and a few over HTTP.</summary>
    private static async Task SendHl7Async(LocalRuntime runtime, int encounterCount, Tally tally, CancellationToken cancellationToken)
    {
        var generator = new Hl7Generator(2026);
        var messages = Enumerable.Range(0, encounterCount).SelectMany(_ => generator.NextEncounter()).ToList();
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(runtime.MllpEndpoint!, cancellationToken);
        var stream = tcp.GetStream();
        var buffer = new byte[64 * 1024];
        foreach (var message in messages.Skip(10))
        {
            await stream.WriteAsync(MllpFrameEncoder.Encode(message.Text), cancellationToken);
            var ack = await ReadFrameAsync(stream, buffer, cancellationToken);
            tally.Add("HL7 v2 over MLLP", ack.Contains("MSA|AA", StringComparison.Ordinal) ? "AA" : "AE/AR");
        }

        using var http = Client(runtime, Hl7Key);
        foreach (var message in messages.Take(10))
            await PostAsync(http, "/api/hl7v2", "x-application/hl7-v2+er7", message.ToBytes(), "HL7 v2 over HTTP", tally, cancellationToken);
        await PostAsync(http, "/api/hl7v2", "text/plain", "MSH|^~\\&|BROKEN"u8.ToArray(), "HL7 v2 over HTTP", tally, cancellationToken);
    }

    /// <summary>837 claim batches and 835 remittances (with a re-send and a malformed interchange) over HTTP.</summary>
    private static async Task SendX12Async(LocalRuntime runtime, Tally tally, CancellationToken cancellationToken)
    {
        var generator = new X12Generator(2026);
        using var http = Client(runtime, VendorKey);
        foreach (var kind in new[] { ClaimKind.Institutional, ClaimKind.Professional })
        {
            using var claims = new MemoryStream();
            generator.Write837(claims, kind, 40);
            await PostAsync(http, "/api/x12", "application/edi-x12", claims.ToArray(), "X12 837", tally, cancellationToken);
        }
        byte[]? first = null;
        for (var i = 0; i < 5; i++)
        {
            using var remittance = new MemoryStream();
            generator.Write835(remittance, 60_000, claimsPerTransactionSet: 40, setsPerInterchange: 2);
            first ??= remittance.ToArray();
            await PostAsync(http, "/api/x12", "application/edi-x12", remittance.ToArray(), "X12 835", tally, cancellationToken);
        }
        await PostAsync(http, "/api/x12", "application/edi-x12", first!, "X12 835", tally, cancellationToken);
        await PostAsync(http, "/api/x12", "application/edi-x12", "ISA*00*broken"u8.ToArray(), "X12 835", tally, cancellationToken);
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

    private static async Task<string> ReadFrameAsync(NetworkStream stream, byte[] buffer, CancellationToken cancellationToken)
    {
        var filled = 0;
        while (true)
        {
            var read = await stream.ReadAsync(buffer.AsMemory(filled), cancellationToken);
            if (read == 0)
                throw new IOException("The MLLP connection closed before the ACK arrived.");
            filled += read;
            if (filled >= 2 && buffer[filled - 2] == MllpFrameDecoder.EndBlock && buffer[filled - 1] == MllpFrameDecoder.CarriageReturn)
                return Encoding.UTF8.GetString(buffer, 1, filled - 3);
        }
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
