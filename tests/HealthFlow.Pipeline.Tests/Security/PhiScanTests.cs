using System.Text;
using HealthFlow.Fhir.Generation;
using HealthFlow.Hl7.Generation;
using HealthFlow.Pipeline.Erp;
using HealthFlow.Pipeline.Orchestration;
using HealthFlow.Pipeline.Tests.Erp;
using HealthFlow.Pipeline.Tests.Support;
using HealthFlow.Tests.Shared;
using HealthFlow.X12;

namespace HealthFlow.Pipeline.Tests.Security;

/// <summary>
/// Invariant 6 end to end: a realistic mix of X12 (835 and 837, generated and the real fixtures), FHIR Bundles and HL7 v2
/// encounters goes through the running server, the workflows post its journals, and then no patient name, birth date or
/// member id of those messages appears in any file under the data folder's erp/ output, in any log entry (at Trace), or in
/// any request body the webhook ERP received.
/// </summary>
public sealed class PhiScanTests
{
    private sealed record Message(string Path, string ContentType, byte[] Body);

    [Theory]
    [InlineData("file")]
    [InlineData("webhook")]
    public async Task No_patient_name_birth_date_or_member_id_reaches_the_ERP_or_the_logs(string gateway)
    {
        await using var erp = await LoopbackErp.StartAsync();
        var logs = new LogCapture();
        await using var host = await RuntimeHost.StartAsync(new Dictionary<string, string?>
        {
            ["Logging:LogLevel:Default"] = "Trace",
            ["Workflows:QuietPeriodSeconds"] = "0.3",
            ["Erp:Gateway"] = gateway,
            ["Erp:Webhook:Url"] = new Uri(erp.Url, "erp/journals").ToString(),
            ["Erp:Webhook:Secret"] = "phi-scan-webhook-secret",
        }, logs: logs);

        var phi = new KnownPhi();
        var workload = Workload(phi);
        Assert.True(phi.Values.Count >= 30, $"only {phi.Values.Count} known values: the workload lost its patients");
        // The search itself must find every value where it is: in the messages sent.
        var sent = string.Join("\n", workload.Select(m => Encoding.UTF8.GetString(m.Body)));
        Assert.Equal(phi.AsSent.Order(StringComparer.Ordinal), phi.FoundIn(sent).Where(phi.AsSent.Contains).Order(StringComparer.Ordinal));

        using var client = host.Client();
        foreach (var message in workload)
        {
            using var response = await client.PostAsync(message.Path, RuntimeHost.Body(message.Body, message.ContentType));
            Assert.True((int)response.StatusCode < 500, $"{message.Path}: {(int)response.StatusCode}");
        }

        var posted = await WaitUntilSettledAsync(host);
        Assert.True(posted > 0, "no journal was posted: the scan would prove nothing");

        var leaks = new List<string>();
        var erpFolder = Path.Combine(host.Folder, "erp");
        foreach (var file in Directory.Exists(erpFolder) ? Directory.EnumerateFiles(erpFolder, "*", SearchOption.AllDirectories) : [])
            leaks.AddRange(phi.FoundIn(await File.ReadAllTextAsync(file)).Select(v => $"{v} in {Path.GetRelativePath(host.Folder, file)}"));
        leaks.AddRange(logs.Entries.SelectMany(entry => phi.FoundIn(entry).Select(v => $"{v} in log entry: {entry}")));
        leaks.AddRange(erp.Seen.SelectMany(request => phi.FoundIn(request.Text + " " + request.Path + request.Query).Select(v => $"{v} in ERP request {request.Path}")));
        Assert.Empty(leaks);
        Assert.NotEmpty(logs.Entries);
        if (gateway == "webhook")
            Assert.NotEmpty(erp.Seen);
        else
            Assert.NotEmpty(Directory.EnumerateFiles(erpFolder, "*", SearchOption.AllDirectories));
    }

    /// <summary>835s (generated, and the fixture with reversal, denial and PLB), 837P/837I fixtures, FHIR transaction and
    /// batch Bundles, HL7 v2 encounters (admission, charges, discharge); every message's PHI goes into <paramref name="phi"/>.</summary>
    private static List<Message> Workload(KnownPhi phi)
    {
        var messages = new List<Message>();
        var x12 = new X12Generator(9001);
        var interchanges = Enumerable.Range(0, 3).Select(_ =>
        {
            using var stream = new MemoryStream();
            x12.Write835(stream, 1, claimsPerTransactionSet: 4, setsPerInterchange: 2);
            return stream.ToArray();
        }).ToList();
        interchanges.AddRange(new[] { "835-reversal-denial-plb.835", "837p-two-claims.837", "837i-inpatient.837" }
            .Select(name => File.ReadAllBytes(SourceTree.PathOf("tests/fixtures/x12/" + name))));
        foreach (var interchange in interchanges)
        {
            phi.AddX12(interchange);
            messages.Add(new Message("/api/x12", "application/edi-x12", interchange));
        }

        var fhir = new FhirGenerator(9002);
        foreach (var bundle in new[] { fhir.Bundle(3), fhir.Bundle(2, "batch") })
        {
            phi.AddFhir(bundle);
            messages.Add(new Message("/api/fhir", "application/fhir+json", bundle));
        }

        var hl7 = new Hl7Generator(9003, new Hl7GeneratorOptions { ControlIdPrefix = "PHI" });
        foreach (var message in hl7.NextEncounter().Concat(hl7.NextEncounter()))
        {
            phi.AddHl7(message.Text);
            messages.Add(new Message("/api/hl7v2", "x-application/hl7-v2+er7", message.ToBytes()));
        }

        return messages;
    }

    /// <summary>Waits until journals have been posted and neither their count nor any orchestration has changed for a
    /// few polls in a row (bounded; returns the posted count either way).</summary>
    private static async Task<int> WaitUntilSettledAsync(RuntimeHost host)
    {
        var previous = (Posted: -1, Updated: DateTimeOffset.MinValue);
        var quietPolls = 0;
        for (var poll = 0; poll < 240 && quietPolls < 4; poll++)
        {
            await Task.Delay(500);
            var posted = await host.Runtime.Ledger.ReadStreamAsync(ErpPostedRegister.Stream).CountAsync();
            var instances = await host.Runtime.Orchestrations.ListInstancesAsync(new OrchestrationQuery(PageSize: 1000));
            var current = (posted, instances.Instances.Select(i => i.LastUpdatedAt).DefaultIfEmpty().Max());
            quietPolls = posted > 0 && current == previous ? quietPolls + 1 : 0;
            previous = current;
        }

        return previous.Posted;
    }
}
