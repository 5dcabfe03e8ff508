namespace HealthFlow.Fhir;

/// <summary>Checks the R4 date/dateTime/instant lexical forms without allocating.</summary>
internal static class FhirDateTimeSyntax
{
    /// <summary>YYYY, YYYY-MM, YYYY-MM-DD, or YYYY-MM-DDThh:mm:ss[.f+](Z|(+|-)hh:mm).</summary>
    internal static bool IsValid(ReadOnlySpan<byte> text)
    {
        if (text.Length < 4 || !Digits(text, 0, 4))
        {
            return false;
        }

        if (text.Length == 4)
        {
            return true;
        }

        if (text.Length < 7 || text[4] != '-' || !Number(text, 5, 2, 1, 12))
        {
            return false;
        }

        if (text.Length == 7)
        {
            return true;
        }

        if (text.Length < 10 || text[7] != '-' || !Number(text, 8, 2, 1, 31))
        {
            return false;
        }

        if (text.Length == 10)
        {
            return true;
        }

        // Time part: Thh:mm:ss
        if (text.Length < 19 || text[10] != 'T' || !Number(text, 11, 2, 0, 23) || text[13] != ':'
            || !Number(text, 14, 2, 0, 59) || text[16] != ':' || !Number(text, 17, 2, 0, 60))
        {
            return false;
        }

        var position = 19;
        if (position < text.Length && text[position] == '.')
        {
            position++;
            var start = position;
            while (position < text.Length && text[position] is >= (byte)'0' and <= (byte)'9')
            {
                position++;
            }

            if (position == start)
            {
                return false;
            }
        }

        if (position == text.Length)
        {
            return false; // FHIR requires a zone when a time is given
        }

        if (text[position] == 'Z')
        {
            return position + 1 == text.Length;
        }

        return text[position] is (byte)'+' or (byte)'-'
            && text.Length == position + 6
            && Number(text, position + 1, 2, 0, 14)
            && text[position + 3] == ':'
            && Number(text, position + 4, 2, 0, 59);
    }

    private static bool Digits(ReadOnlySpan<byte> text, int start, int count)
    {
        for (var i = start; i < start + count; i++)
        {
            if (text[i] is < (byte)'0' or > (byte)'9')
            {
                return false;
            }
        }

        return true;
    }

    private static bool Number(ReadOnlySpan<byte> text, int start, int count, int min, int max)
    {
        if (!Digits(text, start, count))
        {
            return false;
        }

        var value = 0;
        for (var i = start; i < start + count; i++)
        {
            value = (value * 10) + (text[i] - '0');
        }

        return value >= min && value <= max;
    }
}
