using System.Collections.Immutable;

namespace HealthFlow.Fhir;

/// <summary>What a Reference element may point to; decides whether it is tokenised and whether display is kept.</summary>
internal enum ReferenceKind
{
    /// <summary>Reference(Patient): always a token.</summary>
    Patient,
    /// <summary>Never a patient (Organization, Encounter, Claim…): display kept.</summary>
    NonPatient,
    /// <summary>May be a patient (Account.subject, Coverage.payor…): tokenised when it is; display dropped.</summary>
    Any,
}

internal ref partial struct FhirJsonParser
{
    internal FhirCoding? ReadCoding()
    {
        if (TokenType != System.Text.Json.JsonTokenType.StartObject)
        {
            WrongType(null, "a Coding object");
            return null;
        }

        string? system = null, code = null, display = null;
        var keys = BeginObject();
        while (NextProperty(ref keys, out var name))
        {
            if (name.SequenceEqual("system"u8))
            {
                system = ReadString("system", repeats: true);
            }
            else if (name.SequenceEqual("code"u8))
            {
                code = ReadCode("code");
            }
            else if (name.SequenceEqual("display"u8))
            {
                display = ReadString("display", repeats: true);
            }
            else
            {
                SkipUnknown(name);
            }
        }

        EndObject(keys);
        if (_ctx.Codings.Count > 65_536)
        {
            _ctx.Codings.Clear(); // bounded: a hostile Bundle of unique codes cannot grow it forever
        }

        var key = (system, code, display);
        if (!_ctx.Codings.TryGetValue(key, out var coding))
        {
            coding = new FhirCoding(system, code, display);
            _ctx.Codings[key] = coding;
        }

        return coding;
    }

    /// <summary>A CodeableConcept (the same code recurs on hundreds of charges and claim lines: see <see cref="ReadRecurring"/>).</summary>
    internal FhirCodeableConcept? ReadCodeableConcept() =>
        ReadRecurring(_ctx.CleanConcepts, static (ref FhirJsonParser p) => p.ReadCodeableConceptBody());

    /// <summary>
    /// Reads an object value that recurs byte for byte across a Bundle. When the same bytes already read cleanly, as
    /// deep or deeper and equally inside or outside a resource, the value is scanned past and the earlier result
    /// shared: what such a reader returns depends on its bytes alone (the caches only share equal values), and the
    /// limits it checks on its bytes and its depth, so it would read to the same value again, without issues.
    /// </summary>
    private T? ReadRecurring<T>(Utf8Memo<CleanRead<T>> memo, ElementReader<T> read)
        where T : class
    {
        var start = checked((int)_reader.TokenStartIndex);
        var depth = _reader.CurrentDepth;
        var end = _reader;
        if (TrySkip(ref end))
        {
            var text = _input[start..checked((int)end.BytesConsumed)];
            if (text.Length <= CleanRead<T>.MaxBytes && memo.TryGet(text, out var clean) && depth <= clean.Depth && clean.InResource == _ctx.InResource)
            {
                _reader = end;
                return clean.Value;
            }
        }

        var issues = _ctx.IssueCount;
        var value = read(ref this);
        var length = checked((int)_reader.BytesConsumed) - start;
        if (value is not null && _ctx.IssueCount == issues && length <= CleanRead<T>.MaxBytes)
        {
            memo.Set(_input.Slice(start, length), new CleanRead<T>(value, depth, _ctx.InResource));
        }

        return value;
    }

    /// <summary>Moves a copy of the reader past the current value; false (no exception) for invalid JSON, which the full read then reports.</summary>
    private static bool TrySkip(ref System.Text.Json.Utf8JsonReader reader)
    {
        try
        {
            reader.Skip();
            return true;
        }
        catch (System.Text.Json.JsonException)
        {
            return false;
        }
    }

    private FhirCodeableConcept? ReadCodeableConceptBody()
    {
        ImmutableArray<FhirCoding> codings = [];
        string? text = null;
        var keys = BeginObject();
        while (NextProperty(ref keys, out var name))
        {
            if (name.SequenceEqual("coding"u8))
            {
                codings = ReadArray("coding", static (ref FhirJsonParser p) => p.ReadCodingElement());
            }
            else if (name.SequenceEqual("text"u8))
            {
                text = ReadString("text", repeats: true);
            }
            else
            {
                SkipUnknown(name);
            }
        }

        EndObject(keys);
        if (text is null && codings.Length == 1)
        {
            if (_ctx.Concepts.Count > 65_536)
            {
                _ctx.Concepts.Clear();
            }

            if (!_ctx.Concepts.TryGetValue(codings[0], out var concept))
            {
                concept = new FhirCodeableConcept(codings, null);
                _ctx.Concepts[codings[0]] = concept;
            }

            return concept;
        }

        return new FhirCodeableConcept(codings, text);
    }

    private FhirCoding? ReadCodingElement()
    {
        if (TokenType != System.Text.Json.JsonTokenType.StartObject)
        {
            WrongType(null, "a Coding object");
            return null;
        }

        return ReadCoding();
    }

    internal FhirCodeableConcept? CodeableConcept(string child) =>
        ReadComplex(child, static (ref FhirJsonParser p) => p.ReadCodeableConcept());

    internal ImmutableArray<FhirCodeableConcept> CodeableConcepts(string child) =>
        ReadArray(child, static (ref FhirJsonParser p) => p.ObjectElement<FhirCodeableConcept>(static (ref FhirJsonParser q) => q.ReadCodeableConcept()));

    internal FhirIdentifier? ReadIdentifier()
    {
        string? system = null, value = null;
        var keys = BeginObject();
        while (NextProperty(ref keys, out var name))
        {
            if (name.SequenceEqual("system"u8))
            {
                system = ReadString("system", repeats: true);
            }
            else if (name.SequenceEqual("value"u8))
            {
                value = ReadString("value");
            }
            else
            {
                SkipUnknown(name);
            }
        }

        EndObject(keys);
        return new FhirIdentifier(system, value);
    }

    internal FhirIdentifier? Identifier(string child) =>
        ReadComplex(child, static (ref FhirJsonParser p) => p.ReadIdentifier());

    internal ImmutableArray<FhirIdentifier> Identifiers(string child) =>
        ReadArray(child, static (ref FhirJsonParser p) => p.ObjectElement<FhirIdentifier>(static (ref FhirJsonParser q) => q.ReadIdentifier()));

    internal FhirPeriod? ReadPeriod()
    {
        FhirDateTime? start = null, end = null;
        var keys = BeginObject();
        while (NextProperty(ref keys, out var name))
        {
            if (name.SequenceEqual("start"u8))
            {
                start = ReadDateTime("start");
            }
            else if (name.SequenceEqual("end"u8))
            {
                end = ReadDateTime("end");
            }
            else
            {
                SkipUnknown(name);
            }
        }

        EndObject(keys);
        if (start is not null && end is not null && !InOrderAsText(start.Text, end.Text) && start.Instant is { } s && end.Instant is { } e && e < s)
        {
            _ctx.Report(IssueSeverity.Error, IssueType.Invariant, "per-1: Period.end is before Period.start", "end");
        }

        return new FhirPeriod(start, end);
    }

    /// <summary>
    /// True when two validated dateTimes of the form <c>YYYY-MM-DDThh:mm:ss+hh:mm</c> with the same last six characters
    /// (the zone) are in order as text, which then means in order in time: spares parsing both for the common case.
    /// False says nothing.
    /// </summary>
    private static bool InOrderAsText(string start, string end) =>
        start.Length == end.Length && start.Length == 25 && start.AsSpan(19).SequenceEqual(end.AsSpan(19)) && string.CompareOrdinal(start, end) <= 0;

    internal FhirPeriod? Period(string child) =>
        ReadComplex(child, static (ref FhirJsonParser p) => p.ReadPeriod());

    internal FhirQuantity? ReadQuantity() =>
        ReadRecurring(_ctx.CleanQuantities, static (ref FhirJsonParser p) => p.ReadQuantityBody());

    private FhirQuantity? ReadQuantityBody()
    {
        decimal? value = null;
        string? unit = null, system = null, code = null;
        var keys = BeginObject();
        while (NextProperty(ref keys, out var name))
        {
            if (name.SequenceEqual("value"u8))
            {
                value = ReadDecimal("value");
            }
            else if (name.SequenceEqual("unit"u8))
            {
                unit = ReadString("unit", repeats: true);
            }
            else if (name.SequenceEqual("system"u8))
            {
                system = ReadString("system", repeats: true);
            }
            else if (name.SequenceEqual("code"u8))
            {
                code = ReadCode("code");
            }
            else
            {
                SkipUnknown(name);
            }
        }

        EndObject(keys);
        return new FhirQuantity(value, unit, system, code);
    }

    internal FhirQuantity? Quantity(string child) =>
        ReadComplex(child, static (ref FhirJsonParser p) => p.ReadQuantity());

    /// <summary>Money: a decimal JSON number and an ISO 4217 code; a Money without both cannot be posted.</summary>
    internal FhirMoney? Money(string child)
    {
        if (TokenType != System.Text.Json.JsonTokenType.StartObject)
        {
            WrongType(child, "a Money object");
            return null;
        }

        _ctx.PushPath(child);
        decimal? value = null;
        string? currency = null;
        var valueSeen = false;
        var currencyInvalid = false;
        var keys = BeginObject();
        while (NextProperty(ref keys, out var name))
        {
            if (name.SequenceEqual("value"u8))
            {
                valueSeen = true;
                value = ReadDecimal("value", money: true);
            }
            else if (name.SequenceEqual("currency"u8))
            {
                currency = ReadCode("currency");
                if (currency is not null && !IsCurrencyCode(currency))
                {
                    _ctx.Report(IssueSeverity.Error, IssueType.CodeInvalid, "currency must be an ISO 4217 code of three upper-case letters", "currency");
                    currency = null;
                    currencyInvalid = true;
                }
            }
            else
            {
                SkipUnknown(name);
            }
        }

        EndObject(keys);
        FhirMoney? result = null;
        if (currencyInvalid)
        {
            // already reported
        }
        else if (value is null)
        {
            if (!valueSeen)
            {
                _ctx.Report(IssueSeverity.Error, IssueType.Required, "Money without a value", "value");
            }
        }
        else if (currency is null)
        {
            if (_ctx.Options.DefaultCurrency is { } fallback)
            {
                _ctx.Report(IssueSeverity.Warning, IssueType.Required, $"Money without currency; {fallback} assumed", "currency");
                result = new FhirMoney(value.Value, fallback);
            }
            else
            {
                _ctx.Report(IssueSeverity.Error, IssueType.Required, "Money without currency cannot be posted", "currency");
            }
        }
        else
        {
            result = new FhirMoney(value.Value, currency);
        }

        _ctx.PopPath();
        return result;
    }

    private static bool IsCurrencyCode(string code) =>
        code.Length == 3 && char.IsAsciiLetterUpper(code[0]) && char.IsAsciiLetterUpper(code[1]) && char.IsAsciiLetterUpper(code[2]);

    /// <summary>A Reference, resolved against contained resources and the Bundle; patients become tokens.</summary>
    internal FhirReference? Reference(string child, ReferenceKind kind)
    {
        if (TokenType != System.Text.Json.JsonTokenType.StartObject)
        {
            WrongType(child, "a Reference object");
            return null;
        }

        _ctx.PushPath(child);
        var result = ReadReferenceBody(kind);
        _ctx.PopPath();
        return result;
    }

    internal ImmutableArray<FhirReference> References(string child, ReferenceKind kind) =>
        kind switch
        {
            ReferenceKind.Patient => ReadArray(child, static (ref FhirJsonParser p) => p.ReferenceElement(ReferenceKind.Patient)),
            ReferenceKind.NonPatient => ReadArray(child, static (ref FhirJsonParser p) => p.ReferenceElement(ReferenceKind.NonPatient)),
            _ => ReadArray(child, static (ref FhirJsonParser p) => p.ReferenceElement(ReferenceKind.Any)),
        };

    private FhirReference? ReferenceElement(ReferenceKind kind)
    {
        if (TokenType != System.Text.Json.JsonTokenType.StartObject)
        {
            WrongType(null, "a Reference object");
            return null;
        }

        return ReadReferenceBody(kind);
    }

    private FhirReference? ReadReferenceBody(ReferenceKind kind)
    {
        string? literal = null, type = null, display = null;
        var resolved = -1;
        FhirIdentifier? identifier = null;
        var keys = BeginObject();
        while (NextProperty(ref keys, out var name))
        {
            if (name.SequenceEqual("reference"u8))
            {
                literal = ReadReferenceLiteral(out resolved);
            }
            else if (name.SequenceEqual("type"u8))
            {
                type = ReadString("type", repeats: true);
            }
            else if (name.SequenceEqual("identifier"u8))
            {
                identifier = Identifier("identifier");
            }
            else if (name.SequenceEqual("display"u8))
            {
                display = ReadString("display", repeats: true);
            }
            else
            {
                SkipUnknown(name);
            }
        }

        EndObject(keys);
        if (type is not null)
        {
            var slash = type.LastIndexOf('/');
            type = slash >= 0 ? type[(slash + 1)..] : type;
        }

        return Resolve(literal, resolved, type, identifier, display, kind);
    }

    /// <summary>
    /// Reads Reference.reference. A literal naming a Bundle entry is looked up by its UTF-8 bytes, without allocating,
    /// and returns null with <paramref name="resolved"/> set (<see cref="Resolve"/> rebuilds the fullUrl only when it
    /// needs it); other literals repeat (Organization/…) and come from the string cache.
    /// </summary>
    private string? ReadReferenceLiteral(out int resolved)
    {
        resolved = -1;
        if (TokenType == System.Text.Json.JsonTokenType.String && !ValueIsEscaped && ValueSpan.Length is > 0 and <= 256 && _ctx.InBundle
            && System.Text.Unicode.Utf8.IsValid(ValueSpan))
        {
            var literal = ValueSpan;
            var byUrl = _ctx.Targets.FindByUrl(literal);
            if (byUrl >= 0)
            {
                resolved = byUrl;
                return null;
            }

            if (!literal.StartsWith("urn:"u8) && literal[0] != (byte)'#')
            {
                resolved = _ctx.Targets.FindByTypeAndId(literal);
            }
        }

        return ReadString("reference", repeats: !ValueStartsWith("urn:"u8));
    }

    private readonly FhirReference Resolve(string? literal, int resolved, string? type, FhirIdentifier? identifier, string? display, ReferenceKind kind)
    {
        string? targetType = type, targetId = null, patientToken = null;
        int? entryIndex = null;
        var targets = _ctx.Targets;
        if (resolved >= 0)
        {
            // Plain literal references to an entry share one immutable FhirReference.
            if (type is null && identifier is null && (display is null || kind != ReferenceKind.NonPatient) && targets.Shared(resolved) is { } shared
                && (kind != ReferenceKind.Patient || shared.PatientToken is not null))
            {
                return shared;
            }

            // A literal resolved by fullUrl is that fullUrl.
            literal ??= targets.FullUrl(resolved);
            targetType = targets.ResourceType(resolved);
            targetId = targets.Id(resolved);
            entryIndex = targets.EntryIndex(resolved);
            patientToken = targets.PatientToken(resolved);
        }
        else if (literal is not null)
        {
            if (literal[0] == '#')
            {
                var localId = literal[1..];
                _ctx.LocalReferences.Add((localId, _ctx.Path("reference")));
                if (_ctx.Contained.TryGetValue(localId, out var contained))
                {
                    targetType = contained.ResourceType;
                    targetId = contained.Id;
                    patientToken = contained.PatientToken;
                }
            }
            else if (literal.StartsWith("urn:uuid:", StringComparison.Ordinal) || literal.StartsWith("urn:oid:", StringComparison.Ordinal))
            {
                if (_ctx.InBundle)
                {
                    _ctx.Pending.Add(new PendingReference(_ctx.EntryIndex, literal, _ctx.Path("reference")));
                }
                else
                {
                    _ctx.Report(IssueSeverity.Error, IssueType.NotFound, "urn: reference outside a Bundle cannot resolve", "reference");
                }
            }
            else if (TypeAndId(literal) is { } typeAndId)
            {
                var slash = typeAndId.IndexOf('/', StringComparison.Ordinal);
                targetType ??= typeAndId[..slash];
                targetId = typeAndId[(slash + 1)..];
            }
        }

        var isPatient = kind == ReferenceKind.Patient || targetType == "Patient";
        FhirReference reference;
        var shareable = !isPatient && resolved < 0 && type is null && identifier is null && display is null && literal is not null && literal[0] != '#' && _ctx.InBundle;
        if (shareable && _ctx.ExternalReferences.TryGetValue(literal!, out var external))
        {
            return external;
        }

        if (!isPatient)
        {
            reference = new FhirReference
            {
                Reference = literal,
                TargetType = targetType,
                TargetId = targetId,
                Identifier = identifier,
                Display = kind == ReferenceKind.NonPatient ? display : null,
                ResolvedEntryIndex = entryIndex,
            };
        }
        else
        {
            // Same identity rule as FhirPatient.PatientToken, so a reference and its Patient get the same token.
            if (patientToken is null)
            {
                if (targetId is not null && (targetType is null or "Patient"))
                {
                    patientToken = _ctx.Token("Patient/" + targetId);
                }
                else if (literal is not null)
                {
                    patientToken = _ctx.Token(literal);
                }
                else if (identifier is { Value: not null })
                {
                    patientToken = _ctx.Token(identifier.System + "|" + identifier.Value);
                }
            }

            reference = new FhirReference { TargetType = "Patient", PatientToken = patientToken, ResolvedEntryIndex = entryIndex };
        }

        if (shareable && _ctx.ExternalReferences.Count < 65_536)
        {
            _ctx.ExternalReferences[literal!] = reference;
        }

        if (resolved >= 0 && type is null && identifier is null && display is null && targets.Shared(resolved) is null
            && (kind == ReferenceKind.Patient) == (targets.ResourceType(resolved) == "Patient"))
        {
            targets.SetShared(resolved, reference);
        }

        return reference;
    }

    /// <summary><c>Type/id</c> from a relative or absolute literal (version suffix dropped), or null.</summary>
    internal static string? TypeAndId(string literal)
    {
        var text = literal;
        var history = text.IndexOf("/_history/", StringComparison.Ordinal);
        if (history >= 0)
        {
            text = text[..history];
        }

        var lastSlash = text.LastIndexOf('/');
        if (lastSlash <= 0 || lastSlash == text.Length - 1)
        {
            return null;
        }

        var previousSlash = text.LastIndexOf('/', lastSlash - 1);
        var type = text[(previousSlash + 1)..lastSlash];
        if (type.Length == 0 || !char.IsAsciiLetterUpper(type[0]))
        {
            return null;
        }

        return type + "/" + text[(lastSlash + 1)..];
    }

    /// <summary>Extension: kept as url + raw JSON.</summary>
    internal ImmutableArray<FhirExtension> Extensions(string child)
    {
        if (TokenType != System.Text.Json.JsonTokenType.StartArray)
        {
            WrongType(child, "a JSON array of extensions");
            return [];
        }

        var builder = ImmutableArray.CreateBuilder<FhirExtension>();
        _ctx.PushPath(child);
        var index = 0;
        while (Read() && TokenType != System.Text.Json.JsonTokenType.EndArray)
        {
            _ctx.SetPathIndex(index++);
            if (TokenType != System.Text.Json.JsonTokenType.StartObject)
            {
                WrongType(null, "an Extension object");
                continue;
            }

            var url = PeekStringProperty("url"u8);
            if (url is null)
            {
                _ctx.Report(IssueSeverity.Error, IssueType.Required, "ext-1: Extension.url is required", "url");
            }

            builder.Add(new FhirExtension(url, RawValueText()));
        }

        _ctx.PopPath();
        return builder.DrainToImmutable();
    }
}
