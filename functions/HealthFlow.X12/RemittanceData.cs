namespace HealthFlow.X12;

/// <summary>
/// One 835 transaction set as the parser reads it: the header and provider adjustments as in <see cref="Remittance"/>,
/// the claims, service lines, adjustments and remark codes as records in flat arrays, a claim's or line's items as a
/// range of them. One instance serves every 835 set of a parse, cleared as each set starts, so reading a set allocates
/// only the strings it keeps (codes come from the shared cache) instead of about fourteen objects per claim.
/// </summary>
/// <remarks>
/// <see cref="ToRemittance"/> makes the public document of it; the canonical events are written from it directly
/// (HealthFlow.Pipeline's RemittanceJson). Valid until the next 835 set of the parse starts.
/// </remarks>
internal sealed class RemittanceData
{
    /// <summary>The set's header fields (BPR, TRN, N1); its claim and provider adjustment lists are not used.</summary>
    public Remittance Header { get; set; } = new();

    public Records<ClaimRecord> Claims { get; } = new();

    public Records<LineRecord> Lines { get; } = new();

    /// <summary>Claim-level CAS adjustments; a claim's are <see cref="ClaimRecord.Adjustments"/> of them.</summary>
    public Records<Adjustment> ClaimAdjustments { get; } = new();

    /// <summary>Service-line CAS adjustments; a line's are <see cref="LineRecord.Adjustments"/> of them.</summary>
    public Records<Adjustment> LineAdjustments { get; } = new();

    /// <summary>MIA/MOA remark codes of the claims.</summary>
    public Records<string> ClaimRemarks { get; } = new();

    /// <summary>LQ remark codes of the service lines.</summary>
    public Records<string> LineRemarks { get; } = new();

    public List<ProviderAdjustment> ProviderAdjustments { get; } = [];

    /// <summary>BPR02 − (Σ CLP04 − Σ PLB amounts), summed in the order <see cref="Remittance.Difference"/> sums.</summary>
    public decimal Difference
    {
        get
        {
            var expected = 0m;
            foreach (ref readonly var claim in Claims.Span)
            {
                expected += claim.Paid;
            }

            foreach (var adjustment in ProviderAdjustments)
            {
                expected -= adjustment.Amount;
            }

            return Header.PaymentAmount - expected;
        }
    }

    /// <summary>This, emptied for the next set.</summary>
    public RemittanceData Cleared()
    {
        Header = new();
        Claims.Clear();
        Lines.Clear();
        ClaimAdjustments.Clear();
        LineAdjustments.Clear();
        ClaimRemarks.Clear();
        LineRemarks.Clear();
        ProviderAdjustments.Clear();
        return this;
    }

    /// <summary>(Charge − Paid) − Σ the claim's and its lines' CAS, summed as <see cref="ClaimPayment.Difference"/> sums.</summary>
    public bool IsBalanced(in ClaimRecord claim)
    {
        var total = Adjustment.Sum(ClaimAdjustments.Span[claim.Adjustments]);
        foreach (ref readonly var line in Lines.Span[claim.Lines])
        {
            total += Adjustment.Sum(LineAdjustments.Span[line.Adjustments]);
        }

        return claim.Charge - claim.Paid - total == 0m;
    }

    /// <summary>The public document: the same values as objects, each collection an exact-size array.</summary>
    public Remittance ToRemittance()
    {
        var claims = new ClaimPayment[Claims.Count];
        for (var c = 0; c < claims.Length; c++)
        {
            ref readonly var record = ref Claims.Span[c];
            var lines = Lines.Span[record.Lines];
            var payments = lines.IsEmpty ? null : new ServicePayment[lines.Length];
            for (var l = 0; l < lines.Length; l++)
            {
                ref readonly var line = ref lines[l];
                payments![l] = new ServicePayment
                {
                    ProcedureQualifier = line.ProcedureQualifier,
                    ProcedureCode = line.ProcedureCode,
                    Modifiers = line.Modifiers,
                    Charge = line.Charge,
                    Paid = line.Paid,
                    RevenueCode = line.RevenueCode,
                    Units = line.Units,
                    ServiceDate = line.ServiceDate,
                    AdjustmentArray = ArrayOf(LineAdjustments.Span[line.Adjustments]),
                    RemarkArray = ArrayOf(LineRemarks.Span[line.Remarks]),
                };
            }

            claims[c] = new ClaimPayment
            {
                PatientControlNumber = record.PatientControlNumber,
                Status = record.Status,
                Charge = record.Charge,
                Paid = record.Paid,
                PatientResponsibility = record.PatientResponsibility,
                FilingIndicator = record.FilingIndicator,
                PayerClaimControlNumber = record.PayerClaimControlNumber,
                FacilityCode = record.FacilityCode,
                FrequencyCode = record.FrequencyCode,
                Patient = record.Patient,
                Subscriber = record.Subscriber,
                StatementFrom = record.StatementFrom,
                StatementTo = record.StatementTo,
                AdjustmentArray = ArrayOf(ClaimAdjustments.Span[record.Adjustments]),
                LineArray = payments,
                RemarkArray = ArrayOf(ClaimRemarks.Span[record.Remarks]),
            };
        }

        return Header with { Claims = claims, ProviderAdjustments = [.. ProviderAdjustments] };
    }

    /// <summary>The records of a public document (for writing a hand-made document as a parsed one is written).</summary>
    public static RemittanceData Of(Remittance remittance)
    {
        var data = new RemittanceData { Header = remittance with { Claims = [], ProviderAdjustments = [] } };
        data.ProviderAdjustments.AddRange(remittance.ProviderAdjustments);
        foreach (var claim in remittance.Claims)
        {
            data.Claims.Add() = new ClaimRecord
            {
                PatientControlNumber = claim.PatientControlNumber,
                Status = claim.Status,
                Charge = claim.Charge,
                Paid = claim.Paid,
                PatientResponsibility = claim.PatientResponsibility,
                FilingIndicator = claim.FilingIndicator,
                PayerClaimControlNumber = claim.PayerClaimControlNumber,
                FacilityCode = claim.FacilityCode,
                FrequencyCode = claim.FrequencyCode,
                Patient = claim.Patient,
                Subscriber = claim.Subscriber,
                StatementFrom = claim.StatementFrom,
                StatementTo = claim.StatementTo,
                Adjustments = data.ClaimAdjustments.AddRange(claim.Adjustments),
                Remarks = data.ClaimRemarks.AddRange(claim.RemarkCodes),
                Lines = new Range(data.Lines.Count, data.Lines.Count + claim.ServiceLines.Count),
            };
            foreach (var line in claim.ServiceLines)
            {
                data.Lines.Add() = new LineRecord
                {
                    ProcedureQualifier = line.ProcedureQualifier,
                    ProcedureCode = line.ProcedureCode,
                    Modifiers = line.Modifiers,
                    Charge = line.Charge,
                    Paid = line.Paid,
                    RevenueCode = line.RevenueCode,
                    Units = line.Units,
                    ServiceDate = line.ServiceDate,
                    Adjustments = data.LineAdjustments.AddRange(line.Adjustments),
                    Remarks = data.LineRemarks.AddRange(line.RemarkCodes),
                };
            }
        }

        return data;
    }

    private static T[]? ArrayOf<T>(ReadOnlySpan<T> items) => items.IsEmpty ? null : items.ToArray();
}

/// <summary>A growable array of records, reused from one transaction set to the next.</summary>
internal sealed class Records<T>
{
    private T[] _items = new T[16];

    public int Count { get; private set; }

    public Span<T> Span => _items.AsSpan(0, Count);

    /// <summary>A new last record, to be filled in place (it may hold a previous set's values).</summary>
    public ref T Add()
    {
        if (Count == _items.Length)
        {
            Array.Resize(ref _items, _items.Length * 2);
        }

        return ref _items[Count++];
    }

    /// <summary>Adds <paramref name="items"/>; returns where they are.</summary>
    public Range AddRange(IReadOnlyList<T> items)
    {
        var start = Count;
        foreach (var item in items)
        {
            Add() = item;
        }

        return new Range(start, Count);
    }

    /// <summary>Forgets the records; their slots are overwritten, not cleared (what they refer to stays alive until then: the largest set's worth at most).</summary>
    public void Clear() => Count = 0;
}

/// <summary>An 835 CLP claim payment (see <see cref="ClaimPayment"/>) with its adjustments, lines and remarks as ranges.</summary>
internal struct ClaimRecord
{
    public string PatientControlNumber;
    public string Status;
    public decimal Charge;
    public decimal Paid;
    public decimal? PatientResponsibility;
    public string? FilingIndicator;
    public string? PayerClaimControlNumber;
    public string? FacilityCode;
    public string? FrequencyCode;
    public PersonTokens? Patient;
    public PersonTokens? Subscriber;
    public DateOnly? StatementFrom;
    public DateOnly? StatementTo;
    public Range Adjustments;
    public Range Lines;
    public Range Remarks;

    public readonly bool IsReversal => Status == ClaimPayment.ReversalStatus;

    public readonly bool IsDenied => Status == ClaimPayment.DeniedStatus;
}

/// <summary>An 835 SVC service line payment (see <see cref="ServicePayment"/>) with its adjustments and remarks as ranges.</summary>
internal struct LineRecord
{
    public string? ProcedureQualifier;
    public string? ProcedureCode;
    public IReadOnlyList<string> Modifiers;
    public decimal Charge;
    public decimal Paid;
    public string? RevenueCode;
    public decimal? Units;
    public DateOnly? ServiceDate;
    public Range Adjustments;
    public Range Remarks;
}
