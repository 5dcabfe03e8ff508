namespace HealthFlow.X12;

/// <summary>
/// Collects the errors of one transaction set and gives builders checked accessors for amounts, dates and
/// persons, so every parser reports bad values the same way (IK3 + IK4) instead of throwing.
/// </summary>
internal sealed class TransactionContext
{
    /// <summary>Bounds memory on junk input: after this many, further errors only keep the status.</summary>
    public const int MaxErrorsPerSet = 200;

    private readonly Func<string, string> _tokenize;
    private readonly bool _tokenizeNamesBesideIds;
    private int _lastSegmentErrorPosition;

    // Where a person's name is put together before it is tokenised (reused: one name per NM1).
    private char[] _nameChars = new char[64];

    public TransactionContext(X12TransactionSet set, Func<string, string> tokenize, bool tokenizeNamesBesideIds, CodeCache codes)
    {
        Set = set;
        _tokenize = tokenize;
        _tokenizeNamesBesideIds = tokenizeNamesBesideIds;
        Codes = codes;
    }

    public X12TransactionSet Set { get; }

    /// <summary>Shared across the sets of one parse so repeated codes are allocated once.</summary>
    public CodeCache Codes { get; }

    /// <summary>Element as a string, reusing the string of short repeated codes.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public string? Code(in X12Segment segment, int element) => Codes.Get(segment.Element(element));

    public int PositionInSet { get; set; }

    public bool HasRejectingError { get; private set; }

    public bool HasNonRejectingError { get; private set; }

    public void TransactionSetError(string code, string message, int position, string? segmentId)
    {
        HasRejectingError = true;
        Add(new X12Error
        {
            Level = X12ErrorLevel.TransactionSet,
            Code = code,
            SegmentId = segmentId,
            Position = position,
            PositionInTransactionSet = PositionInSet,
            Message = message,
        });
    }

    public void SegmentError(in X12Segment segment, string code, string message, string? segmentId = null) =>
        SegmentError(segmentId ?? SafeId(segment), segment.Position, PositionInSet, code, message);

    public void SegmentError(string segmentId, int position, int positionInSet, string code, string message)
    {
        // IK304 = 2 (a well-formed segment this transaction does not use) is skipped, not fatal.
        if (code == "2")
        {
            HasNonRejectingError = true;
        }
        else
        {
            HasRejectingError = true;
        }

        _lastSegmentErrorPosition = positionInSet;
        Add(new X12Error
        {
            Level = X12ErrorLevel.Segment,
            Code = code,
            SegmentId = segmentId,
            Position = position,
            PositionInTransactionSet = positionInSet,
            Message = message,
        });
    }

    public void ElementError(in X12Segment segment, int element, int component, string code, string message, string? badValue = null)
    {
        if (_lastSegmentErrorPosition != PositionInSet)
        {
            SegmentError(segment, "8", $"{SafeId(segment)} has data element errors");
        }

        HasRejectingError = true;
        Add(new X12Error
        {
            Level = X12ErrorLevel.Element,
            Code = code,
            SegmentId = SafeId(segment),
            Position = segment.Position,
            PositionInTransactionSet = PositionInSet,
            ElementPosition = element,
            ComponentPosition = component,
            BadValue = badValue,
            Message = message,
        });
    }

    /// <summary>Amount element (X12 R). Empty gives <paramref name="fallback"/>; non-numeric is IK403 = 6.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public decimal Amount(in X12Segment segment, int element, decimal fallback = 0m)
    {
        // No decimal? on the way: this runs for most elements of CLP, SVC and CAS.
        var value = segment.Element(element);
        if (value.IsEmpty)
        {
            return fallback;
        }

        if (X12Text.TryParseDecimal(value, out var amount))
        {
            return amount;
        }

        ReportBadAmount(segment, value, element, 0);
        return fallback;
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public decimal? OptionalAmount(in X12Segment segment, int element)
    {
        var value = segment.Element(element);
        if (value.IsEmpty)
        {
            return null;
        }

        if (X12Text.TryParseDecimal(value, out var amount))
        {
            return amount;
        }

        ReportBadAmount(segment, value, element, 0);
        return null;
    }

    // The error path out of line, so the amount accessors above stay small enough to inline.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private void ReportBadAmount(in X12Segment segment, ReadOnlySpan<byte> value, int element, int component) =>
        ElementError(segment, element, component, "6",
            $"{SafeId(segment)}{element:00} is not a number", Truncate(value));

    /// <summary>CCYYMMDD date element; empty gives null; invalid is IK403 = 8.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public DateOnly? Date(in X12Segment segment, int element)
    {
        var value = segment.Element(element);
        if (value.IsEmpty)
        {
            return null;
        }

        if (Codes.TryParseDate(value, out var date))
        {
            return date;
        }

        ReportBadDate(segment, value, element);
        return null;
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private void ReportBadDate(in X12Segment segment, ReadOnlySpan<byte> value, int element) =>
        ElementError(segment, element, 0, "8", $"{SafeId(segment)}{element:00} is not a valid CCYYMMDD date", Truncate(value));

    /// <summary>The person named by an NM1, as tokens: name and NM109 never leave this method in clear.</summary>
    public PersonTokens Person(in X12Segment segment)
    {
        // "LAST|FIRST|MIDDLE" with trailing empty parts dropped: NM103–NM105 lie next to each other in the raw
        // segment, so the name is that stretch up to the last non-empty part, each element separator shown as '|'.
        var id = segment.Element(9);
        var parts = !segment.Element(5).IsEmpty ? 3 : !segment.Element(4).IsEmpty ? 2 : !segment.Element(3).IsEmpty ? 1 : 0;
        string? nameToken = null;
        if (parts > 0 && (_tokenizeNamesBesideIds || id.IsEmpty))
        {
            var name = segment.Elements(3, 2 + parts);
            if (_nameChars.Length < name.Length)
            {
                _nameChars = new char[name.Length];
            }

            var chars = _nameChars.AsSpan(0, name.Length);
            System.Text.Encoding.Latin1.GetChars(name, chars);
            chars.Replace((char)segment.Delimiters.Element, '|');
            nameToken = _tokenize(new string(chars));
        }

        return new PersonTokens(
            Codes.Get(segment.Element(1)) ?? "",
            nameToken,
            Codes.Get(segment.Element(8)),
            id.IsEmpty ? null : _tokenize(X12Text.ToText(id)));
    }

    public static string SafeId(in X12Segment segment) =>
        SegmentRules.IsWellFormedId(segment.Id) ? segment.IdText : Truncate(segment.Id) ?? "";

    /// <summary>Bad values are echoed for diagnosis but kept short and printable.</summary>
    public static string? Truncate(ReadOnlySpan<byte> value)
    {
        if (value.IsEmpty)
        {
            return null;
        }

        var slice = value[..Math.Min(value.Length, 30)];
        Span<char> chars = stackalloc char[slice.Length];
        for (var i = 0; i < slice.Length; i++)
        {
            chars[i] = slice[i] is >= 0x20 and < 0x7F ? (char)slice[i] : '?';
        }

        return new string(chars);
    }

    private void Add(X12Error error)
    {
        if (Set.ErrorList.Count < MaxErrorsPerSet)
        {
            Set.ErrorList.Add(error);
        }
    }
}

/// <summary>Builds one typed document from the segments of one transaction set, as they stream by.</summary>
internal abstract class TransactionBuilder
{
    protected TransactionBuilder(TransactionContext context) => Context = context;

    protected TransactionContext Context { get; }

    /// <summary>Called for every segment after ST and before SE that passed the generic checks; <paramref name="id"/> is its packed id.</summary>
    public abstract void Add(in X12Segment segment, int id);

    /// <summary>Called at SE (or where the set ended); stores the document on the set.</summary>
    public abstract void Complete(bool retainDocument);

    /// <summary>Modifiers: components 3–6 of the procedure composite in <paramref name="element"/>.</summary>
    protected IReadOnlyList<string> Modifiers(in X12Segment segment, int element)
    {
        var procedure = segment.Element(element);
        var separator = segment.Delimiters.Component;
        _ = X12Text.TakeComponent(ref procedure, separator);
        _ = X12Text.TakeComponent(ref procedure, separator);
        return Modifiers(procedure, separator);
    }

    /// <summary>Modifiers from what follows a procedure code in its composite: the non-empty ones of the next four components.</summary>
    protected IReadOnlyList<string> Modifiers(ReadOnlySpan<byte> afterCode, byte separator)
    {
        List<string>? list = null;
        for (var c = 0; c < 4 && !afterCode.IsEmpty; c++)
        {
            var text = Context.Codes.Get(X12Text.TakeComponent(ref afterCode, separator));
            if (text is not null)
            {
                (list ??= []).Add(text);
            }
        }

        return list ?? (IReadOnlyList<string>)[];
    }
}

/// <summary>For transaction sets this library does not read: segments are only tokenised and counted.</summary>
internal sealed class IgnoringBuilder(TransactionContext context) : TransactionBuilder(context)
{
    public override void Add(in X12Segment segment, int id)
    {
    }

    public override void Complete(bool retainDocument)
    {
    }
}
