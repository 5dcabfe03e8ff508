using System.CommandLine;
using System.Net.Http.Headers;
using System.Text;
using HealthFlow.Ledger;
using HealthFlow.Ledger.Storage;
using HealthFlow.Pipeline.Runtime;

namespace HealthFlow.Cli;

/// <summary>
/// <c>healthflow demo</c>: runs the local runtime on a free loopback port with a fresh data folder, plays a
/// vendor's traffic against it over real HTTP, and prints what happened: receipts, duplicates, rejections,
/// and the ledger's verification.
/// </summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var data = new Option<string?>("--data") { Description = "Data folder to use (default: a new temporary folder)." };
        var command = new Command("demo", "Run HealthFlow end to end on generated data, with embedded defaults and no cloud.") { data };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var folder = parse.GetValue(data) ?? Path.Combine(Path.GetTempPath(), "healthflow-demo-" + DateTime.UtcNow.ToString("yyyyMMddHHmmss", System.Globalization.CultureInfo.InvariantCulture));
            var configuration = LocalSettings.Build(Environment.CurrentDirectory, new Dictionary<string, string?>
            {
                ["HealthFlow:Data"] = folder,
                ["HealthFlow:Urls"] = "http://127.0.0.1:0",
            });
            var vendorKey = configuration.GetSection("Vendors").GetChildren().First();
            await using var runtime = await LocalRuntime.StartAsync(configuration, cancellationToken);
            Console.WriteLine($"HealthFlow demo: runtime on {runtime.Address}, data folder {runtime.Data.Path}");
            using var http = new HttpClient { BaseAddress = runtime.Address };
            http.DefaultRequestHeaders.Add("x-functions-key", vendorKey["Key"]);

            var sent = 0;
            var duplicates = 0;
            var rejected = 0;
            foreach (var (route, contentType, body) in DemoTraffic.Payloads())
            {
                using var content = new ByteArrayContent(body);
                content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
                using var response = await http.PostAsync(route, content, cancellationToken);
                var text = await response.Content.ReadAsStringAsync(cancellationToken);
                sent++;
                if ((int)response.StatusCode == 200)
                    duplicates++;
                if (text.Contains("\"status\":\"rejected\"", StringComparison.OrdinalIgnoreCase) || (int)response.StatusCode >= 400)
                    rejected++;
            }
            Console.WriteLine($"Vendor '{vendorKey.Key}' sent {sent} payloads: {sent - duplicates} receipts issued, {duplicates} duplicates answered with the original receipt, {rejected} rejected and kept.");

            using var reader = FileBlobStore.OpenReadOnly(runtime.Data.Path);
            var verification = await LedgerVerifier.VerifyAsync(reader, new LedgerOptions { SegmentMaxAppends = int.MaxValue }, cancellationToken);
            Console.WriteLine(verification.Verified
                ? $"Ledger verifies: {verification.Records} records, hash chain whole."
                : $"Ledger BROKEN: {verification.Fault}");
            return verification.Verified ? 0 : 1;
        });
        return command;
    }
}

/// <summary>The demo's traffic; grows with each reader (generated X12, FHIR and HL7 v2).</summary>
internal static class DemoTraffic
{
    public static IEnumerable<(string Route, string ContentType, byte[] Body)> Payloads()
    {
        for (var i = 1; i <= 20; i++)
            yield return ("/api/x12", "application/edi-x12", Encoding.ASCII.GetBytes(Interchange(i)));
        yield return ("/api/x12", "application/edi-x12", Encoding.ASCII.GetBytes(Interchange(1))); // a re-send
        yield return ("/api/x12", "application/edi-x12", "this is not X12"u8.ToArray());
        yield return ("/api/fhir", "application/fhir+json", """{"resourceType":"Encounter","id":"demo-1","status":"finished"}"""u8.ToArray());
    }

    private static string Interchange(int control) =>
        $"ISA*00*          *00*          *ZZ*DEMOPAYER      *ZZ*DEMOHOSP       *261121*1200*^*00501*{control:D9}*0*P*:~"
        + $"GS*HP*DEMOPAYER*DEMOHOSP*20261121*1200*{control}*X*005010X221A1~ST*835*0001~BPR*I*100*C*ACH*CCP*01*999999999*DA*123456*1512345678**01*999999999*DA*654321*20261121~"
        + $"TRN*1*TRACE{control}*1512345678~N1*PR*DEMO PAYER~N1*PE*DEMO HOSPITAL*XX*1234567893~LX*1~CLP*PCN{control}*1*150*100*50*12*CLAIM{control}~CAS*CO*45*50~SE*11*0001~GE*1*{control}~IEA*1*{control:D9}~";
}
