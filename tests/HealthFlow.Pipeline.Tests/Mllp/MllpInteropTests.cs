using HealthFlow.Tests.Shared;
using System.Globalization;
using System.Text.Json;
using HealthFlow.Pipeline.Tests.Support;

namespace HealthFlow.Pipeline.Tests.Mllp;

/// <summary>The listener driven by a third-party MLLP client: the npm package node-hl7-client, via tests/tools/hl7-client.mjs.</summary>
public sealed class MllpInteropTests : IAsyncLifetime
{
    private RuntimeHost _host = null!;

    public async Task InitializeAsync() => _host = await RuntimeHost.StartAsync(MllpRuntime.Settings());

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task Node_hl7_client_sends_adt_and_dft_and_receives_an_AA_ack_for_each_control_id()
    {
        var tools = await NodeTools.EnsureInstalledAsync("node-hl7-client/package.json");
        var generator = MllpRuntime.Generator(401);
        var messages = Enumerable.Range(0, 3).SelectMany(_ => generator.NextEncounter()).ToList();
        var file = Path.Combine(_host.Folder, "hl7-client-messages.json");
        await File.WriteAllTextAsync(file, JsonSerializer.Serialize(messages.Select(m => m.Text)));
        var endpoint = _host.Endpoint();

        var (exitCode, output, error) = await NodeTools.RunNodeAsync(tools, "hl7-client.mjs",
            [endpoint.Address.ToString(), endpoint.Port.ToString(CultureInfo.InvariantCulture), file], TimeSpan.FromMinutes(2));

        Assert.True(exitCode == 0, $"hl7-client.mjs exited with {exitCode}: {error}");
        var acks = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => JsonDocument.Parse(line).RootElement)
            .ToList();
        Assert.Equal(messages.Count, acks.Count);
        for (var i = 0; i < messages.Count; i++)
        {
            Assert.Equal("AA", acks[i].GetProperty("msa1").GetString());
            Assert.Equal(messages[i].ControlId, acks[i].GetProperty("msa2").GetString());
        }
        // node-hl7-client re-serialises each message (trailing segment terminator and all), so look it up by control id.
        foreach (var message in messages)
            Assert.Single(await _host.ReceiptsOfControlIdAsync(message.ControlId));
    }
}
