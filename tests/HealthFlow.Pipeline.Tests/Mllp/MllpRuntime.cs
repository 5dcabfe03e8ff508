using System.Net;
using System.Text;
using HealthFlow.Hl7.Generation;
using HealthFlow.Ledger;
using HealthFlow.Pipeline.Ingestion;
using HealthFlow.Pipeline.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace HealthFlow.Pipeline.Tests.Mllp;

/// <summary>Settings and ledger look-ups shared by the MLLP tests: a runtime with the listener on a free loopback port.</summary>
internal static class MllpRuntime
{
    /// <summary>The facility the generator sends as (MSH-4), allowed for vendor acme from 127.0.0.1 only.</summary>
    public const string Facility = "STMARYS";

    public static Dictionary<string, string?> Settings(int idleTimeoutSeconds = 300, int maxFrameBytes = 64 * 1024) => new()
    {
        ["Mllp:Endpoint"] = "127.0.0.1:0",
        ["Mllp:IdleTimeoutSeconds"] = idleTimeoutSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Mllp:MaxFrameBytes"] = maxFrameBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Mllp:Sources:acme:Facilities"] = Facility,
        ["Mllp:Sources:acme:Addresses"] = "127.0.0.1",
        ["Mllp:Sources:beta:Facilities"] = "OTHERHOSP",
        ["Mllp:Sources:beta:Addresses"] = "10.0.0.0/8",
    };

    public static IPEndPoint Endpoint(this RuntimeHost host) =>
        host.Runtime.MllpEndpoint ?? throw new InvalidOperationException("The runtime has no MLLP listener.");

    public static Task<MllpTestClient> ConnectAsync(this RuntimeHost host, IPAddress? from = null) => MllpTestClient.ConnectAsync(host.Endpoint(), from);

    /// <summary>Generated messages with control ids unique to the calling test.</summary>
    public static Hl7Generator Generator(int seed, string facility = Facility) =>
        new(seed, new Hl7GeneratorOptions { SendingFacility = facility, ControlIdPrefix = "T" + Guid.NewGuid().ToString("N")[..8] });

    /// <summary>The receipt id of the raw ledger record holding exactly <paramref name="message"/>, or null when it was not stored.</summary>
    public static async Task<string?> ReceiptOfAsync(this RuntimeHost host, string message)
    {
        var bytes = Encoding.UTF8.GetBytes(message);
        var raw = await host.Runtime.Ledger.ReadStreamAsync("raw").Where(r => r.Payload.Span.SequenceEqual(bytes)).ToListAsync();
        Assert.True(raw.Count <= 1, $"the message was stored {raw.Count} times");
        return raw.Count == 0 ? null : raw[0].CorrelationId;
    }

    /// <summary>The receipt ids of raw ledger records whose MSH-10 is <paramref name="controlId"/> (for senders that re-serialise messages).</summary>
    public static async Task<List<string>> ReceiptsOfControlIdAsync(this RuntimeHost host, string controlId)
    {
        var marker = Encoding.UTF8.GetBytes("|" + controlId + "|");
        return await host.Runtime.Ledger.ReadStreamAsync("raw").Where(r => r.Payload.Span.IndexOf(marker) >= 0).Select(r => r.CorrelationId).ToListAsync();
    }

    /// <summary>The records a receipt produced on topics (stream <c>topic/…</c>).</summary>
    public static int ReceiptCount(this RuntimeHost host) => host.Runtime.Services.GetRequiredService<IngestionService>().ReceiptCount;
}
