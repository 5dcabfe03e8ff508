using System.Buffers;
using System.Buffers.Text;
using System.Collections.Immutable;
using System.Text.Json;

namespace HealthFlow.Fhir;

/// <summary>Reads one element of an array; returns null when the element was unusable (an issue was reported).</summary>
internal delegate T? ElementReader<T>(ref FhirJsonParser parser)
    where T : class;

/// <summary>
/// Unwinds the recursive-descent parser after a fatal issue (invalid JSON, limits) was recorded.
/// Never escapes <see cref="FhirReader"/>.
/// </summary>
#pragma warning disable CA1064 // internal on purpose: it is control flow inside the reader, not an API.
internal sealed class FhirReadAbortedException : Exception
#pragma warning restore CA1064
{
    public FhirReadAbortedException()
        : base("FHIR read aborted after a fatal issue.")
    {
    }

    public FhirReadAbortedException(string message)
        : base(message)
    {
    }

    public FhirReadAbortedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>Tracks the names of one open JSON object for duplicate-key detection.</summary>
internal struct ObjectKeys
{
    internal ulong Bloom;
    internal int SlotBase;
    internal int ArenaBase;
    internal int Count;
}

/// <summary>
/// Recursive-descent FHIR JSON parser over <see cref="Utf8JsonReader"/>. Every method that reads a value
/// starts with the reader on the value's first token and ends with it on the value's last token.
/// </summary>
internal ref partial struct FhirJsonParser
{
    private Utf8JsonReader _reader;
    private readonly ReadOnlySpan<byte> _input;
    private readonly ParseContext _ctx;

    internal FhirJsonParser(ReadOnlySpan<byte> input, ParseContext ctx)
    {
        _input = input;
        _ctx = ctx;
        _reader = new Utf8JsonReader(input, new JsonReaderOptions
        {
            // Our own depth check (too-costly) fires first; the reader's is a backstop.
            MaxDepth = ctx.Options.MaxDepth + 4,
            CommentHandling = JsonCommentHandling.Disallow,
            AllowTrailingCommas = false,
        });
    }

    internal readonly ParseContext Context => _ctx;

    internal readonly JsonTokenType TokenType => _reader.TokenType;

    internal bool Read() => _reader.Read();

    // ---- objects and duplicate keys -------------------------------------------------------------

    internal ObjectKeys BeginObject()
    {
        CheckDepth();
        return new ObjectKeys { SlotBase = _ctx.SlotCount, ArenaBase = _ctx.ArenaLength };
    }

    internal readonly void EndObject(in ObjectKeys keys)
    {
        _ctx.SlotCount = keys.SlotBase;
        _ctx.ArenaLength = keys.ArenaBase;
    }

    private readonly void CheckDepth()
    {
        if (_reader.CurrentDepth >= _ctx.Options.MaxDepth)
        {
            Fatal(IssueType.TooCostly, $"JSON nesting deeper than {_ctx.Options.MaxDepth} levels");
        }
    }

    internal readonly void Fatal(IssueType code, string diagnostics)
    {
        _ctx.ReportAt(IssueSeverity.Fatal, code, diagnostics + $" (byte {_reader.TokenStartIndex})", _ctx.Path());
        throw new FhirReadAbortedException();
    }

    /// <summary>
    /// Moves to the next property of the current object. Returns false at the end of the object. On true the
    /// reader is on the property's value and <paramref name="name"/> is the unescaped name. A duplicate name is
    /// reported, its value skipped, and the loop goes on.
    /// </summary>
    internal bool NextProperty(ref ObjectKeys keys, out ReadOnlySpan<byte> name)
    {
        while (true)
        {
            _reader.Read();
            if (_reader.TokenType == JsonTokenType.EndObject)
            {
                name = default;
                return false;
            }

            keys.Count++;
            if (keys.Count > _ctx.Options.MaxPropertiesPerObject)
            {
                Fatal(IssueType.TooCostly, $"JSON object with more than {_ctx.Options.MaxPropertiesPerObject} properties");
            }

            NameSlot slot;
            if (!_reader.ValueIsEscaped)
            {
                name = _reader.ValueSpan;
                slot = new NameSlot(checked((int)_reader.TokenStartIndex + 1), name.Length, false);
            }
            else
            {
                slot = UnescapeNameIntoArena();
                name = _ctx.Arena.AsSpan(slot.Offset, slot.Length);
            }

            if (name.Length > 256)
            {
                Fatal(IssueType.TooLong, "JSON property name longer than 256 bytes");
            }

            var isDuplicate = IsDuplicate(ref keys, name, slot);
            _reader.Read();
            if (!isDuplicate)
            {
                return true;
            }

            _ctx.Report(IssueSeverity.Error, IssueType.Duplicate, $"duplicate JSON key '{Describe(name)}' in one object (RFC 8259 names should be unique; FHIR requires it)", Describe(name));
            SkipValue();
        }
    }

    private NameSlot UnescapeNameIntoArena()
    {
        var needed = _reader.ValueSpan.Length; // unescaped is never longer than escaped
        if (_ctx.ArenaLength + needed > _ctx.Arena.Length)
        {
            Array.Resize(ref _ctx.Arena, Math.Max(_ctx.Arena.Length * 2, _ctx.ArenaLength + needed));
        }

        int written;
        try
        {
            written = _reader.CopyString(_ctx.Arena.AsSpan(_ctx.ArenaLength));
        }
        catch (InvalidOperationException)
        {
            Fatal(IssueType.Structure, "JSON property name is not valid UTF-8");
            throw; // unreachable: Fatal throws
        }

        var slot = new NameSlot(_ctx.ArenaLength, written, true);
        _ctx.ArenaLength += written;
        return slot;
    }

    private readonly bool IsDuplicate(ref ObjectKeys keys, ReadOnlySpan<byte> name, NameSlot slot)
    {
        var hash = name.Length == 0 ? 0 : ((name.Length * 31) + name[0] + (name[^1] * 7)) & 63;
        var bit = 1UL << hash;
        var duplicate = false;
        if ((keys.Bloom & bit) != 0)
        {
            for (var i = keys.SlotBase; i < _ctx.SlotCount; i++)
            {
                var other = _ctx.Slots[i];
                var otherName = other.InArena ? _ctx.Arena.AsSpan(other.Offset, other.Length) : _input.Slice(other.Offset, other.Length);
                if (otherName.SequenceEqual(name))
                {
                    duplicate = true;
                    break;
                }
            }
        }

        keys.Bloom |= bit;
        if (!duplicate)
        {
            if (_ctx.SlotCount == _ctx.Slots.Length)
            {
                Array.Resize(ref _ctx.Slots, _ctx.Slots.Length * 2);
            }

            _ctx.Slots[_ctx.SlotCount++] = slot;
        }

        return duplicate;
    }

    internal static string Describe(ReadOnlySpan<byte> name)
    {
        var text = System.Text.Encoding.UTF8.GetString(name.Length > 64 ? name[..64] : name);
        return text;
    }

    // ---- skipping ---------------------------------------------------------------------------------

    /// <summary>
    /// Skips the current value while still enforcing depth, string length and duplicate keys, and rejecting
    /// modifierExtension inside a resource (a modifier we do not understand may change the meaning of the data).
    /// </summary>
    internal void SkipValue()
    {
        switch (_reader.TokenType)
        {
            case JsonTokenType.StartObject:
                SkipObject();
                break;
            case JsonTokenType.StartArray:
                SkipArray();
                break;
            case JsonTokenType.String:
                CheckStringLength();
                break;
            default:
                break;
        }
    }

    private void SkipObject()
    {
        var keys = BeginObject();
        while (NextProperty(ref keys, out var name))
        {
            if (_ctx.InResource && name.SequenceEqual("modifierExtension"u8))
            {
                ReportModifierExtension();
            }

            SkipValue();
        }

        EndObject(keys);
    }

    private void SkipArray()
    {
        CheckDepth();
        while (_reader.Read() && _reader.TokenType != JsonTokenType.EndArray)
        {
            SkipValue();
        }
    }

    internal readonly void ReportModifierExtension() =>
        _ctx.Report(IssueSeverity.Error, IssueType.Extension, "modifierExtension is not understood by this service and may change the meaning of the resource; the resource is rejected", "modifierExtension");

    /// <summary>Default branch of every property switch: tolerate unknown elements (FHIR must-ignore), reject modifierExtension.</summary>
    internal void SkipUnknown(scoped ReadOnlySpan<byte> name)
    {
        if (name.SequenceEqual("modifierExtension"u8))
        {
            ReportModifierExtension();
        }

        // Issues inside an ignored element point at it (e.g. Encounter.text); the name comes from the string cache.
        _ctx.PushPath(_ctx.Strings.Get(name) ?? "?");
        SkipValue();
        _ctx.PopPath();
    }

    private readonly void CheckStringLength()
    {
        if (_reader.ValueSpan.Length > _ctx.Options.MaxStringBytes)
        {
            Fatal(IssueType.TooLong, $"JSON string longer than {_ctx.Options.MaxStringBytes} bytes");
        }
    }

    // ---- primitives -------------------------------------------------------------------------------

    private void WrongType(string? child, string expected)
    {
        if (_reader.TokenType == JsonTokenType.Null)
        {
            _ctx.Report(IssueSeverity.Warning, IssueType.Structure, "null is not a FHIR value; the element is ignored", child);
            return;
        }

        _ctx.Report(IssueSeverity.Error, IssueType.Structure, $"expected {expected}, found JSON {Describe(_reader.TokenType)}", child);
        SkipValue();
    }

    private static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.StartObject => "object",
        JsonTokenType.StartArray => "array",
        JsonTokenType.String => "string",
        JsonTokenType.Number => "number",
        JsonTokenType.True or JsonTokenType.False => "boolean",
        JsonTokenType.Null => "null",
        _ => token.ToString(),
    };

    /// <summary>A FHIR string/uri/code as a .NET string, or null (issue reported) when not a JSON string.</summary>
    /// <param name="child">Element name, for issue paths.</param>
    /// <param name="repeats">True for values that recur across resources (codes, systems, displays): served from the string cache.</param>
    internal string? ReadString(string child, bool repeats = false)
    {
        if (_reader.TokenType != JsonTokenType.String)
        {
            WrongType(child, "a JSON string");
            return null;
        }

        CheckStringLength();
        string? value;
        if (repeats && !_reader.ValueIsEscaped)
        {
            value = _ctx.Strings.Get(_reader.ValueSpan);
        }
        else
        {
            try
            {
                value = _reader.GetString();
            }
            catch (InvalidOperationException)
            {
                value = null;
            }
        }

        if (value is null)
        {
            _ctx.Report(IssueSeverity.Error, IssueType.Value, "string is not valid UTF-8", child);
            return null;
        }

        if (value.Length == 0)
        {
            _ctx.Report(IssueSeverity.Error, IssueType.Value, "empty string: FHIR strings have at least one character", child);
            return null;
        }

        return value;
    }

    /// <summary>A FHIR code: a string without leading or trailing whitespace.</summary>
    internal string? ReadCode(string child)
    {
        var value = ReadString(child, repeats: true);
        if (value is not null && (char.IsWhiteSpace(value[0]) || char.IsWhiteSpace(value[^1])))
        {
            _ctx.Report(IssueSeverity.Error, IssueType.Value, "code has leading or trailing whitespace", child);
            return value.Trim();
        }

        return value;
    }

    /// <summary>A FHIR id: 1–64 of [A-Za-z0-9-.].</summary>
    internal string? ReadId(string child, bool repeats = false)
    {
        if (_reader.TokenType != JsonTokenType.String)
        {
            WrongType(child, "a JSON string (FHIR ids are strings, e.g. \"1\" not 1)");
            return null;
        }

        var value = ReadString(child, repeats);
        if (value is null)
        {
            return null;
        }

        if (value.Length > 64 || !IsIdText(value))
        {
            _ctx.Report(IssueSeverity.Error, IssueType.Value, "id must be 1-64 characters of A-Z, a-z, 0-9, '-' and '.'", child);
        }

        return value;
    }

    private static readonly SearchValues<char> IdChars = SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-.");

    internal static bool IsIdText(string value) => value.Length > 0 && !value.AsSpan().ContainsAnyExcept(IdChars);

    internal FhirDateTime? ReadDateTime(string child)
    {
        if (_reader.TokenType != JsonTokenType.String)
        {
            WrongType(child, "a JSON string holding a FHIR dateTime");
            return null;
        }

        CheckStringLength();
        if (_reader.ValueIsEscaped)
        {
            // Some writers escape '+' as \u002B; unescape (short strings only) before checking the form.
            Span<byte> unescaped = stackalloc byte[384];
            if (_reader.ValueSpan.Length > unescaped.Length || !TryCopyString(unescaped, out var length) || !FhirDateTimeSyntax.IsValid(unescaped[..length]))
            {
                ReportBadDateTime(child);
                return null;
            }

            return new FhirDateTime(System.Text.Encoding.UTF8.GetString(unescaped[..length]));
        }

        if (!FhirDateTimeSyntax.IsValid(_reader.ValueSpan))
        {
            ReportBadDateTime(child);
            return null;
        }

        // Plain dates recur (service dates); full timestamps rarely do and would only churn the cache.
        var span = _reader.ValueSpan;
        if (span.Length > 10)
        {
            return new FhirDateTime(System.Text.Encoding.UTF8.GetString(span));
        }

        var text = _ctx.Strings.Get(span)!;
        if (!_ctx.Dates.TryGetValue(text, out var date))
        {
            date = new FhirDateTime(text);
            if (_ctx.Dates.Count < 65_536)
            {
                _ctx.Dates[text] = date;
            }
        }

        return date;
    }

    private readonly bool TryCopyString(Span<byte> destination, out int length)
    {
        length = 0;
        try
        {
            length = _reader.CopyString(destination);
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private readonly void ReportBadDateTime(string child) =>
        _ctx.Report(IssueSeverity.Error, IssueType.Value, "not a FHIR date/dateTime (YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm:ss[.fff](Z|+hh:mm))", child);

    /// <summary>A FHIR decimal: a JSON number (never a string), held exactly.</summary>
    internal decimal? ReadDecimal(string child, bool money = false)
    {
        if (_reader.TokenType != JsonTokenType.Number)
        {
            if (_reader.TokenType == JsonTokenType.String)
            {
                _ctx.Report(IssueSeverity.Error, IssueType.Value, "FHIR decimals are JSON numbers, not strings", child);
                return null;
            }

            WrongType(child, "a JSON number");
            return null;
        }

        var span = _reader.ValueSpan;
        var hasExponent = span.IndexOfAny((byte)'e', (byte)'E') >= 0;
        if (money && hasExponent)
        {
            _ctx.Report(IssueSeverity.Error, IssueType.Value, "money amount in exponent form: send plain decimal notation (e.g. 1250.00)", child);
            return null;
        }

        if (CountSignificantDigits(span) > 28
            || !Utf8Parser.TryParse(span, out decimal value, out var consumed, hasExponent ? 'E' : 'G')
            || consumed != span.Length)
        {
            _ctx.Report(IssueSeverity.Error, IssueType.Value, "number cannot be held exactly as a decimal (more than 28 significant digits or out of range)", child);
            return null;
        }

        return value;
    }

    private static int CountSignificantDigits(ReadOnlySpan<byte> number)
    {
        var count = 0;
        var leading = true;
        foreach (var b in number)
        {
            if (b is (byte)'e' or (byte)'E')
            {
                break;
            }

            if (b is >= (byte)'0' and <= (byte)'9')
            {
                if (leading && b == (byte)'0')
                {
                    continue;
                }

                leading = false;
                count++;
            }
        }

        return count;
    }

    internal int? ReadInteger(string child)
    {
        if (_reader.TokenType != JsonTokenType.Number)
        {
            WrongType(child, "a JSON integer");
            return null;
        }

        if (!_reader.TryGetInt32(out var value))
        {
            _ctx.Report(IssueSeverity.Error, IssueType.Value, "not a 32-bit integer", child);
            return null;
        }

        return value;
    }

    internal int? ReadPositiveInt(string child)
    {
        var value = ReadInteger(child);
        if (value is <= 0)
        {
            _ctx.Report(IssueSeverity.Error, IssueType.Value, "positiveInt must be 1 or more", child);
        }

        return value;
    }

    internal bool? ReadBoolean(string child)
    {
        if (_reader.TokenType is JsonTokenType.True or JsonTokenType.False)
        {
            return _reader.TokenType == JsonTokenType.True;
        }

        WrongType(child, "true or false");
        return null;
    }

    // ---- arrays -----------------------------------------------------------------------------------

    /// <summary>Reads a repeating element; FHIR JSON writes repeats as arrays, so anything else is a structure error.</summary>
    internal ImmutableArray<T> ReadArray<T>(string child, ElementReader<T> readElement)
        where T : class
    {
        if (_reader.TokenType != JsonTokenType.StartArray)
        {
            WrongType(child, "a JSON array (repeating FHIR element)");
            return [];
        }

        CheckDepth();
        _ctx.PushPath(child);

        // Most FHIR repeats hold one element (one coding, one encounter): avoid a builder for them.
        T? first = null;
        ImmutableArray<T>.Builder? builder = null;
        var index = 0;
        while (_reader.Read() && _reader.TokenType != JsonTokenType.EndArray)
        {
            _ctx.SetPathIndex(index);
            var element = readElement(ref this);
            if (element is not null)
            {
                if (first is null && builder is null)
                {
                    first = element;
                }
                else
                {
                    if (builder is null)
                    {
                        builder = ImmutableArray.CreateBuilder<T>();
                        if (first is not null)
                        {
                            builder.Add(first);
                        }
                    }

                    builder.Add(element);
                }
            }

            index++;
        }

        _ctx.PopPath();
        if (index == 0)
        {
            _ctx.Report(IssueSeverity.Warning, IssueType.Structure, "empty array: FHIR JSON omits empty repeating elements", child);
        }

        return builder is not null ? builder.DrainToImmutable() : first is not null ? ImmutableArray.Create(first) : [];
    }

    internal ImmutableArray<int> ReadIntegerArray(string child)
    {
        if (_reader.TokenType != JsonTokenType.StartArray)
        {
            WrongType(child, "a JSON array of integers");
            return [];
        }

        CheckDepth();
        var builder = ImmutableArray.CreateBuilder<int>();
        var index = 0;
        while (_reader.Read() && _reader.TokenType != JsonTokenType.EndArray)
        {
            var value = ReadPositiveInt(child + "[" + index.ToString(System.Globalization.CultureInfo.InvariantCulture) + "]");
            if (value is { } v)
            {
                builder.Add(v);
            }

            index++;
        }

        return builder.DrainToImmutable();
    }

    /// <summary>Runs <paramref name="readElement"/> on an object-valued element with the path pushed.</summary>
    internal T? ReadComplex<T>(string child, ElementReader<T> readElement)
        where T : class
    {
        if (_reader.TokenType != JsonTokenType.StartObject)
        {
            WrongType(child, "a JSON object");
            return null;
        }

        _ctx.PushPath(child);
        var value = readElement(ref this);
        _ctx.PopPath();
        return value;
    }

    /// <summary>Runs <paramref name="readElement"/> on an array element that must be an object (path index already set).</summary>
    internal T? ObjectElement<T>(ElementReader<T> readElement)
        where T : class
    {
        if (_reader.TokenType != JsonTokenType.StartObject)
        {
            WrongType(null, "a JSON object");
            return null;
        }

        return readElement(ref this);
    }

    /// <summary>The raw JSON text of the current value (used to keep extensions verbatim).</summary>
    internal string RawValueText()
    {
        var start = checked((int)_reader.TokenStartIndex);
        SkipValue();
        var end = checked((int)_reader.BytesConsumed);
        return System.Text.Encoding.UTF8.GetString(_input[start..end]);
    }

    internal readonly long TokenStart => _reader.TokenStartIndex;

    internal readonly bool ValueIsEscaped => _reader.ValueIsEscaped;

    internal readonly ReadOnlySpan<byte> ValueSpan => _reader.ValueSpan;

    internal readonly bool ValueStartsWith(ReadOnlySpan<byte> prefix) =>
        _reader.TokenType == JsonTokenType.String && _reader.ValueSpan.StartsWith(prefix);

    internal readonly long BytesConsumed => _reader.BytesConsumed;

    internal readonly ReadOnlySpan<byte> Input => _input;

    private static string? SafeGetString(ref Utf8JsonReader reader)
    {
        try
        {
            return reader.GetString();
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>
    /// False for an escaped name that does not unescape (a lone surrogate such as <c>\ud800</c>): it matches nothing we
    /// look for, and the main pass reports it when it gets there. The reader would throw instead.
    /// </summary>
    private static bool NameEquals(ref Utf8JsonReader reader, ReadOnlySpan<byte> name)
    {
        try
        {
            return reader.ValueTextEquals(name);
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>Looks ahead in the current object for a string property without moving the reader.</summary>
    internal readonly string? PeekStringProperty(ReadOnlySpan<byte> propertyName)
    {
        var copy = _reader;
        var depth = copy.CurrentDepth;
        while (copy.Read())
        {
            if (copy.TokenType == JsonTokenType.EndObject && copy.CurrentDepth == depth)
            {
                return null;
            }

            if (copy.TokenType != JsonTokenType.PropertyName)
            {
                return null;
            }

            var match = NameEquals(ref copy, propertyName);
            copy.Read();
            if (match)
            {
                if (copy.TokenType != JsonTokenType.String || copy.ValueSpan.Length > 256)
                {
                    return null;
                }

                return copy.ValueIsEscaped ? SafeGetString(ref copy) : _ctx.Strings.Get(copy.ValueSpan);
            }

            copy.Skip();
        }

        return null;
    }
}
