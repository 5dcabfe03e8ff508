using System.Buffers;
using System.Globalization;

namespace HealthFlow.Hl7;

/// <summary>
/// Reads ADT (A01, A02, A03, A04, A06, A07, A08, A11, A13) and DFT^P03 messages of v2.3 to v2.8 into typed
/// messages and canonical facts. Untrusted input in, a <see cref="Hl7ReadResult"/> out: never throws on input.
/// </summary>
/// <remarks>
/// PID is read only for PID-3 identifiers (PID-2 when a v2.3 sender leaves PID-3 empty), and each identifier leaves
/// the reader only as the caller's token of <c>"{assigning authority}|{id}"</c> (authority = PID-3.4, else PID-3.6,
/// else MSH-4). Names, birth dates, addresses and other PID fields are never decoded. Encounter id is PV1-19, or
/// PID-18 (account number) when a sender carries the visit there. Z-segments are kept in <see cref="Hl7ReadResult.Parsed"/>
/// and otherwise ignored.
/// <para>
/// AR versus AE: AR when the message cannot be taken at all (unreadable structure, MSH-9/10/12 missing, unsupported
/// type, trigger, version or processing id, no MSH-4 for the idempotency key, too large); AE when it was understood
/// but content the facts depend on is missing or malformed (every such field is reported, not only the first).
/// Thread-safe: no shared mutable state; the tokenizer is called on the caller's thread and its exceptions propagate
/// (a failing tokenizer is a bug or an outage, not bad input).
/// </para>
/// </remarks>
public static class Hl7Reader
{
    private static readonly string[] NubcRevenueCodeSystems = ["NUBC", "UB04", "UB92", "RC", "NUBCREV", "UBREV"];

    /// <summary>Reads a message from bytes (an MLLP frame payload or an HTTP body).</summary>
    public static Hl7ReadResult Read(ReadOnlySpan<byte> payload, Func<string, string> tokenizer, Hl7ReadOptions? options = null)
    {
        options ??= Hl7ReadOptions.Default;
        if (payload.Length > options.MaxMessageLength)
        {
            return TooLarge(payload.Length, options.MaxMessageLength);
        }

        return Read(Hl7Parser.DecodeText(payload), tokenizer, options);
    }

    /// <summary>Reads a message from a frame that may span several buffers.</summary>
    public static Hl7ReadResult Read(in ReadOnlySequence<byte> payload, Func<string, string> tokenizer, Hl7ReadOptions? options = null)
    {
        options ??= Hl7ReadOptions.Default;
        if (payload.Length > options.MaxMessageLength)
        {
            return TooLarge(payload.Length, options.MaxMessageLength);
        }

        return Read(Hl7Parser.DecodeText(payload), tokenizer, options);
    }

    /// <summary>Reads a message from text.</summary>
    public static Hl7ReadResult Read(string text, Func<string, string> tokenizer, Hl7ReadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        options ??= Hl7ReadOptions.Default;
        var parsed = Hl7Parser.Parse(text, options.MaxMessageLength);
        if (parsed.Message is not { } message)
        {
            // Salvage MSH so the NAK is addressed to the sender and quotes its control id.
            Hl7MessageHeader? salvaged = null;
            if (parsed.Failure is not Hl7ParseFailure.TooLarge && Hl7Parser.TryParseHeaderOnly(text, out var headerOnly))
            {
                salvaged = ReadHeader(headerOnly.Header, new List<Hl7Error>(), out _);
            }

            return Rejected(salvaged, [parsed.Error!], null);
        }

        var errors = new List<Hl7Error>();
        var msh = message.Header;
        var header = ReadHeader(msh, errors, out var headerRejected);
        if (headerRejected)
        {
            return Rejected(header, errors, message);
        }

        var context = new Context(message, header, errors, tokenizer, options);
        Hl7TypedMessage? typed;
        List<Hl7Fact> facts = [];
        if (header.MessageCode == "ADT")
        {
            if (!TryParseAdtEvent(header.TriggerEvent, out var adtEvent))
            {
                errors.Add(Hl7Error.At(Hl7ErrorCode.UnsupportedEventCode, msh.Location(9, 0, 2), "Only ADT A01, A02, A03, A04, A06, A07, A08, A11 and A13 are accepted."));
                return Rejected(header, errors, message);
            }

            typed = ReadAdt(context, adtEvent, facts);
        }
        else if (header.MessageCode == "DFT")
        {
            if (header.TriggerEvent != "P03")
            {
                errors.Add(Hl7Error.At(Hl7ErrorCode.UnsupportedEventCode, msh.Location(9, 0, 2), "Only DFT^P03 is accepted."));
                return Rejected(header, errors, message);
            }

            typed = ReadDft(context, facts);
        }
        else
        {
            errors.Add(Hl7Error.At(Hl7ErrorCode.UnsupportedMessageType, msh.Location(9, 0, 1), "Only ADT and DFT messages are accepted."));
            return Rejected(header, errors, message);
        }

        if (typed is null || errors.Exists(e => e.Severity == Hl7Severity.Error))
        {
            return new Hl7ReadResult(header, Hl7AckCode.ApplicationError, errors, null, [], message);
        }

        return new Hl7ReadResult(header, Hl7AckCode.ApplicationAccept, errors, typed, facts, message);
    }

    private static Hl7ReadResult TooLarge(long length, int max) =>
        Rejected(null, [Hl7Error.At(Hl7ErrorCode.ApplicationInternalError, null, $"The message is {length} bytes; the maximum accepted is {max}.")], null);

    private static Hl7ReadResult Rejected(Hl7MessageHeader? header, List<Hl7Error> errors, Hl7Message? parsed) =>
        new(header, Hl7AckCode.ApplicationReject, errors, null, [], parsed);

    private static Hl7MessageHeader ReadHeader(Hl7Segment msh, List<Hl7Error> errors, out bool rejected)
    {
        var before = errors.Count;
        var messageCode = Text(msh, 9, 1, errors);
        var trigger = Text(msh, 9, 2, errors);
        var structure = Text(msh, 9, 3, errors);
        var controlId = Text(msh, 10, 0, errors);
        var processingId = Text(msh, 11, 1, errors);
        var version = Text(msh, 12, 1, errors);
        Hl7Timestamp? createdAt = null;
        var created = msh.Field(7).Component(1);
        if (created.HasValue && Hl7Timestamp.TryParse(created.Raw, out var createdValue))
        {
            createdAt = createdValue;
        }

        if (messageCode.Length == 0)
        {
            errors.Add(Hl7Error.At(Hl7ErrorCode.RequiredFieldMissing, msh.Location(9, 0, 1), "MSH-9 message type is missing."));
        }

        if (controlId.Length == 0)
        {
            errors.Add(Hl7Error.At(Hl7ErrorCode.RequiredFieldMissing, msh.Location(10), "MSH-10 message control id is missing."));
        }

        if (version.Length == 0)
        {
            errors.Add(Hl7Error.At(Hl7ErrorCode.RequiredFieldMissing, msh.Location(12), "MSH-12 version id is missing."));
        }
        else if (!IsSupportedVersion(version))
        {
            errors.Add(Hl7Error.At(Hl7ErrorCode.UnsupportedVersionId, msh.Location(12), "Only HL7 versions 2.3 to 2.8 are accepted."));
        }

        if (processingId.Length > 0 && processingId is not ("P" or "T" or "D"))
        {
            errors.Add(Hl7Error.At(Hl7ErrorCode.UnsupportedProcessingId, msh.Location(11), "MSH-11 processing id must be P, T or D."));
        }

        var header = new Hl7MessageHeader(
            Hl7HierarchicDesignator.From(msh.Field(3)),
            Hl7HierarchicDesignator.From(msh.Field(4)),
            Hl7HierarchicDesignator.From(msh.Field(5)),
            Hl7HierarchicDesignator.From(msh.Field(6)),
            createdAt,
            messageCode,
            trigger,
            structure,
            controlId,
            processingId,
            version,
            msh.Field(18).Value);

        if (header.SendingFacility.IsEmpty && errors.Count == before)
        {
            // Without MSH-4 there is no idempotency key: the message cannot be posted safely.
            errors.Add(Hl7Error.At(Hl7ErrorCode.RequiredFieldMissing, msh.Location(4), "MSH-4 sending facility is missing; it is part of the idempotency key."));
        }

        rejected = errors.Count > before;
        return header;
    }

    private static bool IsSupportedVersion(string version) =>
        version.Length >= 3 && version[0] == '2' && version[1] == '.' && version[2] is >= '3' and <= '8'
        && (version.Length == 3 || version[3] == '.');

    private static bool TryParseAdtEvent(string trigger, out Hl7AdtEvent adtEvent)
    {
        adtEvent = trigger switch
        {
            "A01" => Hl7AdtEvent.A01,
            "A02" => Hl7AdtEvent.A02,
            "A03" => Hl7AdtEvent.A03,
            "A04" => Hl7AdtEvent.A04,
            "A06" => Hl7AdtEvent.A06,
            "A07" => Hl7AdtEvent.A07,
            "A08" => Hl7AdtEvent.A08,
            "A11" => Hl7AdtEvent.A11,
            "A13" => Hl7AdtEvent.A13,
            _ => (Hl7AdtEvent)(-1),
        };
        return Enum.IsDefined(adtEvent);
    }

    private static Hl7AdtMessage? ReadAdt(Context context, Hl7AdtEvent adtEvent, List<Hl7Fact> facts)
    {
        var (eventAt, eventRecordedAt, eventReason) = ReadEvent(context);
        var tokens = ReadPatient(context, required: true);
        if (!context.Message.TryGetSegment("PV1", out var pv1))
        {
            context.Errors.Add(Hl7Error.At(Hl7ErrorCode.SegmentSequenceError, new Hl7ErrorLocation("PV1", 1), "PV1 (patient visit) is required."));
            return null;
        }

        // Transfers, class changes and updates move no money; an A08 for patient demographics often has no visit number.
        var movesMoney = adtEvent is Hl7AdtEvent.A01 or Hl7AdtEvent.A03 or Hl7AdtEvent.A04 or Hl7AdtEvent.A11 or Hl7AdtEvent.A13;
        var visit = ReadVisit(context, pv1, patientClassRequired: true, encounterRequired: movesMoney);
        if (visit is null || tokens is null)
        {
            return null;
        }

        var fallback = eventAt ?? eventRecordedAt ?? context.Header.CreatedAt;
        var adt = new Hl7AdtMessage(context.Header, tokens, visit, adtEvent, eventAt ?? eventRecordedAt, eventReason);
        Hl7FactType? factType = adtEvent switch
        {
            Hl7AdtEvent.A01 or Hl7AdtEvent.A04 => Hl7FactType.EncounterAdmitted,
            Hl7AdtEvent.A03 => Hl7FactType.EncounterDischarged,
            Hl7AdtEvent.A11 => Hl7FactType.EncounterCancelled,
            Hl7AdtEvent.A13 => Hl7FactType.DischargeCancelled,
            _ => null, // transfers, class changes and updates move no money
        };
        if (factType is not { } type)
        {
            return adt;
        }

        var (occurred, occurredField) = type switch
        {
            Hl7FactType.EncounterAdmitted => (visit.AdmittedAt ?? fallback, 44),
            Hl7FactType.EncounterDischarged => (visit.DischargedAt ?? fallback, 45),
            _ => (fallback, 0),
        };
        if (occurred is not { } occurredAt)
        {
            var location = occurredField > 0 ? pv1.Location(occurredField) : new Hl7ErrorLocation("EVN", 1, 2);
            context.Errors.Add(Hl7Error.At(Hl7ErrorCode.RequiredFieldMissing, location, "No time for the event: none of the visit time, EVN-6, EVN-2 or MSH-7 was sent."));
            return null;
        }

        facts.Add(new Hl7EncounterFact(
            type,
            context.Header.IdempotencyKey,
            context.Header.IdempotencyKey,
            visit.Facility,
            visit.EncounterId,
            tokens,
            context.Instant(occurredAt),
            visit.PatientClass,
            visit.HospitalService,
            visit.AttendingProvider?.Id ?? string.Empty,
            visit.DischargeDisposition,
            visit.AdmittedAt is { } admittedAt ? context.Instant(admittedAt) : null,
            visit.DischargedAt is { } dischargedAt ? context.Instant(dischargedAt) : null));
        return adt;
    }

    private static Hl7DftMessage? ReadDft(Context context, List<Hl7Fact> facts)
    {
        var (eventAt, eventRecordedAt, _) = ReadEvent(context);
        var tokens = ReadPatient(context, required: true);
        Hl7Visit? visit;
        if (context.Message.TryGetSegment("PV1", out var pv1))
        {
            visit = ReadVisit(context, pv1, patientClassRequired: false, encounterRequired: true);
        }
        else
        {
            // PV1 is optional in DFT^P03; the account number (PID-18) then identifies the encounter.
            visit = ReadVisit(context, default, patientClassRequired: false, encounterRequired: true);
        }

        var transactions = new List<Hl7FinancialTransaction>();
        var occurrence = 0;
        var message = context.Message;
        foreach (var segment in message.SegmentsWithId("FT1"))
        {
            occurrence++;
            var zAfter = context.RevenueCodePath is { } zPath && message.SegmentIdAt(segment.Index + 1).SequenceEqual(zPath.SegmentId)
                ? message.Segment(segment.Index + 1)
                : default;
            var transaction = ReadTransaction(context, segment, occurrence, zAfter);
            if (transaction is not null)
            {
                transactions.Add(transaction);
            }
        }

        if (occurrence == 0)
        {
            context.Errors.Add(Hl7Error.At(Hl7ErrorCode.SegmentSequenceError, new Hl7ErrorLocation("FT1", 1), "DFT^P03 needs at least one FT1 segment."));
            return null;
        }

        if (visit is null || tokens is null || transactions.Count != occurrence)
        {
            return null;
        }

        var messageKey = context.Header.IdempotencyKey;
        for (var n = 0; n < transactions.Count; n++)
        {
            var transaction = transactions[n];
            Hl7FactType? type = transaction.Type switch
            {
                Hl7TransactionType.Charge => Hl7FactType.ChargePosted,
                Hl7TransactionType.Credit => Hl7FactType.ChargeCredited,
                _ => null, // payments and adjustments arrive by 835 remittance, not as charge events
            };
            if (type is not { } factType)
            {
                continue;
            }

            facts.Add(new Hl7ChargeFact(
                factType,
                string.Create(CultureInfo.InvariantCulture, $"{messageKey}|FT1|{n + 1}"),
                messageKey,
                visit.Facility,
                visit.EncounterId,
                tokens,
                context.Instant(transaction.TransactionDate),
                transaction.ExtendedAmount,
                transaction.Currency,
                transaction.Quantity,
                transaction.DepartmentCode,
                transaction.TransactionCode,
                transaction.ProcedureCode,
                transaction.RevenueCode,
                visit.PatientClass,
                transaction));
        }

        return new Hl7DftMessage(context.Header, tokens, visit, eventAt ?? eventRecordedAt, transactions);
    }

    private static (Hl7Timestamp? OccurredAt, Hl7Timestamp? RecordedAt, string Reason) ReadEvent(Context context)
    {
        if (!context.Message.TryGetSegment("EVN", out var evn))
        {
            return (null, null, string.Empty);
        }

        var recorded = context.Timestamp(evn, 2, required: false);
        var occurred = context.Timestamp(evn, 6, required: false);
        var reason = Text(evn, 4, 1, context.Errors);
        return (occurred, recorded, reason);
    }

    private static List<Hl7PatientIdentifierToken>? ReadPatient(Context context, bool required)
    {
        if (!context.Message.TryGetSegment("PID", out var pid))
        {
            if (required)
            {
                context.Errors.Add(Hl7Error.At(Hl7ErrorCode.SegmentSequenceError, new Hl7ErrorLocation("PID", 1), "PID (patient identification) is required."));
            }

            return null;
        }

        var tokens = new List<Hl7PatientIdentifierToken>();
        var errorsBefore = context.Errors.Count;
        AddIdentifiers(context, pid, 3, tokens);
        if (tokens.Count == 0)
        {
            // v2.3 senders sometimes carry the MRN only in PID-2 (external id).
            AddIdentifiers(context, pid, 2, tokens);
        }

        if (context.Errors.Count > errorsBefore)
        {
            return null; // an identifier was unreadable: that error says it all
        }

        if (tokens.Count == 0)
        {
            context.Errors.Add(Hl7Error.At(Hl7ErrorCode.RequiredFieldMissing, pid.Location(3), "PID-3 patient identifier list is empty."));
            return null;
        }

        return tokens;
    }

    private static void AddIdentifiers(Context context, Hl7Segment pid, int fieldNumber, List<Hl7PatientIdentifierToken> tokens)
    {
        var field = pid.Field(fieldNumber);
        var count = field.RepetitionCount;
        for (var r = 1; r <= count; r++)
        {
            var repetition = field.Repetition(r);
            var idField = repetition.Component(1);
            if (!idField.HasValue)
            {
                continue;
            }

            if (!idField.TryGetValue(out var id))
            {
                context.Errors.Add(Hl7Error.At(Hl7ErrorCode.DataTypeError, pid.Location(fieldNumber, r, 1), "Malformed escape sequence in a patient identifier."));
                continue;
            }

            var authority = FirstNonEmpty(repetition.Component(4).Subcomponent(1).Value, repetition.Component(4).Subcomponent(2).Value);
            if (authority.Length == 0)
            {
                authority = FirstNonEmpty(repetition.Component(6).Subcomponent(1).Value, context.Header.SendingFacility.Key);
            }

            var type = repetition.Component(5).Value;
            tokens.Add(new Hl7PatientIdentifierToken(context.Tokenizer($"{authority}|{id}"), authority, type));
        }
    }

    private static Hl7Visit? ReadVisit(Context context, Hl7Segment pv1, bool patientClassRequired, bool encounterRequired)
    {
        var hasPv1 = pv1.Id.Length == 3;
        var errorsBefore = context.Errors.Count;
        var patientClass = hasPv1 ? Text(pv1, 2, 1, context.Errors) : string.Empty;
        if (patientClassRequired && patientClass.Length == 0)
        {
            context.Errors.Add(Hl7Error.At(Hl7ErrorCode.RequiredFieldMissing, pv1.Location(2), "PV1-2 patient class is missing."));
        }

        var encounterId = hasPv1 ? Text(pv1, 19, 1, context.Errors) : string.Empty;
        if (encounterId.Length == 0 && context.Message.TryGetSegment("PID", out var pid))
        {
            encounterId = Text(pid, 18, 1, context.Errors);
        }

        if (encounterId.Length == 0 && encounterRequired)
        {
            context.Errors.Add(Hl7Error.At(Hl7ErrorCode.RequiredFieldMissing, new Hl7ErrorLocation("PV1", 1, 19), "PV1-19 visit number (or PID-18 account number) is missing."));
        }

        var location = hasPv1 ? ReadLocation(pv1, 3, context.Errors) : EmptyLocation;
        var facility = FirstNonEmpty(location.Facility, context.Header.SendingFacility.Key);
        Hl7ProviderReference? attending = null;
        if (hasPv1)
        {
            var provider = pv1.Field(7);
            var providerId = provider.Component(1).Value;
            if (providerId.Length > 0)
            {
                attending = new Hl7ProviderReference(providerId, provider.Component(9).Subcomponent(1).Value);
            }
        }

        Hl7Timestamp? expectedDischarge = null;
        var accommodation = string.Empty;
        if (context.Message.TryGetSegment("PV2", out var pv2))
        {
            accommodation = Text(pv2, 2, 1, context.Errors);
            expectedDischarge = context.Timestamp(pv2, 9, required: false);
        }

        var visit = new Hl7Visit(
            encounterId,
            facility,
            patientClass,
            location,
            hasPv1 ? ReadLocation(pv1, 6, context.Errors) : EmptyLocation,
            hasPv1 ? Text(pv1, 4, 1, context.Errors) : string.Empty,
            hasPv1 ? Text(pv1, 10, 1, context.Errors) : string.Empty,
            attending,
            hasPv1 ? Text(pv1, 20, 1, context.Errors) : string.Empty,
            hasPv1 ? Text(pv1, 36, 1, context.Errors) : string.Empty,
            hasPv1 ? context.Timestamp(pv1, 44, required: false) : null,
            hasPv1 ? context.Timestamp(pv1, 45, required: false) : null,
            accommodation,
            expectedDischarge);
        return context.Errors.Count > errorsBefore ? null : visit;
    }

    private static readonly Hl7PatientLocation EmptyLocation = new(string.Empty, string.Empty, string.Empty, string.Empty, string.Empty, string.Empty);

    private static Hl7PatientLocation ReadLocation(Hl7Segment segment, int fieldNumber, List<Hl7Error> errors)
    {
        var field = segment.Field(fieldNumber);
        if (!field.HasValue)
        {
            return EmptyLocation;
        }

        string Part(Hl7Field part)
        {
            if (!part.TryGetValue(out var value))
            {
                errors.Add(Hl7Error.At(Hl7ErrorCode.DataTypeError, segment.Location(fieldNumber), "Malformed escape sequence in a location."));
            }

            return value;
        }

        var facility = field.Component(4);
        return new Hl7PatientLocation(
            Part(field.Component(1)),
            Part(field.Component(2)),
            Part(field.Component(3)),
            FirstNonEmpty(Part(facility.Subcomponent(1)), Part(facility.Subcomponent(2))),
            Part(field.Component(7)),
            Part(field.Component(8)));
    }

    private static Hl7FinancialTransaction? ReadTransaction(Context context, Hl7Segment ft1, int occurrence, Hl7Segment next)
    {
        var errors = context.Errors;
        var before = errors.Count;
        var setId = occurrence;
        var setIdText = ft1.Field(1).Raw;
        if (!setIdText.IsEmpty && !int.TryParse(setIdText, NumberStyles.None, CultureInfo.InvariantCulture, out setId))
        {
            errors.Add(Hl7Error.At(Hl7ErrorCode.DataTypeError, ft1.Location(1), "FT1-1 set id is not a number."));
        }

        var transactionDate = context.Timestamp(ft1, 4, required: true);
        var postingDate = context.Timestamp(ft1, 5, required: false);
        var typeCode = Text(ft1, 6, 1, errors);
        Hl7TransactionType type = default;
        switch (typeCode)
        {
            case "CG": type = Hl7TransactionType.Charge; break;
            case "CD": type = Hl7TransactionType.Credit; break;
            case "PY": type = Hl7TransactionType.Payment; break;
            case "AJ": type = Hl7TransactionType.Adjustment; break;
            case "":
                errors.Add(Hl7Error.At(Hl7ErrorCode.RequiredFieldMissing, ft1.Location(6), "FT1-6 transaction type is missing."));
                break;
            default:
                errors.Add(Hl7Error.At(Hl7ErrorCode.TableValueNotFound, ft1.Location(6), $"FT1-6 transaction type '{Truncate(typeCode)}' is not CG, CD, PY or AJ (table 0017)."));
                break;
        }

        var code = Text(ft1, 7, 1, errors);
        var codeSystem = Text(ft1, 7, 3, errors);
        var quantity = context.Decimal(ft1, 10, 0, 0) ?? 1m;
        var extended = context.Decimal(ft1, 11, 1, 1);
        var unit = context.Decimal(ft1, 12, 1, 1);
        var currency = FirstNonEmpty(Text(ft1, 11, 1, errors, 2), Text(ft1, 12, 1, errors, 2));
        if (extended is null && unit is { } unitAmount && errors.Count == before)
        {
            try
            {
                extended = unitAmount * quantity;
            }
            catch (OverflowException)
            {
                errors.Add(Hl7Error.At(Hl7ErrorCode.DataTypeError, ft1.Location(12), "FT1-12 unit amount × FT1-10 quantity overflows."));
            }
        }

        if (extended is null && errors.Count == before)
        {
            errors.Add(Hl7Error.At(Hl7ErrorCode.RequiredFieldMissing, ft1.Location(11), "FT1-11 extended amount (or FT1-12 unit amount) is missing."));
        }

        var revenueCode = string.Empty;
        if (code.Length > 0 && Array.IndexOf(NubcRevenueCodeSystems, codeSystem.ToUpperInvariant()) >= 0)
        {
            revenueCode = code;
        }
        else if (context.RevenueCodePath is { } zPath && next.Id.SequenceEqual(zPath.SegmentId))
        {
            var zField = next.Field(zPath.Field).Component(Math.Max(zPath.Component, 1));
            revenueCode = Text(zField, next.Location(zPath.Field, 0, Math.Max(zPath.Component, 1)), errors);
        }

        var performing = Provider(ft1.Field(20));
        var ordering = Provider(ft1.Field(21));
        var transactionId = Text(ft1, 2, 1, errors);
        var batchId = Text(ft1, 3, 0, errors);
        var department = Text(ft1, 13, 1, errors);
        var procedure = Text(ft1, 25, 1, errors);
        var procedureSystem = Text(ft1, 25, 3, errors);
        if (errors.Count > before || transactionDate is null || extended is null)
        {
            return null;
        }

        return new Hl7FinancialTransaction(
            setId,
            transactionId,
            batchId,
            transactionDate.Value,
            postingDate,
            type,
            code,
            codeSystem,
            quantity,
            unit,
            extended.Value,
            currency,
            department,
            procedure,
            procedureSystem,
            revenueCode,
            performing,
            ordering);
    }

    private static Hl7ProviderReference? Provider(Hl7Field field)
    {
        var id = field.Component(1).Value;
        return id.Length == 0 ? null : new Hl7ProviderReference(id, field.Component(9).Subcomponent(1).Value);
    }

    private static string Text(Hl7Segment segment, int field, int component, List<Hl7Error> errors, int subcomponent = 0)
    {
        var view = segment.Field(field);
        if (component > 0)
        {
            view = view.Component(component);
        }

        if (subcomponent > 0)
        {
            view = view.Subcomponent(subcomponent);
        }

        if (view.IsExplicitNull)
        {
            return string.Empty;
        }

        if (!view.TryGetValue(out var value))
        {
            // The location is built only here: most fields are fine, and building it allocates.
            errors.Add(Hl7Error.At(Hl7ErrorCode.DataTypeError, segment.Location(field, 0, component, subcomponent), "Malformed escape sequence (unterminated, empty or bad hex)."));
        }

        return value;
    }

    private static string Text(Hl7Field view, Hl7ErrorLocation location, List<Hl7Error> errors)
    {
        if (view.IsExplicitNull)
        {
            return string.Empty;
        }

        if (!view.TryGetValue(out var value))
        {
            errors.Add(Hl7Error.At(Hl7ErrorCode.DataTypeError, location, "Malformed escape sequence (unterminated, empty or bad hex)."));
        }

        return value;
    }

    private static string FirstNonEmpty(string first, string second) => first.Length > 0 ? first : second;

    private static string Truncate(string value) => value.Length <= 10 ? value : value[..10];

    private sealed class Context(Hl7Message message, Hl7MessageHeader header, List<Hl7Error> errors, Func<string, string> tokenizer, Hl7ReadOptions options)
    {
        public Hl7Message Message { get; } = message;

        public Hl7MessageHeader Header { get; } = header;

        public List<Hl7Error> Errors { get; } = errors;

        public Func<string, string> Tokenizer { get; } = tokenizer;

        public Hl7ReadOptions Options { get; } = options;

        public Hl7Path? RevenueCodePath { get; } =
            options.RevenueCodeZField is { } path && Hl7Path.TryParse(path, out var parsed) ? parsed : null;

        /// <summary>The instant of a timestamp: the sender's offset if written, else the sender's time zone, else the assumed offset.</summary>
        public DateTimeOffset Instant(Hl7Timestamp timestamp)
        {
            if (timestamp.UtcOffset is null && Options.SenderTimeZone is { } zone)
            {
                // A local time skipped by a DST change has no offset of its own; the zone's standard offset is the usual reading.
                var offset = zone.IsInvalidTime(timestamp.LocalDateTime) ? zone.BaseUtcOffset : zone.GetUtcOffset(timestamp.LocalDateTime);
                return new DateTimeOffset(timestamp.LocalDateTime, offset);
            }

            return timestamp.ToDateTimeOffset(Options.AssumedUtcOffset);
        }

        public Hl7Timestamp? Timestamp(Hl7Segment segment, int field, bool required)
        {
            // TS in v2.3-2.5 has the time as component 1; DTM in 2.6+ has no components; DR (FT1-4 in 2.5+) starts with it.
            var view = segment.Field(field).Component(1);
            if (!view.HasValue)
            {
                if (required)
                {
                    Errors.Add(Hl7Error.At(Hl7ErrorCode.RequiredFieldMissing, segment.Location(field), $"{segment.IdText}-{field} is required."));
                }

                return null;
            }

            if (!Hl7Timestamp.TryParse(view.Raw, out var value))
            {
                Errors.Add(Hl7Error.At(Hl7ErrorCode.DataTypeError, segment.Location(field), $"{segment.IdText}-{field} is not an HL7 date/time (YYYYMMDD[HHMM[SS]][+/-ZZZZ])."));
                return null;
            }

            return value;
        }

        public decimal? Decimal(Hl7Segment segment, int field, int component, int subcomponent)
        {
            var view = segment.Field(field);
            if (component > 0)
            {
                view = view.Component(component);
            }

            if (subcomponent > 0)
            {
                view = view.Subcomponent(subcomponent);
            }

            if (!view.HasValue)
            {
                return null;
            }

            var raw = view.Raw.Trim(' ');
            if (raw.Length > 32 || !decimal.TryParse(raw, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value))
            {
                Errors.Add(Hl7Error.At(Hl7ErrorCode.DataTypeError, segment.Location(field, 0, component, subcomponent), $"{segment.IdText}-{field} is not a number."));
                return null;
            }

            return value;
        }
    }
}
