namespace HealthFlow.X12;

/// <summary>Reads an 835 (005010X221A1) into <see cref="RemittanceData"/> records, loop by loop.</summary>
internal sealed class RemittanceBuilder(TransactionContext context, RemittanceData data) : TransactionBuilder(context)
{
    // The open claim and line are the last records of data.Claims and data.Lines; their ranges close with them.
    private string? _nameLoop;
    private bool _claimOpen;
    private bool _lineOpen;
    private bool _sawBpr;
    private bool _sawTrn;

    public override void Add(in X12Segment segment, int id)
    {
        switch (id)
        {
            case SegmentIds.BPR:
                _sawBpr = true;
                data.Header = data.Header with
                {
                    TransactionHandlingCode = segment.Text(1),
                    PaymentAmount = Context.Amount(segment, 2),
                    CreditDebitFlag = segment.Text(3),
                    PaymentMethod = segment.Text(4),
                    PaymentDate = Context.Date(segment, 16),
                };
                break;
            case SegmentIds.TRN when !_claimOpen && !_sawTrn:
                _sawTrn = true;
                data.Header = data.Header with { TraceNumber = segment.Text(2), OriginatingCompanyId = segment.Text(3) };
                break;
            case SegmentIds.N1:
                _nameLoop = segment.Text(1);
                if (_nameLoop == "PR")
                {
                    data.Header = data.Header with { PayerName = segment.Text(2), PayerId = segment.Text(4) };
                }
                else if (_nameLoop == "PE")
                {
                    data.Header = data.Header with { PayeeName = segment.Text(2), PayeeIdQualifier = segment.Text(3), PayeeId = segment.Text(4) };
                }

                break;
            case SegmentIds.REF when !_claimOpen && _nameLoop == "PR" && data.Header.PayerId is null && segment.Element(1).SequenceEqual("2U"u8):
                data.Header = data.Header with { PayerId = segment.Text(2) };
                break;
            case SegmentIds.LX:
                CloseClaim();
                _nameLoop = null;
                break;
            case SegmentIds.CLP:
                CloseClaim();
                ReadClaim(segment);
                break;
            case SegmentIds.CAS:
                if (_lineOpen)
                {
                    ReadAdjustments(segment, data.LineAdjustments);
                }
                else if (_claimOpen)
                {
                    ReadAdjustments(segment, data.ClaimAdjustments);
                }

                break;
            case SegmentIds.NM1 when _claimOpen:
                // Corrected patient (74) and other persons are not kept at all, so nothing leaks in clear.
                if (segment.Element(1).SequenceEqual("QC"u8))
                {
                    OpenClaim.Patient = Context.Person(segment);
                }
                else if (segment.Element(1).SequenceEqual("IL"u8))
                {
                    OpenClaim.Subscriber = Context.Person(segment);
                }

                break;
            case SegmentIds.MIA when _claimOpen:
                AddRemarks(segment, 5, 20, 21, 22, 23);
                break;
            case SegmentIds.MOA when _claimOpen:
                AddRemarks(segment, 3, 4, 5, 6, 7);
                break;
            case SegmentIds.DTM:
                ReadDate(segment);
                break;
            case SegmentIds.SVC when _claimOpen:
                CloseLine();
                ReadLine(segment);
                break;
            case SegmentIds.LQ when _lineOpen:
                data.LineRemarks.Add() = RemarkCode(segment);
                break;
            case SegmentIds.PLB:
                CloseClaim();
                ReadProviderAdjustments(segment);
                break;
            default:
                break;
        }
    }

    private ref ClaimRecord OpenClaim => ref data.Claims.Span[^1];

    private ref LineRecord OpenLine => ref data.Lines.Span[^1];

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
            Context.Set.RemittanceData = data;
        }
    }

    // The records are filled in place, field by field in element order (the order errors are reported in): built as a
    // new struct and copied, each would be a large stack temporary that Add's frame clears for every segment.
    private void ReadClaim(in X12Segment segment)
    {
        _claimOpen = true;
        ref var claim = ref data.Claims.Add();
        claim = default;
        claim.PatientControlNumber = segment.Text(1) ?? "";
        claim.Status = Context.Code(segment, 2) ?? "";
        claim.Charge = Context.Amount(segment, 3);
        claim.Paid = Context.Amount(segment, 4);
        claim.PatientResponsibility = Context.OptionalAmount(segment, 5);
        claim.FilingIndicator = Context.Code(segment, 6);
        claim.PayerClaimControlNumber = segment.Text(7);
        claim.FacilityCode = Context.Code(segment, 8);
        claim.FrequencyCode = Context.Code(segment, 9);
        claim.Adjustments = Empty(data.ClaimAdjustments);
        claim.Lines = Empty(data.Lines);
        claim.Remarks = Empty(data.ClaimRemarks);
    }

    private void ReadLine(in X12Segment segment)
    {
        _lineOpen = true;
        ref var line = ref data.Lines.Add();
        line = default;

        // SVC01 = qualifier:code:modifiers, split in one pass.
        var procedure = segment.Element(1);
        var separator = segment.Delimiters.Component;
        line.ProcedureQualifier = Context.Codes.Get(X12Text.TakeComponent(ref procedure, separator));
        line.ProcedureCode = Context.Codes.Get(X12Text.TakeComponent(ref procedure, separator));
        line.Modifiers = Modifiers(procedure, separator);
        line.Charge = Context.Amount(segment, 2);
        line.Paid = Context.Amount(segment, 3);
        line.RevenueCode = Context.Code(segment, 4);
        line.Units = Context.OptionalAmount(segment, 5);
        line.Adjustments = Empty(data.LineAdjustments);
        line.Remarks = Empty(data.LineRemarks);
    }

    private void ReadAdjustments(in X12Segment segment, Records<Adjustment> into)
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
            into.Add() = new Adjustment(group, Context.Codes.Get(reason)!, amount, Context.OptionalAmount(segment, element + 2));
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
            data.ProviderAdjustments.Add(new ProviderAdjustment(
                provider, period, segment.Text(element, 1) ?? "", segment.Text(element, 2), amount));
        }
    }

    private void ReadDate(in X12Segment segment)
    {
        var qualifier = segment.Element(1);
        if (_lineOpen)
        {
            if (qualifier.SequenceEqual("472"u8) || qualifier.SequenceEqual("150"u8))
            {
                OpenLine.ServiceDate ??= Context.Date(segment, 2);
            }
        }
        else if (_claimOpen)
        {
            if (qualifier.SequenceEqual("232"u8))
            {
                OpenClaim.StatementFrom = Context.Date(segment, 2);
            }
            else if (qualifier.SequenceEqual("233"u8))
            {
                OpenClaim.StatementTo = Context.Date(segment, 2);
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
                data.ClaimRemarks.Add() = code;
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
        if (_lineOpen)
        {
            ref var line = ref OpenLine;
            line.Adjustments = line.Adjustments.Start..data.LineAdjustments.Count;
            line.Remarks = line.Remarks.Start..data.LineRemarks.Count;
        }

        _lineOpen = false;
    }

    private void CloseClaim()
    {
        CloseLine();
        if (_claimOpen)
        {
            ref var claim = ref OpenClaim;
            claim.Adjustments = claim.Adjustments.Start..data.ClaimAdjustments.Count;
            claim.Lines = claim.Lines.Start..data.Lines.Count;
            claim.Remarks = claim.Remarks.Start..data.ClaimRemarks.Count;
        }

        _claimOpen = false;
    }

    /// <summary>No items yet, where the open claim's or line's will be added.</summary>
    private static Range Empty<T>(Records<T> items) => items.Count..items.Count;
}
