namespace HealthFlow.X12;

/// <summary>Options for <see cref="X12Parser"/>.</summary>
public sealed class X12ParseOptions
{
    /// <summary>
    /// Turns a patient or subscriber name or member id into a keyed token (the Pipeline passes HMAC-SHA256).
    /// Required: there is no default, so clear PHI can never leave the parser by accident.
    /// </summary>
    public required Func<string, string> TokenizePhi { get; init; }

    /// <summary>
    /// Whether a person's name is tokenized when its NM1 gives an id (NM109) as well. Off for readers that identify a
    /// person by the id's token and fall back to the name's only where there is no id, as the Pipeline's canonical
    /// events do: <see cref="PersonTokens.NameToken"/> is then null beside an id, and a keyed hash per person is saved.
    /// </summary>
    public bool TokenizeNamesBesideIds { get; init; } = true;

    /// <summary>Segments longer than this are reported (IK403 = 5) and skipped; bounds memory.</summary>
    public int MaxSegmentLength { get; init; } = X12SegmentReader.DefaultMaxSegmentLength;

    /// <summary>
    /// Keep typed documents on each <see cref="X12TransactionSet"/>. Turn off for very large inputs and use
    /// <see cref="TransactionSetCompleted"/>: memory then stays bounded by one transaction set.
    /// </summary>
    public bool RetainDocuments { get; init; } = true;

    /// <summary>
    /// Called when a transaction set ends (SE, or where the input ended), with its document even when
    /// <see cref="RetainDocuments"/> is off; the interchange's own checks (IEA) are not known yet.
    /// </summary>
    public Action<X12Interchange, X12FunctionalGroup, X12TransactionSet>? TransactionSetCompleted { get; init; }
}

/// <summary>
/// Parses X12 5010 input (one or more interchanges) into envelopes, validation results and typed documents.
/// </summary>
/// <remarks>
/// Never throws for bad input: every problem is an <see cref="X12Error"/> in the result. Exceptions escape
/// only for programming errors (null options) and are a bug otherwise.
/// </remarks>
public static class X12Parser
{
    /// <summary>Parses a stream; the caller keeps ownership of it.</summary>
    public static X12ParseResult Parse(Stream input, X12ParseOptions options)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(options);
        using var reader = new X12SegmentReader(input, options.MaxSegmentLength);
        return new ParseSession(options).Run(reader);
    }

    /// <summary>Parses bytes held in memory (read in place, never modified).</summary>
    public static X12ParseResult Parse(byte[] input, X12ParseOptions options)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(options);
        using var reader = new X12SegmentReader(input, options.MaxSegmentLength);
        return new ParseSession(options).Run(reader);
    }

    /// <summary>Parses text (ASCII/Latin-1).</summary>
    public static X12ParseResult Parse(string input, X12ParseOptions options)
    {
        ArgumentNullException.ThrowIfNull(input);
        return Parse(System.Text.Encoding.Latin1.GetBytes(input), options);
    }

    /// <summary>The kind of a transaction set from ST01 and its implementation reference (ST03 or GS08).</summary>
    public static X12TransactionKind KindOf(string? transactionSetId, string? implementationReference) => transactionSetId switch
    {
        "835" => X12TransactionKind.Remittance835,
        "837" when implementationReference?.Contains("X223", StringComparison.Ordinal) == true => X12TransactionKind.Institutional837,
        "837" => X12TransactionKind.Professional837,
        "277" when implementationReference?.Contains("X214", StringComparison.Ordinal) == true => X12TransactionKind.ClaimAcknowledgement277,
        "277" => X12TransactionKind.ClaimStatus277,
        "999" => X12TransactionKind.Acknowledgement999,
        _ => X12TransactionKind.Unsupported,
    };
}

/// <summary>The state of one parse: which envelope is open, and the builder of the open transaction set.</summary>
internal sealed class ParseSession(X12ParseOptions options)
{
    private const int MaxEnvelopeErrors = 50;

    private static readonly string[] IsaWidthCodes =
        ["010", "011", "012", "013", "005", "006", "007", "008", "014", "015", "026", "017", "018", "019", "020", "027"];

    private static readonly string[] IsaQualifiers = ["01", "14", "20", "27", "28", "29", "30", "33", "ZZ"];

    private readonly X12ParseResult _result = new();
    private readonly CodeCache _codes = new();
    private RemittanceData? _remittanceData; // one for every 835 set of the parse
    private X12Interchange? _interchange;
    private X12FunctionalGroup? _group;
    private X12TransactionSet? _set;
    private TransactionContext? _context;
    private TransactionBuilder? _builder;
    private HashSet<string>? _controlNumbersInGroup;
    private int _nameLoopRank;
    private SegmentUse _use;
    private int _outsideErrors;

    // Fully optimised from the first call: the loop runs once per parse, so tiering would only reach it via OSR.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public X12ParseResult Run(X12SegmentReader reader)
    {
        var segmentsRead = 0;
        try
        {
            while (true)
            {
                var status = reader.Read();
                if (status == X12ReadResult.EndOfInput)
                {
                    break;
                }

                if (status == X12ReadResult.NotTokenizable)
                {
                    var code = segmentsRead == 0 && _result.InterchangeList.Count == 0 && reader.Problem?.StartsWith("input", StringComparison.Ordinal) == true
                        ? X12InputErrorCodes.NotX12
                        : X12InputErrorCodes.BadInterchangeHeader;
                    _result.ErrorList.Add(new X12Error
                    {
                        Level = X12ErrorLevel.Input,
                        Code = code,
                        SegmentId = code == X12InputErrorCodes.NotX12 ? null : "ISA",
                        Message = reader.Problem ?? "input cannot be tokenised",
                    });
                    break;
                }

                segmentsRead++;
                if (status == X12ReadResult.SegmentTooLong)
                {
                    OnTooLong(reader.Current);
                }
                else
                {
                    var segment = reader.Current;
                    OnSegment(segment, reader.IsaFieldWidthError);
                }
            }
        }
        catch (IOException exception)
        {
            _result.ErrorList.Add(new X12Error
            {
                Level = X12ErrorLevel.Input,
                Code = X12InputErrorCodes.ReadFailed,
                Message = "reading the input failed: " + exception.Message,
            });
        }

        if (_interchange is not null)
        {
            CloseOpenEnvelopes(0);
            InterchangeError("023", "IEA", _interchange.SegmentCount, "input ended before the IEA interchange trailer (truncated)");
            _interchange = null;
        }

        if (segmentsRead == 0 && _result.ErrorList.Count == 0)
        {
            _result.ErrorList.Add(new X12Error { Level = X12ErrorLevel.Input, Code = X12InputErrorCodes.Empty, Message = "input is empty" });
        }

        _result.BytesRead = reader.BytesConsumed;
        return _result;
    }

    // Kept out of Run so the long-running loop's on-stack-replacement code stays small and this body gets fully optimised.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private void OnSegment(in X12Segment segment, int isaFieldWidthError)
    {
        var id = SegmentRules.Pack(segment.Id);
        if (id == SegmentIds.ISA)
        {
            StartInterchange(segment, isaFieldWidthError);
            return;
        }

        if (_interchange is null)
        {
            if (_outsideErrors++ == 0)
            {
                _result.ErrorList.Add(new X12Error
                {
                    Level = X12ErrorLevel.Input,
                    Code = X12InputErrorCodes.ContentOutsideInterchange,
                    SegmentId = TransactionContext.SafeId(segment),
                    Message = "content after an IEA that does not start a new ISA interchange",
                });
            }

            return;
        }

        _interchange.SegmentCount = segment.Position;
        switch (id)
        {
            case SegmentIds.IEA:
                EndInterchange(segment);
                break;
            case SegmentIds.GS:
                StartGroup(segment);
                break;
            case SegmentIds.GE:
                EndGroup(segment);
                break;
            case SegmentIds.ST:
                StartSet(segment);
                break;
            case SegmentIds.SE when _set is not null:
                EndSet(segment);
                break;
            case SegmentIds.TA1 when _group is null:
                ReadTa1(segment);
                break;
            default:
                if (_set is not null)
                {
                    SetSegment(segment, id);
                }
                else
                {
                    InterchangeError("024", TransactionContext.SafeId(segment), segment.Position,
                        $"segment {TransactionContext.SafeId(segment)} is outside a transaction set");
                }

                break;
        }
    }

    private void OnTooLong(in X12Segment head)
    {
        var message = $"segment is longer than {options.MaxSegmentLength} bytes";
        if (_set is not null && _context is not null)
        {
            _context.PositionInSet++;
            _context.ElementError(head, 1, 0, "5", message);
        }
        else if (_interchange is not null)
        {
            _interchange.SegmentCount = head.Position;
            InterchangeError("024", TransactionContext.SafeId(head), head.Position, message);
        }
        else
        {
            _result.ErrorList.Add(new X12Error
            {
                Level = X12ErrorLevel.Input,
                Code = X12InputErrorCodes.ContentOutsideInterchange,
                Message = message + ", outside any interchange",
            });
        }
    }

    private void StartInterchange(in X12Segment isa, int fieldWidthError)
    {
        if (_interchange is not null)
        {
            CloseOpenEnvelopes(isa.Position);
            InterchangeError("023", "IEA", _interchange.SegmentCount, "IEA interchange trailer missing before the next ISA");
        }

        _interchange = new X12Interchange
        {
            Delimiters = isa.Delimiters,
            SenderQualifier = X12Text.ToText(isa.Element(5)),
            SenderId = X12Text.TrimmedOrNull(isa.Element(6)),
            ReceiverQualifier = X12Text.ToText(isa.Element(7)),
            ReceiverId = X12Text.TrimmedOrNull(isa.Element(8)),
            Date = X12Text.ToText(isa.Element(9)),
            Time = X12Text.ToText(isa.Element(10)),
            Version = X12Text.ToText(isa.Element(12)),
            ControlNumber = X12Text.ToText(isa.Element(13)),
            AcknowledgementRequested = isa.Element(14).SequenceEqual("1"u8),
            UsageIndicator = X12Text.ToText(isa.Element(15)),
            SegmentCount = 1,
        };
        _result.InterchangeList.Add(_interchange);

        if (fieldWidthError > 0)
        {
            InterchangeError(IsaWidthCodes[fieldWidthError - 1], "ISA", 1,
                $"ISA{fieldWidthError:00} has the wrong width: the ISA segment must be fixed-width (106 characters)");
        }

        CheckIsa(isa, 1, static v => v.SequenceEqual("00"u8) || v.SequenceEqual("03"u8), "010", "authorization information qualifier must be 00 or 03");
        CheckIsa(isa, 3, static v => v.SequenceEqual("00"u8) || v.SequenceEqual("01"u8), "012", "security information qualifier must be 00 or 01");
        CheckIsa(isa, 5, IsQualifier, "005", "sender id qualifier is not a valid code");
        CheckIsa(isa, 7, IsQualifier, "007", "receiver id qualifier is not a valid code");
        CheckIsa(isa, 9, static v => X12Text.IsDigits(v) && v.Length == 6, "014", "interchange date must be YYMMDD");
        CheckIsa(isa, 10, static v => X12Text.IsDigits(v) && v.Length == 4, "015", "interchange time must be HHMM");
        CheckIsa(isa, 12, static v => v.SequenceEqual("00501"u8), "017", "interchange version must be 00501 (5010)");
        CheckIsa(isa, 13, static v => X12Text.IsDigits(v) && v.Length == 9, "018", "interchange control number must be 9 digits");
        CheckIsa(isa, 14, static v => v.SequenceEqual("0"u8) || v.SequenceEqual("1"u8), "019", "acknowledgment requested must be 0 or 1");
        CheckIsa(isa, 15, static v => v.SequenceEqual("P"u8) || v.SequenceEqual("T"u8), "020", "usage indicator must be P or T");
    }

    private static bool IsQualifier(ReadOnlySpan<byte> value)
    {
        foreach (var qualifier in IsaQualifiers)
        {
            if (value.SequenceEqual(System.Text.Encoding.ASCII.GetBytes(qualifier)))
            {
                return true;
            }
        }

        return false;
    }

    private delegate bool IsaCheck(ReadOnlySpan<byte> value);

    private void CheckIsa(in X12Segment isa, int element, IsaCheck check, string code, string message)
    {
        if (!check(isa.Element(element)) && _interchange!.ErrorList.TrueForAll(e => e.Code != code))
        {
            InterchangeError(code, "ISA", 1, $"ISA{element:00}: {message}");
        }
    }

    private void EndInterchange(in X12Segment iea)
    {
        var interchange = _interchange!;
        CloseOpenEnvelopes(iea.Position);
        if (!X12Text.TryParseInt(iea.Element(1), out var declared) || declared != interchange.GroupList.Count)
        {
            InterchangeError("021", "IEA", iea.Position,
                $"IEA01 says {TransactionContext.Truncate(iea.Element(1)) ?? "nothing"} functional groups, the interchange has {interchange.GroupList.Count}");
        }

        if (!iea.Element(2).SequenceEqual(System.Text.Encoding.Latin1.GetBytes(interchange.ControlNumber)))
        {
            InterchangeError("001", "IEA", iea.Position,
                $"IEA02 {TransactionContext.Truncate(iea.Element(2))} does not match ISA13 {interchange.ControlNumber}");
        }

        _interchange = null;
    }

    private void ReadTa1(in X12Segment ta1)
    {
        var status = X12AckStatusExtensions.FromCode(ta1.Text(4));
        if (status is null)
        {
            InterchangeError("024", "TA1", ta1.Position, "TA104 is not a valid acknowledgement code");
            return;
        }

        _interchange!.ReceivedAckList.Add(new InterchangeAcknowledgement(
            ta1.Text(1) ?? "", ta1.Text(2) ?? "", ta1.Text(3) ?? "", status.Value, ta1.Text(5) ?? ""));
    }

    private void StartGroup(in X12Segment gs)
    {
        CloseSet(gs.Position);
        if (_group is not null)
        {
            GroupError("3", "GE", gs.Position, "GE functional group trailer missing before the next GS");
            _group = null;
        }

        _group = new X12FunctionalGroup
        {
            FunctionalIdentifierCode = X12Text.ToText(gs.Element(1)),
            Sender = gs.Text(2),
            Receiver = gs.Text(3),
            Date = gs.Text(4),
            Time = gs.Text(5),
            ControlNumber = X12Text.ToText(gs.Element(6)),
            Version = gs.Text(8),
            StartPosition = gs.Position,
        };
        _interchange!.GroupList.Add(_group);
        _controlNumbersInGroup = [];

        if (!gs.Element(8).StartsWith("00501"u8))
        {
            GroupError("2", "GS", gs.Position, $"GS08 version {TransactionContext.Truncate(gs.Element(8)) ?? "(empty)"} is not 005010");
        }

        if (!X12Text.IsDigits(gs.Element(6)))
        {
            GroupError("6", "GS", gs.Position, "GS06 group control number must be numeric");
        }
    }

    private void EndGroup(in X12Segment ge)
    {
        CloseSet(ge.Position);
        if (_group is null)
        {
            InterchangeError("024", "GE", ge.Position, "GE without a matching GS");
            return;
        }

        var declared = X12Text.TryParseInt(ge.Element(1), out var count) ? count : (int?)null;
        _group.DeclaredTransactionSetCount = declared;
        if (declared != _group.SetList.Count)
        {
            GroupError("5", "GE", ge.Position,
                $"GE01 says {TransactionContext.Truncate(ge.Element(1)) ?? "nothing"} transaction sets, the group has {_group.SetList.Count}");
        }

        if (!ge.Element(2).SequenceEqual(System.Text.Encoding.Latin1.GetBytes(_group.ControlNumber)))
        {
            GroupError("4", "GE", ge.Position, $"GE02 {TransactionContext.Truncate(ge.Element(2))} does not match GS06 {_group.ControlNumber}");
        }

        _group = null;
    }

    private void StartSet(in X12Segment st)
    {
        CloseSet(st.Position);
        if (_group is null)
        {
            InterchangeError("024", "ST", st.Position, "ST outside a functional group (GS missing)");
            return;
        }

        var id = _codes.Get(st.Element(1)) ?? "";
        var reference = st.Text(3) ?? _group.Version;
        var kind = X12Parser.KindOf(id, reference);
        _set = new X12TransactionSet
        {
            TransactionSetId = id,
            ControlNumber = _codes.Get(st.Element(2)) ?? "",
            ImplementationReference = reference,
            Kind = kind,
            StartPosition = st.Position,
        };
        _group.SetList.Add(_set);
        _context = new TransactionContext(_set, options.TokenizePhi, options.TokenizeNamesBesideIds, _codes) { PositionInSet = 1 };
        _nameLoopRank = 0;
        _use = SegmentRules.UseOf(kind);
        _builder = kind switch
        {
            X12TransactionKind.Remittance835 => new RemittanceBuilder(_context, (_remittanceData ??= new()).Cleared()),
            X12TransactionKind.Professional837 => new ClaimBuilder(_context, ClaimKind.Professional),
            X12TransactionKind.Institutional837 => new ClaimBuilder(_context, ClaimKind.Institutional),
            X12TransactionKind.ClaimAcknowledgement277 or X12TransactionKind.ClaimStatus277 => new StatusBuilder(_context),
            X12TransactionKind.Acknowledgement999 => new AcknowledgementBuilder(_context),
            _ => new IgnoringBuilder(_context),
        };

        if (id.Length != 3 || !X12Text.IsDigits(st.Element(1)))
        {
            _context.TransactionSetError("6", "ST01 transaction set identifier is missing or invalid", st.Position, "ST");
        }
        else if (kind == X12TransactionKind.Unsupported)
        {
            _context.TransactionSetError("1", $"transaction set {id} is not supported", st.Position, "ST");
        }

        if (st.Element(2).Length is < 4 or > 9)
        {
            _context.TransactionSetError("7", "ST02 transaction set control number is missing or invalid", st.Position, "ST");
        }
        else if (!_controlNumbersInGroup!.Add(_set.ControlNumber))
        {
            _context.TransactionSetError("23", $"ST02 {_set.ControlNumber} is not unique within the functional group", st.Position, "ST");
        }

        if (st.Text(3) is { } implementation && !implementation.StartsWith("00501", StringComparison.Ordinal))
        {
            _context.TransactionSetError("19", $"ST03 {implementation} is not a 5010 implementation convention", st.Position, "ST");
        }
    }

    // Its only caller is OnSegment, once per segment: inlined there to save a call and a frame per segment;
    // packed is the segment id as OnSegment already packed it.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private void SetSegment(in X12Segment segment, int packed)
    {
        var context = _context!;
        context.PositionInSet++;
        if (_set!.Kind == X12TransactionKind.Unsupported)
        {
            // Already rejected with IK502 = 1; its segments follow another guide, so they are only counted.
            return;
        }

        var rule = SegmentRules.FindCompact(packed);
        if (rule.Packed == 0)
        {
            ReportUnrecognised(segment);
            return;
        }

        if ((rule.Use & _use) == 0)
        {
            ReportUnexpected(segment);
            return;
        }

        // Mandatory elements, in element order, from the rule's bit mask; the reader's empty-element bits let the
        // usual segment, with all of them present, through on one test.
        for (var required = rule.RequiredMask & segment.EmptyElements; required != 0; required &= required - 1)
        {
            var element = System.Numerics.BitOperations.TrailingZeroCount(required);
            if (segment.IsElementEmpty(element))
            {
                ReportMissingElement(segment, element);
            }
        }

        CheckNameLoopOrder(segment, rule.NameLoopRank);
        _builder!.Add(segment, packed);
    }

    // Error paths live in their own methods so the per-segment path above stays small for the JIT.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private void ReportUnrecognised(in X12Segment segment)
    {
        var id = segment.Id;
        _context!.SegmentError(segment, "1", id.IsEmpty ? "segment has no segment id"
            : SegmentRules.IsWellFormedId(id) ? $"{segment.IdText} is not a recognised segment id"
            : $"'{TransactionContext.Truncate(id)}' is not a valid segment id");
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private void ReportUnexpected(in X12Segment segment) =>
        _context!.SegmentError(segment, "2", $"{segment.IdText} is not used in transaction set {_set!.TypeName}; skipped");

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private void ReportMissingElement(in X12Segment segment, int element) =>
        _context!.ElementError(segment, element, 0, "1", $"mandatory element {segment.IdText}{element:00} is missing");

    /// <summary>Within an N1/NM1 loop the order is N2, N3, N4, REF; anything else starts or leaves the loop.</summary>
    private void CheckNameLoopOrder(in X12Segment segment, int rank)
    {
        if (rank == 0)
        {
            _nameLoopRank = 0;
        }
        else if (rank > 0)
        {
            if (rank < _nameLoopRank)
            {
                _context!.SegmentError(segment, "7", $"{segment.IdText} is not in proper sequence within its loop");
            }

            _nameLoopRank = Math.Max(_nameLoopRank, rank);
        }
    }

    private void EndSet(in X12Segment se)
    {
        var context = _context!;
        var set = _set!;
        context.PositionInSet++;
        var actual = context.PositionInSet;
        if (!X12Text.TryParseInt(se.Element(1), out var declared) || declared != actual)
        {
            context.TransactionSetError("4",
                $"SE01 says {TransactionContext.Truncate(se.Element(1)) ?? "nothing"} segments, the transaction set has {actual}", se.Position, "SE");
        }

        if (!se.Element(2).SequenceEqual(System.Text.Encoding.Latin1.GetBytes(set.ControlNumber)))
        {
            context.TransactionSetError("3", $"SE02 {TransactionContext.Truncate(se.Element(2))} does not match ST02 {set.ControlNumber}", se.Position, "SE");
        }

        FinishSet(actual);
    }

    /// <summary>Closes a set whose SE never came (a GS, GE, ST, IEA or end of input arrived first).</summary>
    private void CloseSet(int position)
    {
        if (_set is null)
        {
            return;
        }

        _context!.TransactionSetError("2", "SE transaction set trailer missing", position, "SE");
        FinishSet(_context.PositionInSet);
    }

    private void FinishSet(int segmentCount)
    {
        var set = _set!;
        var context = _context!;
        _builder!.Complete(options.RetainDocuments || options.TransactionSetCompleted is not null);
        set.SegmentCount = segmentCount;
        set.Status = context.HasRejectingError ? X12AckStatus.Rejected
            : context.HasNonRejectingError ? X12AckStatus.AcceptedWithErrors
            : X12AckStatus.Accepted;
        options.TransactionSetCompleted?.Invoke(_interchange!, _group!, set);
        if (options.RetainDocuments)
        {
            _ = set.Remittance; // made now: the records are the next 835 set's
        }

        set.RemittanceData = null;
        if (!options.RetainDocuments)
        {
            set.Remittance = null;
            set.ClaimBatch = null;
            set.ClaimStatusReport = null;
            set.Acknowledgement = null;
        }

        _set = null;
        _context = null;
        _builder = null;
    }

    private void CloseOpenEnvelopes(int position)
    {
        CloseSet(position);
        if (_group is not null)
        {
            GroupError("3", "GE", position, "GE functional group trailer missing");
            _group = null;
        }
    }

    private void InterchangeError(string code, string? segmentId, int position, string message)
    {
        if (_interchange is null || _interchange.ErrorList.Count >= MaxEnvelopeErrors)
        {
            return;
        }

        _interchange.ErrorList.Add(new X12Error
        {
            Level = X12ErrorLevel.Interchange,
            Code = code,
            SegmentId = segmentId,
            Position = position,
            Message = message,
        });
    }

    private void GroupError(string code, string segmentId, int position, string message)
    {
        if (_group is null || _group.ErrorList.Count >= MaxEnvelopeErrors)
        {
            return;
        }

        _group.ErrorList.Add(new X12Error
        {
            Level = X12ErrorLevel.FunctionalGroup,
            Code = code,
            SegmentId = segmentId,
            Position = position,
            Message = message,
        });
    }
}
