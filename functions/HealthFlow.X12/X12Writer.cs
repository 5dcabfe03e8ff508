using System.Globalization;
using System.Text;

namespace HealthFlow.X12;

/// <summary>The fields of an ISA header to write.</summary>
/// <param name="SenderQualifier">ISA05.</param>
/// <param name="SenderId">ISA06 (padded to 15).</param>
/// <param name="ReceiverQualifier">ISA07.</param>
/// <param name="ReceiverId">ISA08 (padded to 15).</param>
/// <param name="Date">ISA09 YYMMDD.</param>
/// <param name="Time">ISA10 HHMM.</param>
/// <param name="ControlNumber">ISA13 (written as 9 digits).</param>
/// <param name="AcknowledgementRequested">ISA14.</param>
/// <param name="UsageIndicator">ISA15: P or T.</param>
public sealed record X12InterchangeHeader(
    string SenderQualifier,
    string SenderId,
    string ReceiverQualifier,
    string ReceiverId,
    string Date,
    string Time,
    int ControlNumber,
    bool AcknowledgementRequested,
    string UsageIndicator);

/// <summary>
/// Writes X12 segments with a fixed set of delimiters, keeping the counts the trailers need (SE01, GE01, IEA01).
/// </summary>
/// <remarks>
/// Invariant: every interchange written is fixed-width at the ISA and its trailers carry the true counts and
/// control numbers, so what this writer produces parses without envelope errors. Trailing empty elements and
/// components are dropped as X12 requires.
/// </remarks>
public sealed class X12Writer : IDisposable
{
    private readonly Stream _output;
    private readonly bool _lineBreakAfterSegment;
    private readonly byte[] _buffer = new byte[64 * 1024];
    private int _length;
    private int _segmentsInSet;
    private int _setsInGroup;
    private int _groupsInInterchange;
    private string _setControlNumber = "";
    private string _groupControlNumber = "";
    private int _interchangeControlNumber;

    /// <summary>Creates a writer; the caller keeps ownership of <paramref name="output"/>.</summary>
    public X12Writer(Stream output, X12Delimiters delimiters, bool lineBreakAfterSegment = true)
    {
        if (!delimiters.AreUsable)
        {
            throw new ArgumentException("delimiters must be distinct and not letters or digits", nameof(delimiters));
        }

        _output = output;
        Delimiters = delimiters;
        _lineBreakAfterSegment = lineBreakAfterSegment && delimiters.Segment != (byte)'\n';
    }

    public X12Delimiters Delimiters { get; }

    /// <summary>Formats an amount as X12 R: invariant, keeping the decimal's scale (150000.00 stays 150000.00).</summary>
    public static string Amount(decimal value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>Joins components with the component separator, dropping trailing empty ones.</summary>
    public string Composite(params ReadOnlySpan<string?> components)
    {
        var last = components.Length - 1;
        while (last >= 0 && string.IsNullOrEmpty(components[last]))
        {
            last--;
        }

        var builder = new StringBuilder();
        for (var i = 0; i <= last; i++)
        {
            if (i > 0)
            {
                builder.Append((char)Delimiters.Component);
            }

            builder.Append(components[i]);
        }

        return builder.ToString();
    }

    /// <summary>Writes the ISA, padding every field to its fixed width.</summary>
    public void BeginInterchange(X12InterchangeHeader header)
    {
        _groupsInInterchange = 0;
        _interchangeControlNumber = header.ControlNumber;
        var e = (char)Delimiters.Element;
        var isa = string.Concat(
            "ISA", e, "00", e, new string(' ', 10), e, "00", e, new string(' ', 10), e,
            Fixed(header.SenderQualifier, 2), e, Fixed(header.SenderId, 15), e,
            Fixed(header.ReceiverQualifier, 2), e, Fixed(header.ReceiverId, 15), e,
            Fixed(header.Date, 6), e, Fixed(header.Time, 4), e) + string.Concat(
            ((char)Delimiters.Repetition).ToString(), e.ToString(), "00501", e.ToString(),
            header.ControlNumber.ToString("D9", CultureInfo.InvariantCulture), e.ToString(),
            header.AcknowledgementRequested ? "1" : "0", e.ToString(), Fixed(header.UsageIndicator, 1), e.ToString(),
            ((char)Delimiters.Component).ToString());
        WriteRaw(isa);
        EndSegment();
    }

    public void BeginGroup(string functionalIdentifierCode, string sender, string receiver, string date, string time, string controlNumber, string version)
    {
        _setsInGroup = 0;
        _groupControlNumber = controlNumber;
        WriteSegment("GS", functionalIdentifierCode, sender, receiver, date, time, controlNumber, "X", version);
        _groupsInInterchange++;
    }

    public void BeginTransactionSet(string transactionSetId, string controlNumber, string? implementationReference)
    {
        _segmentsInSet = 0;
        _setControlNumber = controlNumber;
        WriteSegment("ST", transactionSetId, controlNumber, implementationReference);
        _setsInGroup++;
    }

    public void EndTransactionSet()
    {
        var count = _segmentsInSet + 1;
        WriteSegment("SE", count.ToString(CultureInfo.InvariantCulture), _setControlNumber);
    }

    public void EndGroup() =>
        WriteSegment("GE", _setsInGroup.ToString(CultureInfo.InvariantCulture), _groupControlNumber);

    public void EndInterchange() =>
        WriteSegment("IEA", _groupsInInterchange.ToString(CultureInfo.InvariantCulture),
            _interchangeControlNumber.ToString("D9", CultureInfo.InvariantCulture));

    /// <summary>Writes one segment; null or empty trailing elements are dropped.</summary>
    public void WriteSegment(string id, params ReadOnlySpan<string?> elements)
    {
        var last = elements.Length - 1;
        while (last >= 0 && string.IsNullOrEmpty(elements[last]))
        {
            last--;
        }

        WriteRaw(id);
        for (var i = 0; i <= last; i++)
        {
            WriteByte(Delimiters.Element);
            if (elements[i] is { Length: > 0 } value)
            {
                WriteRaw(value);
            }
        }

        EndSegment();
        _segmentsInSet++;
    }

    public void Flush()
    {
        _output.Write(_buffer, 0, _length);
        _length = 0;
        _output.Flush();
    }

    /// <summary>Flushes buffered bytes; does not close the stream.</summary>
    public void Dispose() => Flush();

    private static string Fixed(string value, int width) =>
        value.Length >= width ? value[..width] : value.PadRight(width);

    private void EndSegment()
    {
        WriteByte(Delimiters.Segment);
        if (_lineBreakAfterSegment)
        {
            WriteByte((byte)'\n');
        }
    }

    private void WriteByte(byte value)
    {
        if (_length == _buffer.Length)
        {
            FlushBuffer();
        }

        _buffer[_length++] = value;
    }

    private void WriteRaw(string value)
    {
        if (value.Length > _buffer.Length - _length)
        {
            FlushBuffer();
            if (value.Length > _buffer.Length)
            {
                _output.Write(Encoding.Latin1.GetBytes(value));
                return;
            }
        }

        _length += Encoding.Latin1.GetBytes(value, _buffer.AsSpan(_length));
    }

    private void FlushBuffer()
    {
        _output.Write(_buffer, 0, _length);
        _length = 0;
    }
}
