using HealthFlow.Hl7;
using HealthFlow.Pipeline.Tests.Support;

namespace HealthFlow.Pipeline.Tests.Mllp;

/// <summary>A runtime whose MLLP listener closes connections silent for one second.</summary>
public sealed class MllpIdleTimeoutTests : IAsyncLifetime
{
    private RuntimeHost _host = null!;

    public async Task InitializeAsync() => _host = await RuntimeHost.StartAsync(MllpRuntime.Settings(idleTimeoutSeconds: 1));

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task A_peer_that_connects_and_says_nothing_is_disconnected_after_the_idle_timeout()
    {
        await using var silent = await _host.ConnectAsync();

        var started = DateTime.UtcNow;
        Assert.True(await silent.WasClosedByPeerAsync(TimeSpan.FromSeconds(20)), "the silent connection was not closed");
        Assert.True(DateTime.UtcNow - started >= TimeSpan.FromSeconds(0.9), "closed before the idle timeout");
    }

    [Fact]
    public async Task A_peer_that_goes_silent_after_a_message_is_disconnected_after_the_idle_timeout()
    {
        var message = MllpRuntime.Generator(201).NextAdt(Hl7AdtEvent.A01);
        await using var client = await _host.ConnectAsync();

        Assert.Equal("AA", Ack.Parse(await client.ExchangeAsync(message.Text)).Code);

        Assert.True(await client.WasClosedByPeerAsync(TimeSpan.FromSeconds(20)), "the idle connection was not closed");
    }

    [Fact]
    public async Task A_slow_sender_that_keeps_sending_is_not_cut_off_by_the_idle_timeout()
    {
        var message = MllpRuntime.Generator(202).NextAdt(Hl7AdtEvent.A01);
        var frame = MllpTestClient.Frame(message.Text);
        await using var client = await _host.ConnectAsync();

        // About two seconds for the whole frame, in ten writes: never silent for the timeout, but longer than it in total.
        var chunk = (frame.Length + 9) / 10;
        for (var offset = 0; offset < frame.Length; offset += chunk)
        {
            await client.SendAsync(frame[offset..Math.Min(frame.Length, offset + chunk)]);
            await Task.Delay(200);
        }

        var ack = Ack.Parse(await client.ReadAckAsync());
        Assert.Equal(("AA", message.ControlId), (ack.Code, ack.ControlId));
    }
}
