namespace HealthFlow.X12;

/// <summary>
/// Reads an 837P (005010X222A1) or 837I (005010X223A2/A3) into a <see cref="ClaimBatch"/>, following the HL
/// hierarchy: 20 billing provider → 22 subscriber (with payer) → 23 patient → CLM claims and their lines.
/// </summary>
internal sealed class ClaimBuilder(TransactionContext context, ClaimKind kind) : TransactionBuilder(context)
{
    private static readonly HashSet<string> DiagnosisQualifiers =
        ["ABK", "ABF", "ABJ", "ABN", "APR", "BK", "BF", "BJ", "BN", "PR", "DR"];

    private readonly List<Claim> _claims = [];
    private ClaimBatch _header = new() { Kind = kind };
    private string? _nameLoop;
    private bool _sawBht;
    private bool _sawHl;

    // HL context.
    private string? _providerName;
    private string? _providerNpi;
    private string? _providerTaxId;
    private string? _payerName;
    private string? _payerId;
    private string? _payerResponsibility;
    private PersonTokens? _subscriber;
    private PersonTokens? _patient;

    private Claim? _claim;
    private List<Diagnosis> _diagnoses = [];
    private List<ServiceLine> _lines = [];
    private ServiceLine? _line;

    public override void Add(in X12Segment segment, int id)
    {
        switch (id)
        {
            case SegmentIds.BHT:
                _sawBht = true;
                _header = _header with
                {
                    ReferenceId = segment.Text(3),
                    CreatedOn = Context.Date(segment, 4),
                    ClaimOrEncounter = segment.Text(6),
                };
                break;
            case SegmentIds.HL:
                _sawHl = true;
                CloseClaim();
                switch (X12Text.ToText(segment.Element(3)))
                {
                    case "20":
                        _providerName = _providerNpi = _providerTaxId = null;
                        _subscriber = _patient = null;
                        _payerName = _payerId = _payerResponsibility = null;
                        break;
                    case "22":
                        _subscriber = _patient = null;
                        _payerName = _payerId = _payerResponsibility = null;
                        break;
                    case "23":
                        _patient = null;
                        break;
                    default:
                        break;
                }

                break;
            case SegmentIds.NM1:
                ReadName(segment);
                break;
            case SegmentIds.REF when _claim is null && _nameLoop == "85" && segment.Element(1).SequenceEqual("EI"u8):
                _providerTaxId = segment.Text(2);
                break;
            case SegmentIds.SBR when _claim is null:
                _payerResponsibility = segment.Text(1);
                break;
            case SegmentIds.CLM:
                CloseClaim();
                _nameLoop = null;
                _claim = new Claim
                {
                    ControlNumber = segment.Text(1) ?? "",
                    TotalCharge = Context.Amount(segment, 2),
                    FacilityCode = segment.Text(5, 1),
                    FacilityCodeQualifier = segment.Text(5, 2),
                    FrequencyCode = segment.Text(5, 3),
                    BillingProviderName = _providerName,
                    BillingProviderNpi = _providerNpi,
                    BillingProviderTaxId = _providerTaxId,
                    PayerName = _payerName,
                    PayerId = _payerId,
                    PayerResponsibility = _payerResponsibility,
                    Subscriber = _subscriber,
                    Patient = _patient,
                };
                break;
            case SegmentIds.HI when _claim is not null:
                for (var element = 1; element <= 12; element++)
                {
                    var qualifier = segment.Text(element, 1);
                    var code = segment.Text(element, 2);
                    if (qualifier is not null && code is not null && DiagnosisQualifiers.Contains(qualifier))
                    {
                        _diagnoses.Add(new Diagnosis(qualifier, code));
                    }
                }

                break;
            case SegmentIds.LX when _claim is not null:
                CloseLine();
                var number = X12Text.IntOrZero(segment.Element(1));
                _line = new ServiceLine { LineNumber = number };
                break;
            case SegmentIds.SV1 when _claim is not null:
                _line ??= new ServiceLine { LineNumber = _lines.Count + 1 };
                _line = _line with
                {
                    ProcedureQualifier = segment.Text(1, 1),
                    ProcedureCode = segment.Text(1, 2),
                    Modifiers = Modifiers(segment, 1),
                    Charge = Context.Amount(segment, 2),
                    UnitCode = segment.Text(3),
                    Quantity = Context.OptionalAmount(segment, 4),
                    DiagnosisPointers = Pointers(segment, 7),
                };
                break;
            case SegmentIds.SV2 when _claim is not null:
                _line ??= new ServiceLine { LineNumber = _lines.Count + 1 };
                _line = _line with
                {
                    RevenueCode = segment.Text(1),
                    ProcedureQualifier = segment.Text(2, 1),
                    ProcedureCode = segment.Text(2, 2),
                    Modifiers = Modifiers(segment, 2),
                    Charge = Context.Amount(segment, 3),
                    UnitCode = segment.Text(4),
                    Quantity = Context.OptionalAmount(segment, 5),
                };
                break;
            case SegmentIds.DTP when _line is not null && segment.Element(1).SequenceEqual("472"u8):
                var value = segment.Element(3);
                var dash = value.IndexOf((byte)'-');
                if (X12Text.TryParseDate(dash >= 0 ? value[..dash] : value, out var date))
                {
                    _line = _line with { ServiceDate = date };
                }
                else
                {
                    Context.ElementError(segment, 3, 0, "8", "DTP03 is not a valid date or date range", TransactionContext.Truncate(value));
                }

                break;
            default:
                break;
        }
    }

    public override void Complete(bool retainDocument)
    {
        CloseClaim();
        if (!_sawBht)
        {
            Context.SegmentError("BHT", Context.Set.StartPosition + 1, 2, "3", "mandatory BHT segment is missing");
        }

        if (!_sawHl)
        {
            Context.SegmentError("HL", Context.Set.StartPosition + 1, 2, "3", "mandatory HL (billing provider) segment is missing");
        }

        if (retainDocument)
        {
            Context.Set.ClaimBatch = _header with { Claims = _claims };
        }
    }

    private void ReadName(in X12Segment segment)
    {
        var entity = X12Text.ToText(segment.Element(1));

        // NM1 loops inside a claim (2310x providers, 2330x other subscriber/payer) describe the claim,
        // not the hierarchy; other-subscriber names are dropped so they cannot leak.
        if (_claim is not null)
        {
            return;
        }

        _nameLoop = entity;
        switch (entity)
        {
            case "41":
                _header = _header with { SubmitterName = segment.Text(3) };
                break;
            case "40":
                _header = _header with { ReceiverName = segment.Text(3) };
                break;
            case "85":
                _providerName = segment.Text(3);
                _providerNpi = segment.Element(8).SequenceEqual("XX"u8) ? segment.Text(9) : null;
                _providerTaxId = null;
                break;
            case "IL":
                _subscriber = Context.Person(segment);
                break;
            case "QC":
                _patient = Context.Person(segment);
                break;
            case "PR":
                _payerName = segment.Text(3);
                _payerId = segment.Text(9);
                break;
            default:
                break;
        }
    }

    private static List<int> Pointers(in X12Segment segment, int element)
    {
        var list = new List<int>();
        for (var c = 1; c <= 4; c++)
        {
            if (X12Text.TryParseInt(segment.Component(element, c), out var pointer))
            {
                list.Add(pointer);
            }
        }

        return list;
    }

    private void CloseLine()
    {
        if (_line is not null)
        {
            _lines.Add(_line);
        }

        _line = null;
    }

    private void CloseClaim()
    {
        CloseLine();
        if (_claim is not null)
        {
            _claims.Add(_claim with { Diagnoses = _diagnoses, ServiceLines = _lines });
            _diagnoses = [];
            _lines = [];
        }

        _claim = null;
    }
}
