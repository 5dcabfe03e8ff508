namespace HealthFlow.X12;

/// <summary>Reads an 835 (005010X221A1) into a <see cref="Remittance"/>, loop by loop.</summary>
internal sealed class RemittanceBuilder(TransactionContext context) : TransactionBuilder(context)
{
    private readonly List<ClaimPayment> _claims = [];
    private readonly List<ProviderAdjustment> _providerAdjustments = [];

    // Scratch collections of the open claim and line, reused for every claim of the set: a closed claim or
    // line gets exact-size arrays (one allocation each, none when empty) instead of its own growing Lists.
    private readonly Scratch<Adjustment> _claimAdjustments = new();
    private readonly Scratch<Adjustment> _lineAdjustments = new();
    private readonly Scratch<ServicePayment> _lines = new();
    private readonly Scratch<string> _claimRemarks = new();
    private readonly Scratch<string> _lineRemarks = new();
    private Remittance _header = new();
    private string? _nameLoop;
    private ClaimPayment? _claim;
    private ServicePayment? _line;
    private bool _sawBpr;
    private bool _sawTrn;

    public override void Add(in X12Segment segment, int id)
    {
        switch (id)
        {
            case SegmentIds.BPR:
                _sawBpr = true;
                _header = _header with
                {
                    TransactionHandlingCode = segment.Text(1),
                    PaymentAmount = Context.Amount(segment, 2),
                    CreditDebitFlag = segment.Text(3),
                    PaymentMethod = segment.Text(4),
                    PaymentDate = Context.Date(segment, 16),
                };
                break;
            case SegmentIds.TRN when _claim is null && !_sawTrn:
                _sawTrn = true;
                _header = _header with { TraceNumber = segment.Text(2), OriginatingCompanyId = segment.Text(3) };
                break;
            case SegmentIds.N1:
                _nameLoop = segment.Text(1);
                if (_nameLoop == "PR")
                {
                    _header = _header with { PayerName = segment.Text(2), PayerId = segment.Text(4) };
                }
                else if (_nameLoop == "PE")
                {
                    _header = _header with { PayeeName = segment.Text(2), PayeeIdQualifier = segment.Text(3), PayeeId = segment.Text(4) };
                }

                break;
            case SegmentIds.REF when _claim is null && _nameLoop == "PR" && _header.PayerId is null && segment.Element(1).SequenceEqual("2U"u8):
                _header = _header with { PayerId = segment.Text(2) };
                break;
            case SegmentIds.LX:
                CloseClaim();
                _nameLoop = null;
                break;
            case SegmentIds.CLP:
                CloseClaim();
                _claim = new ClaimPayment
                {
                    PatientControlNumber = segment.Text(1) ?? "",
                    Status = Context.Code(segment, 2) ?? "",
                    Charge = Context.Amount(segment, 3),
                    Paid = Context.Amount(segment, 4),
                    PatientResponsibility = Context.OptionalAmount(segment, 5),
                    FilingIndicator = Context.Code(segment, 6),
                    PayerClaimControlNumber = segment.Text(7),
                    FacilityCode = Context.Code(segment, 8),
                    FrequencyCode = Context.Code(segment, 9),
                };
                break;
            case SegmentIds.CAS:
                if (_line is not null)
                {
                    ReadAdjustments(segment, _lineAdjustments);
                }
                else if (_claim is not null)
                {
                    ReadAdjustments(segment, _claimAdjustments);
                }

                break;
            case SegmentIds.NM1 when _claim is not null:
                // Corrected patient (74) and other persons are not kept at all, so nothing leaks in clear.
                if (segment.Element(1).SequenceEqual("QC"u8))
                {
                    _claim.Patient = Context.Person(segment);
                }
                else if (segment.Element(1).SequenceEqual("IL"u8))
                {
                    _claim.Subscriber = Context.Person(segment);
                }

                break;
            case SegmentIds.MIA when _claim is not null:
                AddRemarks(segment, 5, 20, 21, 22, 23);
                break;
            case SegmentIds.MOA when _claim is not null:
                AddRemarks(segment, 3, 4, 5, 6, 7);
                break;
            case SegmentIds.DTM:
                ReadDate(segment);
                break;
            case SegmentIds.SVC when _claim is not null:
                CloseLine();

                // SVC01 = qualifier:code:modifiers, split in one pass (initialisers run in the order written).
                var procedure = segment.Element(1);
                var separator = segment.Delimiters.Component;
                _line = new ServicePayment
                {
                    ProcedureQualifier = Context.Codes.Get(X12Text.TakeComponent(ref procedure, separator)),
                    ProcedureCode = Context.Codes.Get(X12Text.TakeComponent(ref procedure, separator)),
                    Modifiers = Modifiers(procedure, separator),
                    Charge = Context.Amount(segment, 2),
                    Paid = Context.Amount(segment, 3),
                    RevenueCode = Context.Code(segment, 4),
                    Units = Context.OptionalAmount(segment, 5),
                };
                break;
            case SegmentIds.LQ when _line is not null:
                _lineRemarks.Add(RemarkCode(segment));
                break;
            case SegmentIds.PLB:
                CloseClaim();
                ReadProviderAdjustments(segment);
                break;
            default:
                break;
        }
    }

    public override void Complete(bool retainDocument)
    {
        CloseClaim();
        if (!_sawBpr)
        {
            Context.SegmentError("BPR", Context.Set.StartPosition + 1, 2, "3", "mandatory BPR segment is missing");
        }

        if (!_sawTrn)
        {
            Context.SegmentError("TRN", Context.Set.StartPosition + 2, 3, "3", "mandatory TRN segment is missing");
        }

        if (retainDocument)
        {
            Context.Set.Remittance = _header with { Claims = _claims, ProviderAdjustments = _providerAdjustments };
        }
    }

    private void ReadAdjustments(in X12Segment segment, Scratch<Adjustment> into)
    {
        var group = Context.Code(segment, 1) ?? "";

        // CAS carries up to six reason/amount/quantity triplets: CAS02-04, 05-07, ... 17-19.
        for (var element = 2; element <= 17 && element <= segment.ElementCount; element += 3)
        {
            var reason = segment.Element(element);
            if (reason.IsEmpty)
            {
                continue;
            }

            var amount = Context.Amount(segment, element + 1);
            into.Add(new Adjustment(group, Context.Codes.Get(reason)!, amount, Context.OptionalAmount(segment, element + 2)));
        }
    }

    private void ReadProviderAdjustments(in X12Segment segment)
    {
        var provider = segment.Text(1);
        var period = Context.Date(segment, 2);

        // PLB03/04 then up to five more reason/amount pairs.
        for (var element = 3; element <= 13; element += 2)
        {
            var reason = segment.Element(element);
            if (reason.IsEmpty)
            {
                continue;
            }

            var amount = Context.Amount(segment, element + 1);
            _providerAdjustments.Add(new ProviderAdjustment(
                provider, period, segment.Text(element, 1) ?? "", segment.Text(element, 2), amount));
        }
    }

    private void ReadDate(in X12Segment segment)
    {
        var qualifier = segment.Element(1);
        if (_line is not null)
        {
            if (qualifier.SequenceEqual("472"u8) || qualifier.SequenceEqual("150"u8))
            {
                _line.ServiceDate ??= Context.Date(segment, 2);
            }
        }
        else if (_claim is not null)
        {
            if (qualifier.SequenceEqual("232"u8))
            {
                _claim.StatementFrom = Context.Date(segment, 2);
            }
            else if (qualifier.SequenceEqual("233"u8))
            {
                _claim.StatementTo = Context.Date(segment, 2);
            }
        }
        else
        {
            _ = Context.Date(segment, 2);
        }
    }

    private void AddRemarks(in X12Segment segment, params ReadOnlySpan<int> elements)
    {
        foreach (var element in elements)
        {
            var code = Context.Code(segment, element);
            if (code is not null)
            {
                _claimRemarks.Add(code);
            }
        }
    }

    /// <summary>"HE:N130": LQ01 and LQ02 joined; cached because a remittance repeats a handful of remarks.</summary>
    private string RemarkCode(in X12Segment segment)
    {
        var qualifier = segment.Element(1);
        var code = segment.Element(2);
        if (segment.ElementCount < 2)
        {
            return (Context.Codes.Get(qualifier) ?? "") + ":";
        }

        // LQ01*LQ02 lie next to each other in the raw segment: cache on those bytes, separator shown as ':'.
        var start = segment.Id.Length + 1;
        return Context.Codes.Get(segment.Raw.Slice(start, qualifier.Length + 1 + code.Length), segment.Delimiters.Element) ?? "";
    }

    private void CloseLine()
    {
        if (_line is not null)
        {
            _line.AdjustmentArray = _lineAdjustments.Drain();
            _line.RemarkArray = _lineRemarks.Drain();
            if (_claim is not null)
            {
                _lines.Add(_line);
            }
        }

        _line = null;
    }

    private void CloseClaim()
    {
        CloseLine();
        if (_claim is not null)
        {
            _claim.AdjustmentArray = _claimAdjustments.Drain();
            _claim.LineArray = _lines.Drain();
            _claim.RemarkArray = _claimRemarks.Drain();
            _claims.Add(_claim);
        }

        _claim = null;
    }

    /// <summary>
    /// Items of the open claim or line, handed over as an exact-size array when it closes. Slots are overwritten, not
    /// cleared, when it starts again (the stale items belong to this set's document, which is alive anyway), and
    /// the array is filled by a loop: for one to three items that is cheaper than List.ToArray's bulk copy, which
    /// for items holding references goes through the runtime, and List.Clear.
    /// </summary>
    private sealed class Scratch<T>
    {
        private T[] _items = new T[4];
        private int _count;

        public void Add(T item)
        {
            if (_count == _items.Length)
            {
                Array.Resize(ref _items, _items.Length * 2);
            }

            _items[_count++] = item;
        }

        /// <summary>The items as an exact-size array (null when none); the scratch starts again empty.</summary>
        public T[]? Drain()
        {
            if (_count == 0)
            {
                return null;
            }

            // Span to span: no covariance check per element as an array store of a shared generic T would make.
            var items = new T[_count];
            var source = _items.AsSpan(0, _count);
            var target = items.AsSpan();
            for (var i = 0; i < target.Length; i++)
            {
                target[i] = source[i];
            }

            _count = 0;
            return items;
        }
    }
}
