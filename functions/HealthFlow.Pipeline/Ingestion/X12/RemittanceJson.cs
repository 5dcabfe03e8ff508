using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using HealthFlow.Finance.Events;
using HealthFlow.Pipeline.Bus;
using HealthFlow.X12;
using Adjustment = HealthFlow.X12.Adjustment;

namespace HealthFlow.Pipeline.Ingestion.X12;

/// <summary>
/// Writes an 835's <see cref="RemittanceReceived"/> as JSON straight from the parser's records (<see cref="RemittanceData"/>):
/// the bytes <see cref="EventJson.Serialize"/> writes for <see cref="X12Processor.ToEvent"/>'s event of the same document,
/// without the document's or the event's objects in between. The shape is fixed, so it is written as raw UTF-8: the
/// property names as literals, amounts formatted from their digits, strings copied when nothing in them needs escaping
/// (and written by <see cref="Utf8JsonWriter"/> when something does).
/// </summary>
/// <remarks>
/// Why two: <see cref="X12Processor.ToEvent"/> states in the Finance model's terms what the event holds and is the
/// reference; this writer is the one path <see cref="X12Processor"/> takes, because for a large 835 building the Finance
/// objects of every claim and serialising them took about half of the processing time, and writing the same JSON through
/// <see cref="Utf8JsonWriter"/> (its per-call bookkeeping, decimals through the general formatter) still 40 %: the JSON
/// is about twice the size of the 835. RemittanceJsonTests holds the two byte-identical over every fixture, the corpus's
/// 835s and generated ones (the parser's records against the document made of them): a change to either is a change to both.
/// </remarks>
internal static class RemittanceJson
{
    private const string Topic = "remittances"; // RemittanceReceived.Topic

    /// <summary>The longest decimal <see cref="TryFormat"/> writes: a sign, 20 digits and a point (or <c>0.</c> and 19 digits).</summary>
    internal const int MaxDecimalLength = 22;

    /// <summary>The event of <paramref name="remittance"/>, written by <paramref name="writer"/>, with its envelope.</summary>
    public static WrittenEvent Write(EventWriter writer, RemittanceData remittance, string key, string correlation, string causation)
    {
        var header = remittance.Header;
        var payer = header.PayerId ?? header.PayerName ?? "unknown-payer";
        var trace = header.TraceNumber ?? "";
        var session = $"{payer}|{trace}";
        var body = writer.Write((remittance, payer, trace, session, key, correlation, causation), static (buffer, e) =>
        {
            var json = new Output(buffer);
            WriteEvent(ref json, e.remittance, e.payer, e.trace, e.session, e.key, e.correlation, e.causation);
            json.Flush();
        });
        return new(Topic, new BusMessage(key, nameof(RemittanceReceived), body, session, correlation, causation));
    }

    // Properties in the order and form the serializer writes them (EventJson: camelCase, declared order with the base's
    // last, nulls left out; the overridden topic and session key are written, CanonicalEvent's JsonIgnore does not reach them).
    private static void WriteEvent(ref Output json, RemittanceData remittance, string payer, string trace, string session, string key, string correlation, string causation)
    {
        var header = remittance.Header;
        json.Raw("{\"type\":\"RemittanceReceived\",\"payer\":"u8);
        json.String(payer);
        json.Optional(",\"payerId\":"u8, header.PayerId);
        json.Raw(",\"payee\":"u8);
        json.String(header.PayeeName ?? header.PayeeId ?? "unknown-payee");
        json.Optional(",\"payeeNpi\":"u8, header.PayeeIdQualifier == "XX" ? header.PayeeId : null);
        json.Raw(",\"traceNumber\":"u8);
        json.String(trace);
        json.Optional(",\"paymentMethod\":"u8, header.PaymentMethod);
        json.Raw(",\"paymentAmount\":{\"amount\":"u8);
        json.Number(header.PaymentAmount);
        json.Raw(",\"currency\":\"USD\"}"u8); // X12Processor.Currency
        if (header.PaymentDate is { } date)
        {
            json.Raw(",\"paymentDate\":"u8);
            json.Date(date);
        }

        var difference = remittance.Difference;
        json.Raw(",\"balanced\":"u8);
        json.Bool(difference == 0m);
        json.Raw(",\"difference\":"u8);
        json.Number(difference);
        json.Raw(",\"claims\":["u8);
        var claims = remittance.Claims.Span;
        for (var i = 0; i < claims.Length; i++)
        {
            if (i > 0)
                json.Raw(","u8);
            WriteClaim(ref json, remittance, claims[i]);
        }

        json.Raw("],\"providerAdjustments\":["u8);
        var adjustments = remittance.ProviderAdjustments;
        for (var i = 0; i < adjustments.Count; i++)
        {
            json.Raw(i > 0 ? ",{\"reason\":"u8 : "{\"reason\":"u8);
            json.String(adjustments[i].Reason);
            json.Optional(",\"reference\":"u8, adjustments[i].Reference);
            json.Raw(",\"amount\":"u8);
            json.Number(adjustments[i].Amount);
            json.Raw("}"u8);
        }

        json.Raw("],\"topic\":\"remittances\",\"sessionKey\":"u8); // Topic
        json.String(session);
        json.Raw(",\"idempotencyKey\":"u8);
        json.String(key);
        json.Raw(",\"correlationId\":"u8);
        json.String(correlation);
        json.Raw(",\"causationId\":"u8);
        json.String(causation);
        json.Raw("}"u8);
    }

    private static void WriteClaim(ref Output json, RemittanceData remittance, in ClaimRecord claim)
    {
        json.Raw("{\"patientControlNumber\":"u8);
        json.String(claim.PatientControlNumber);
        json.Raw(",\"status\":"u8);
        json.String(claim.Status);
        json.Raw(",\"charge\":"u8);
        json.Number(claim.Charge);
        json.Raw(",\"paid\":"u8);
        json.Number(claim.Paid);
        json.Raw(",\"patientResponsibility\":"u8);
        json.Number(claim.PatientResponsibility ?? 0m);
        json.Optional(",\"payerClaimControlNumber\":"u8, claim.PayerClaimControlNumber);
        json.Optional(",\"patientToken\":"u8, claim.Patient?.IdToken ?? claim.Patient?.NameToken);
        json.Raw(",\"adjustments\":"u8);
        WriteAdjustments(ref json, remittance.ClaimAdjustments.Span[claim.Adjustments]);
        json.Raw(",\"serviceLines\":["u8);
        var lines = remittance.Lines.Span[claim.Lines];
        for (var i = 0; i < lines.Length; i++)
        {
            ref readonly var line = ref lines[i];
            // The first property has no comma before it: whichever of the optional codes and the charge comes first.
            json.Raw(i > 0 ? ",{"u8 : "{"u8);
            var comma = false;
            if (line.ProcedureCode is { } procedure)
            {
                json.Raw("\"procedureCode\":"u8);
                json.String(procedure);
                comma = true;
            }

            if (line.RevenueCode is { } revenue)
            {
                json.Raw(comma ? ",\"revenueCode\":"u8 : "\"revenueCode\":"u8);
                json.String(revenue);
                comma = true;
            }

            json.Raw(comma ? ",\"charge\":"u8 : "\"charge\":"u8);
            json.Number(line.Charge);
            json.Raw(",\"paid\":"u8);
            json.Number(line.Paid);
            json.Raw(",\"adjustments\":"u8);
            WriteAdjustments(ref json, remittance.LineAdjustments.Span[line.Adjustments]);
            json.Raw(",\"remarkCodes\":"u8);
            json.Strings(remittance.LineRemarks.Span[line.Remarks]);
            json.Raw("}"u8);
        }

        json.Raw("],\"remarkCodes\":"u8);
        json.Strings(remittance.ClaimRemarks.Span[claim.Remarks]);
        json.Raw(",\"balanced\":"u8);
        json.Bool(remittance.IsBalanced(claim));
        json.Raw(",\"isReversal\":"u8);
        json.Bool(claim.IsReversal);
        json.Raw(",\"isDenial\":"u8);
        json.Bool(claim.IsDenied);
        json.Raw("}"u8);
    }

    private static void WriteAdjustments(ref Output json, ReadOnlySpan<Adjustment> adjustments)
    {
        json.Raw("["u8);
        for (var i = 0; i < adjustments.Length; i++)
        {
            ref readonly var adjustment = ref adjustments[i];
            json.Raw(i > 0 ? ",{\"group\":"u8 : "{\"group\":"u8);
            json.String(adjustment.Group);
            json.Raw(",\"reason\":"u8);
            json.String(adjustment.Reason);
            json.Raw(",\"amount\":"u8);
            json.Number(adjustment.Amount);
            json.Raw("}"u8);
        }

        json.Raw("]"u8);
    }

    /// <summary>
    /// A decimal as <see cref="Utf8JsonWriter.WriteNumberValue(decimal)"/> writes it (all digits of its scale, no exponent),
    /// for the values an 835 holds: 64-bit digits, a scale up to 19, not negative zero; false for any other, which the
    /// writer then formats.
    /// </summary>
    internal static bool TryFormat(decimal value, Span<byte> text, out int written)
    {
        written = 0;
        Span<int> bits = stackalloc int[4];
        decimal.GetBits(value, bits);
        var negative = bits[3] < 0;
        var scale = (bits[3] >> 16) & 0xFF;
        var digits = unchecked(((ulong)(uint)bits[1] << 32) | (uint)bits[0]);
        if (bits[2] != 0 || scale > 19 || (negative && digits == 0) || text.Length < MaxDecimalLength)
            return false;

        var at = 0;
        if (negative)
            text[at++] = (byte)'-';

        // All the digits at once, then the point put in before the last `scale` of them (and zeros before them where
        // there are fewer): no division by a power of ten, no loop per fraction digit.
        Utf8Formatter.TryFormat(digits, text[at..], out var count);
        if (scale == 0)
        {
            at += count;
        }
        else if (count > scale)
        {
            var point = at + count - scale;
            text.Slice(point, scale).CopyTo(text[(point + 1)..]);
            text[point] = (byte)'.';
            at += count + 1;
        }
        else
        {
            var zeros = scale - count;
            text.Slice(at, count).CopyTo(text[(at + 2 + zeros)..]);
            text[at] = (byte)'0';
            text[at + 1] = (byte)'.';
            text.Slice(at + 2, zeros).Fill((byte)'0');
            at += 2 + scale;
        }

        written = at;
        return true;
    }

    /// <summary>Raw JSON bytes into the event writer's buffer, taken in chunks.</summary>
    private ref struct Output(ArrayBufferWriter<byte> buffer)
    {
        private const int ChunkBytes = 16 << 10;

        // What JSON's default encoder (EventJson's, JavaScriptEncoder.Default) leaves as it is, by ASCII code: printable
        // ASCII but the quote, backslash and the HTML-sensitive & ' + < > `. Anything else goes through Utf8JsonWriter.
        // Looked up in the copy loop: the strings are mostly codes of one to five characters, where a vectorised search
        // and a separate narrowing call cost more than the loop.
        private static readonly bool[] Unescaped = [.. Enumerable.Range(0, 128).Select(c => c is >= 0x20 and < 0x7F && !"\"\\&'+<>`".Contains((char)c, StringComparison.Ordinal))];

        private Span<byte> _free;
        private int _used;

        // Inlined, so that a literal's copy is unrolled for its known length instead of a call to Memmove.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Raw(ReadOnlySpan<byte> text) => text.CopyTo(Take(text.Length));

        public void Bool(bool value) => Raw(value ? "true"u8 : "false"u8);

        public void String(string value)
        {
            var text = Free(value.Length + 2);
            text[0] = (byte)'"';
            for (var i = 0; i < value.Length; i++)
            {
                var c = value[i];
                if (c >= Unescaped.Length || !Unescaped[c])
                {
                    Escaped(value); // overwrites what was copied: nothing is counted until the end
                    return;
                }

                text[i + 1] = (byte)c;
            }

            text[value.Length + 1] = (byte)'"';
            _used += value.Length + 2;
        }

        /// <summary>A string property left out when null, as the serializer's <c>WhenWritingNull</c> does.</summary>
        public void Optional(ReadOnlySpan<byte> name, string? value)
        {
            if (value is null)
                return;
            Raw(name);
            String(value);
        }

        public void Strings(ReadOnlySpan<string> values)
        {
            Raw("["u8);
            for (var i = 0; i < values.Length; i++)
            {
                if (i > 0)
                    Raw(","u8);
                String(values[i]);
            }

            Raw("]"u8);
        }

        public void Number(decimal value)
        {
            if (TryFormat(value, Free(MaxDecimalLength), out var written))
                _used += written;
            else
                Raw(Written(value, static (writer, v) => writer.WriteNumberValue(v)));
        }

        /// <summary>A date as the serializer writes a <see cref="DateOnly"/>: <c>"yyyy-MM-dd"</c>.</summary>
        public void Date(DateOnly date)
        {
            var text = Free(12);
            text[0] = (byte)'"';
            date.TryFormat(text[1..], out var written, "O", CultureInfo.InvariantCulture);
            text[written + 1] = (byte)'"';
            _used += written + 2;
        }

        public void Flush()
        {
            buffer.Advance(_used);
            _used = 0;
            _free = default;
        }

        private void Escaped(string value) => Raw(Written(value, static (writer, v) => writer.WriteStringValue(v)));

        private static byte[] Written<T>(T value, Action<Utf8JsonWriter, T> write)
        {
            var text = new ArrayBufferWriter<byte>();
            using (var writer = new Utf8JsonWriter(text, EventWriter.WriterOptions))
                write(writer, value);
            return text.WrittenSpan.ToArray();
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private Span<byte> Take(int length)
        {
            var text = Free(length)[..length];
            _used += length;
            return text;
        }

        /// <summary>At least <paramref name="length"/> bytes after those written, not yet counted.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private Span<byte> Free(int length)
        {
            if (_free.Length - _used < length)
                Grow(length);
            return _free[_used..];
        }

        private void Grow(int length)
        {
            buffer.Advance(_used);
            _used = 0;
            _free = buffer.GetSpan(Math.Max(length, ChunkBytes));
        }
    }
}
