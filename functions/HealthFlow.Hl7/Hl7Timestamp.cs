using System.Globalization;

namespace HealthFlow.Hl7;

/// <summary>How much of an HL7 DTM/TS value was sent.</summary>
public enum Hl7TimestampPrecision
{
    /// <summary>YYYY.</summary>
    Year,

    /// <summary>YYYYMM.</summary>
    Month,

    /// <summary>YYYYMMDD.</summary>
    Day,

    /// <summary>YYYYMMDDHH.</summary>
    Hour,

    /// <summary>YYYYMMDDHHMM.</summary>
    Minute,

    /// <summary>YYYYMMDDHHMMSS, with or without fractions.</summary>
    Second,
}

/// <summary>
/// An HL7 DTM/TS value (<c>YYYY[MM[DD[HH[MM[SS[.S[S[S[S]]]]]]]]][+/-ZZZZ]</c>). The offset is kept only when the
/// sender wrote one: most senders write local time without an offset, and guessing it is the caller's policy
/// (see <see cref="ToDateTimeOffset"/>).
/// </summary>
public readonly record struct Hl7Timestamp(DateTime LocalDateTime, TimeSpan? UtcOffset, Hl7TimestampPrecision Precision)
{
    /// <summary>Parses an untrusted DTM/TS; false when the text is not one. A TS's degree-of-precision component is ignored.</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out Hl7Timestamp timestamp)
    {
        timestamp = default;
        var offsetAt = text.IndexOfAny('+', '-');
        TimeSpan? offset = null;
        if (offsetAt >= 0)
        {
            var zone = text[(offsetAt + 1)..];
            if (zone.Length != 4
                || !int.TryParse(zone[..2], NumberStyles.None, CultureInfo.InvariantCulture, out var zoneHours)
                || !int.TryParse(zone[2..], NumberStyles.None, CultureInfo.InvariantCulture, out var zoneMinutes)
                || zoneHours > 14 || zoneMinutes > 59)
            {
                return false;
            }

            var magnitude = new TimeSpan(zoneHours, zoneMinutes, 0);
            offset = text[offsetAt] == '-' ? -magnitude : magnitude;
            text = text[..offsetAt];
        }

        var fraction = 0L;
        var dot = text.IndexOf('.');
        if (dot >= 0)
        {
            var digits = text[(dot + 1)..];
            if (digits.IsEmpty || digits.Length > 4 || dot != 14 || !long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out fraction))
            {
                return false;
            }

            for (var i = digits.Length; i < 7; i++)
            {
                fraction *= 10; // to 100 ns ticks
            }

            text = text[..dot];
        }

        Hl7TimestampPrecision precision;
        switch (text.Length)
        {
            case 4: precision = Hl7TimestampPrecision.Year; break;
            case 6: precision = Hl7TimestampPrecision.Month; break;
            case 8: precision = Hl7TimestampPrecision.Day; break;
            case 10: precision = Hl7TimestampPrecision.Hour; break;
            case 12: precision = Hl7TimestampPrecision.Minute; break;
            case 14: precision = Hl7TimestampPrecision.Second; break;
            default: return false;
        }

        foreach (var c in text)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        var year = Number(text, 0, 4, 0);
        var month = Number(text, 4, 2, 1);
        var day = Number(text, 6, 2, 1);
        var hour = Number(text, 8, 2, 0);
        var minute = Number(text, 10, 2, 0);
        var second = Number(text, 12, 2, 0);
        if (year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month) || hour > 23 || minute > 59 || second > 59)
        {
            return false;
        }

        var local = new DateTime(year, month, day, hour, minute, second, DateTimeKind.Unspecified).AddTicks(fraction);
        timestamp = new Hl7Timestamp(local, offset, precision);
        return true;
    }

    /// <summary>The instant, using the sender's offset when it wrote one and <paramref name="assumedOffset"/> otherwise.</summary>
    public DateTimeOffset ToDateTimeOffset(TimeSpan assumedOffset) => new(LocalDateTime, UtcOffset ?? assumedOffset);

    /// <summary>Formats an instant as HL7 DTM with offset, to the second: <c>yyyyMMddHHmmss+zzzz</c>.</summary>
    public static string Format(DateTimeOffset value)
    {
        var offset = value.Offset;
        var sign = offset < TimeSpan.Zero ? '-' : '+';
        var magnitude = offset.Duration();
        return string.Create(CultureInfo.InvariantCulture, $"{value:yyyyMMddHHmmss}{sign}{magnitude.Hours:00}{magnitude.Minutes:00}");
    }

    /// <inheritdoc />
    public override string ToString()
    {
        var text = LocalDateTime.ToString("yyyy-MM-ddTHH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture);
        return UtcOffset is { } offset ? text + (offset < TimeSpan.Zero ? "-" : "+") + offset.Duration().ToString(@"hh\:mm", CultureInfo.InvariantCulture) : text;
    }

    private static int Number(ReadOnlySpan<char> text, int start, int length, int missing) =>
        text.Length >= start + length ? int.Parse(text.Slice(start, length), NumberStyles.None, CultureInfo.InvariantCulture) : missing;
}
