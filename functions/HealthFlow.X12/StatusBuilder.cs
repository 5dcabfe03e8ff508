namespace HealthFlow.X12;

/// <summary>Reads a 277CA (005010X214) or 277 (X212) into STC statuses with their HL context.</summary>
internal sealed class StatusBuilder(TransactionContext context) : TransactionBuilder(context)
{
    private readonly List<ClaimStatus> _statuses = [];
    private string? _referenceId;
    private string? _level;
    private string? _tracking;
    private PersonTokens? _patient;
    private int _levelStart;

    public override void Add(in X12Segment segment, int id)
    {
        switch (id)
        {
            case SegmentIds.BHT:
                _referenceId = segment.Text(3);
                break;
            case SegmentIds.HL:
                _level = segment.Text(3);
                _tracking = null;
                _patient = null;
                _levelStart = _statuses.Count;
                break;
            case SegmentIds.NM1 when segment.Element(1).SequenceEqual("QC"u8) || segment.Element(1).SequenceEqual("IL"u8):
                _patient = Context.Person(segment);
                break;
            case SegmentIds.TRN:
                _tracking = segment.Text(2);
                UpdateLevel(s => s with { ClaimTrackingNumber = _tracking });
                break;
            case SegmentIds.STC:
                var category = segment.Text(1, 1);
                if (category is null)
                {
                    Context.ElementError(segment, 1, 1, "1", "STC01-1 status category code is missing");
                    break;
                }

                _statuses.Add(new ClaimStatus
                {
                    CategoryCode = category,
                    StatusCode = segment.Text(1, 2),
                    EntityCode = segment.Text(1, 3),
                    StatusDate = Context.Date(segment, 2),
                    Amount = Context.OptionalAmount(segment, 4),
                    ClaimTrackingNumber = _tracking,
                    Patient = _patient,
                    Level = _level,
                });
                break;
            case SegmentIds.REF when segment.Element(1).SequenceEqual("1K"u8):
                var payerClaim = segment.Text(2);
                UpdateLevel(s => s with { PayerClaimControlNumber = payerClaim });
                break;
            default:
                break;
        }
    }

    public override void Complete(bool retainDocument)
    {
        if (retainDocument)
        {
            Context.Set.ClaimStatusReport = new ClaimStatusReport { ReferenceId = _referenceId, Statuses = _statuses };
        }
    }

    private void UpdateLevel(Func<ClaimStatus, ClaimStatus> update)
    {
        for (var i = _levelStart; i < _statuses.Count; i++)
        {
            _statuses[i] = update(_statuses[i]);
        }
    }
}

/// <summary>Reads a 999 (005010X231A1) a partner sent back into a <see cref="FunctionalAcknowledgement"/>.</summary>
internal sealed class AcknowledgementBuilder(TransactionContext context) : TransactionBuilder(context)
{
    private readonly List<TransactionSetResponse> _responses = [];
    private FunctionalAcknowledgement? _ack;
    private TransactionSetResponse? _response;
    private List<SegmentErrorNote> _segmentErrors = [];
    private List<ElementErrorNote>? _elementErrors;

    public override void Add(in X12Segment segment, int id)
    {
        switch (id)
        {
            case SegmentIds.AK1:
                _ack = new FunctionalAcknowledgement
                {
                    FunctionalIdentifierCode = segment.Text(1) ?? "",
                    GroupControlNumber = segment.Text(2) ?? "",
                    Version = segment.Text(3),
                };
                break;
            case SegmentIds.AK2:
                CloseResponse();
                _response = new TransactionSetResponse
                {
                    TransactionSetId = segment.Text(1) ?? "",
                    ControlNumber = segment.Text(2) ?? "",
                    ImplementationReference = segment.Text(3),
                };
                break;
            case SegmentIds.IK3:
                CloseSegmentError();
                var position = X12Text.IntOrZero(segment.Element(2));
                _segmentErrors.Add(new SegmentErrorNote(segment.Text(1) ?? "", position, segment.Text(3), segment.Text(4)));
                _elementErrors = [];
                break;
            case SegmentIds.IK4:
                var elementPosition = X12Text.IntOrZero(segment.Component(1, 1));
                var componentPosition = X12Text.IntOrZero(segment.Component(1, 2));
                (_elementErrors ??= []).Add(new ElementErrorNote(
                    elementPosition, componentPosition, segment.Text(2), segment.Text(3) ?? "", segment.Text(4)));
                break;
            case SegmentIds.IK5:
                if (_response is not null)
                {
                    CloseSegmentError();
                    _response = _response with
                    {
                        Status = Status(segment, 1),
                        SyntaxErrorCodes = Codes(segment, 2, 6),
                        SegmentErrors = _segmentErrors,
                    };
                    _segmentErrors = [];
                }

                break;
            case SegmentIds.AK9:
                CloseResponse();
                if (_ack is not null)
                {
                    var included = X12Text.IntOrZero(segment.Element(2));
                    var received = X12Text.IntOrZero(segment.Element(3));
                    var accepted = X12Text.IntOrZero(segment.Element(4));
                    _ack = _ack with
                    {
                        Status = Status(segment, 1),
                        IncludedCount = included,
                        ReceivedCount = received,
                        AcceptedCount = accepted,
                        SyntaxErrorCodes = Codes(segment, 5, 9),
                    };
                }

                break;
            default:
                break;
        }
    }

    public override void Complete(bool retainDocument)
    {
        CloseResponse();
        if (_ack is null)
        {
            Context.SegmentError("AK1", Context.Set.StartPosition + 1, 2, "3", "mandatory AK1 segment is missing");
            return;
        }

        if (retainDocument)
        {
            Context.Set.Acknowledgement = _ack with { TransactionSets = _responses };
        }
    }

    private X12AckStatus Status(in X12Segment segment, int element)
    {
        var status = X12AckStatusExtensions.FromCode(segment.Text(element));
        if (status is null)
        {
            Context.ElementError(segment, element, 0, "7", $"{segment.IdText}{element:00} is not a valid acknowledgement code",
                TransactionContext.Truncate(segment.Element(element)));
            return X12AckStatus.Rejected;
        }

        return status.Value;
    }

    private static List<string> Codes(in X12Segment segment, int from, int to)
    {
        var codes = new List<string>();
        for (var element = from; element <= to; element++)
        {
            var code = segment.Text(element);
            if (code is not null)
            {
                codes.Add(code);
            }
        }

        return codes;
    }

    private void CloseSegmentError()
    {
        if (_elementErrors is { Count: > 0 } && _segmentErrors.Count > 0)
        {
            _segmentErrors[^1] = _segmentErrors[^1] with { ElementErrors = _elementErrors };
        }

        _elementErrors = null;
    }

    private void CloseResponse()
    {
        CloseSegmentError();
        if (_response is not null)
        {
            if (_segmentErrors.Count > 0)
            {
                _response = _response with { SegmentErrors = _segmentErrors };
                _segmentErrors = [];
            }

            _responses.Add(_response);
        }

        _response = null;
    }
}
