using System.Net;
using System.Text;
using HealthFlow.Hl7;
using HealthFlow.Hl7.Generation;
using HealthFlow.Pipeline.Tests.Support;

namespace HealthFlow.Pipeline.Tests.Mllp;

/// <summary>One runtime with the MLLP listener for the whole class; each test uses its own control ids.</summary>
public sealed class MllpListenerFixture : IAsyncLifetime
{
    public RuntimeHost Host { get; private set; } = null!;

    public async Task InitializeAsync() => Host = await RuntimeHost.StartAsync(MllpRuntime.Settings());

    public async Task DisposeAsync() => await Host.DisposeAsync();
}

public sealed class MllpListenerTests(MllpListenerFixture fixture) : IClassFixture<MllpListenerFixture>
{
    private RuntimeHost Host => fixture.Host;

    private async Task AssertAcceptedAndStoredAsync(Hl7GeneratedMessage message, Ack ack, string topic)
    {
        Assert.Equal("AA", ack.Code);
        Assert.Equal(message.ControlId, ack.ControlId);
        var receiptId = await Host.ReceiptOfAsync(message.Text);
        Assert.NotNull(receiptId);
        var events = await Host.TopicRecordsAsync(receiptId);
        // The workflows' own messages (orchestration work) carry the receipt too; the canonical events are these.
        var published = events.Where(e => e.Stream is "topic/encounters" or "topic/charges" or "topic/claims" or "topic/remittances").ToList();
        Assert.NotEmpty(published);
        Assert.All(published, e => Assert.Equal("topic/" + topic, e.Stream));
        foreach (var text in events.Select(e => Encoding.UTF8.GetString(e.Payload.Span)).Append(ack.Text))
        {
            Assert.DoesNotContain(message.PatientFamilyName, text, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(message.PatientGivenName, text, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public async Task Admission_discharge_and_charges_over_mllp_are_acknowledged_AA_stored_and_published_without_patient_names()
    {
        var generator = MllpRuntime.Generator(101);
        var admit = generator.NextAdt(Hl7AdtEvent.A01);
        var discharge = generator.NextAdt(Hl7AdtEvent.A03);
        var charges = generator.NextDft();
        await using var client = await Host.ConnectAsync();

        await AssertAcceptedAndStoredAsync(admit, Ack.Parse(await client.ExchangeAsync(admit.Text)), "encounters");
        await AssertAcceptedAndStoredAsync(discharge, Ack.Parse(await client.ExchangeAsync(discharge.Text)), "encounters");
        await AssertAcceptedAndStoredAsync(charges, Ack.Parse(await client.ExchangeAsync(charges.Text)), "charges");
    }

    [Fact]
    public async Task Many_messages_on_one_connection_each_get_their_own_ack()
    {
        var generator = MllpRuntime.Generator(102);
        var messages = Enumerable.Range(0, 10).SelectMany(_ => generator.NextEncounter()).ToList();
        await using var client = await Host.ConnectAsync();

        foreach (var message in messages)
        {
            var ack = Ack.Parse(await client.ExchangeAsync(message.Text));
            Assert.Equal(message.ControlId, ack.ControlId);
            Assert.Equal("AA", ack.Code);
        }
    }

    [Fact]
    public async Task A_frame_split_over_many_writes_byte_by_byte_is_reassembled()
    {
        var message = MllpRuntime.Generator(103).NextAdt(Hl7AdtEvent.A01);
        await using var client = await Host.ConnectAsync();

        await client.TrickleAsync(MllpTestClient.Frame(message.Text), TimeSpan.FromMilliseconds(1));

        var ack = Ack.Parse(await client.ReadAckAsync());
        Assert.Equal(("AA", message.ControlId), (ack.Code, ack.ControlId));
    }

    [Fact]
    public async Task Two_frames_in_one_write_get_two_acks_in_order()
    {
        var generator = MllpRuntime.Generator(104);
        var first = generator.NextAdt(Hl7AdtEvent.A01);
        var second = generator.NextDft();
        await using var client = await Host.ConnectAsync();

        await client.SendAsync([.. MllpTestClient.Frame(first.Text), .. MllpTestClient.Frame(second.Text)]);

        Assert.Equal(first.ControlId, Ack.Parse(await client.ReadAckAsync()).ControlId);
        Assert.Equal(second.ControlId, Ack.Parse(await client.ReadAckAsync()).ControlId);
    }

    [Fact]
    public async Task Many_frames_sent_before_reading_any_ack_are_answered_in_order()
    {
        var generator = MllpRuntime.Generator(105);
        var messages = Enumerable.Range(0, 40).Select(i => i % 3 == 2 ? generator.NextDft() : generator.NextAdt(Hl7AdtEvent.A01)).ToList();
        await using var client = await Host.ConnectAsync();

        await client.SendAsync([.. messages.SelectMany(m => MllpTestClient.Frame(m.Text))]);

        foreach (var message in messages)
        {
            var ack = Ack.Parse(await client.ReadAckAsync());
            Assert.Equal(("AA", message.ControlId), (ack.Code, ack.ControlId));
        }
        // Stored in the order sent, as an original-mode sender expects.
        var receipts = new List<string>();
        foreach (var message in messages)
            receipts.Add((await Host.ReceiptOfAsync(message.Text))!);
        var order = await Host.Runtime.Ledger.ReadStreamAsync("raw").Select(r => r.CorrelationId).Where(receipts.Contains).ToListAsync();
        Assert.Equal(receipts, order);
    }

    [Fact]
    public async Task A_message_sent_again_gets_the_same_ack_and_no_second_receipt()
    {
        var message = MllpRuntime.Generator(106).NextAdt(Hl7AdtEvent.A03);
        await using var client = await Host.ConnectAsync();

        var first = await client.ExchangeAsync(message.Text);
        var receipts = Host.ReceiptCount();
        var again = await client.ExchangeAsync(message.Text);

        Assert.Equal(first, again);
        Assert.Equal("AA", Ack.Parse(again).Code);
        Assert.Equal(receipts, Host.ReceiptCount());
        Assert.NotNull(await Host.ReceiptOfAsync(message.Text));
    }

    [Fact]
    public async Task The_same_message_twice_in_one_write_gets_two_identical_acks_and_one_receipt()
    {
        var message = MllpRuntime.Generator(113).NextDft();
        await using var client = await Host.ConnectAsync();
        var receipts = Host.ReceiptCount();

        await client.SendAsync([.. MllpTestClient.Frame(message.Text), .. MllpTestClient.Frame(message.Text)]);
        var first = await client.ReadAckAsync();
        var second = await client.ReadAckAsync();

        Assert.Equal(first, second);
        Assert.Equal(("AA", message.ControlId), (Ack.Parse(first).Code, Ack.Parse(first).ControlId));
        Assert.Equal(receipts + 1, Host.ReceiptCount());
        Assert.NotNull(await Host.ReceiptOfAsync(message.Text));
    }

    [Fact]
    public async Task A_message_without_msh_gets_an_AR_and_the_connection_stays_usable()
    {
        var next = MllpRuntime.Generator(107).NextAdt(Hl7AdtEvent.A01);
        await using var client = await Host.ConnectAsync();

        var nak = Ack.Parse(await client.ExchangeAsync("EVN|A01|20260105080000\rPID|1||MRN1^^^STMARYS^MR\r"));
        Assert.Equal("AR", nak.Code);
        Assert.NotEmpty(nak.ErrSegments);

        var ack = Ack.Parse(await client.ExchangeAsync(next.Text));
        Assert.Equal(("AA", next.ControlId), (ack.Code, ack.ControlId));
    }

    [Fact]
    public async Task Binary_junk_inside_a_frame_gets_an_AR()
    {
        var junk = new byte[2048];
        new Random(108).NextBytes(junk);
        for (var i = 0; i < junk.Length; i++)
        {
            if (junk[i] is 0x0B or 0x1C)
                junk[i] = 0x00;
        }
        var next = MllpRuntime.Generator(108).NextAdt(Hl7AdtEvent.A01);
        await using var client = await Host.ConnectAsync();

        await client.SendAsync([0x0B, .. junk, 0x1C, 0x0D]);
        Assert.Equal("AR", Ack.Parse(await client.ReadAckAsync()).Code);

        // Junk after a valid header: still refused, and quoted by control id.
        var header = next.Text[..next.Text.IndexOf('\r', StringComparison.Ordinal)] + "\r";
        await client.SendAsync([0x0B, .. Encoding.UTF8.GetBytes(header), .. junk, 0x1C, 0x0D]);
        var nak = Ack.Parse(await client.ReadAckAsync());
        Assert.Equal(("AR", next.ControlId), (nak.Code, nak.ControlId));

        Assert.Equal("AA", Ack.Parse(await client.ExchangeAsync(next.Text)).Code);
    }

    [Fact]
    public async Task A_frame_over_the_size_limit_gets_an_AR_and_the_next_frame_is_served()
    {
        var generator = MllpRuntime.Generator(109);
        var huge = generator.NextAdt(Hl7AdtEvent.A01);
        var oversized = huge.Text + "ZXX|" + new string('X', 200 * 1024) + "\r";
        var next = generator.NextAdt(Hl7AdtEvent.A01);
        await using var client = await Host.ConnectAsync();

        await client.SendFrameAsync(oversized);
        var nak = Ack.Parse(await client.ReadAckAsync());
        Assert.Equal("AR", nak.Code);

        var ack = Ack.Parse(await client.ExchangeAsync(next.Text));
        Assert.Equal(("AA", next.ControlId), (ack.Code, ack.ControlId));
        Assert.Null(await Host.ReceiptOfAsync(oversized));
    }

    [Fact]
    public async Task A_sending_facility_not_on_the_allow_list_gets_an_AR_and_nothing_is_stored()
    {
        var message = MllpRuntime.Generator(110, facility: "UNKNOWNHOSP").NextAdt(Hl7AdtEvent.A01);
        await using var client = await Host.ConnectAsync();
        var receipts = Host.ReceiptCount();

        var nak = Ack.Parse(await client.ExchangeAsync(message.Text));

        Assert.Equal(("AR", message.ControlId), (nak.Code, nak.ControlId));
        Assert.Null(await Host.ReceiptOfAsync(message.Text));
        Assert.Equal(receipts, Host.ReceiptCount());
    }

    [Fact]
    public async Task An_allowed_facility_from_an_address_not_on_its_allow_list_gets_an_AR_and_nothing_is_stored()
    {
        var message = MllpRuntime.Generator(111).NextAdt(Hl7AdtEvent.A01);
        var otherFacility = MllpRuntime.Generator(111, facility: "OTHERHOSP").NextAdt(Hl7AdtEvent.A01);
        // 127.0.0.2 is loopback too, but not the allowed 127.0.0.1.
        await using var client = await Host.ConnectAsync(from: IPAddress.Parse("127.0.0.2"));

        Assert.Equal("AR", Ack.Parse(await client.ExchangeAsync(message.Text)).Code);
        // A facility allowed only from 10.0.0.0/8.
        Assert.Equal("AR", Ack.Parse(await client.ExchangeAsync(otherFacility.Text)).Code);

        Assert.Null(await Host.ReceiptOfAsync(message.Text));
        Assert.Null(await Host.ReceiptOfAsync(otherFacility.Text));
    }

    [Fact]
    public async Task A_peer_that_closes_inside_a_frame_is_closed_while_another_client_is_served()
    {
        var generator = MllpRuntime.Generator(112);
        var partial = generator.NextAdt(Hl7AdtEvent.A01);
        var other = generator.NextAdt(Hl7AdtEvent.A01);
        await using var broken = await Host.ConnectAsync();
        await using var healthy = await Host.ConnectAsync();

        var frame = MllpTestClient.Frame(partial.Text);
        await broken.SendAsync(frame[..(frame.Length / 2)]);
        // The healthy client is answered while the broken one is mid-frame.
        var ack = Ack.Parse(await healthy.ExchangeAsync(other.Text));
        Assert.Equal(("AA", other.ControlId), (ack.Code, ack.ControlId));

        broken.ShutdownSend();
        Assert.True(await broken.WasClosedByPeerAsync(TimeSpan.FromSeconds(10)), "the listener did not close the connection");
        Assert.Null(await Host.ReceiptOfAsync(partial.Text));

        var again = generator.NextDft();
        Assert.Equal("AA", Ack.Parse(await healthy.ExchangeAsync(again.Text)).Code);
    }
}
