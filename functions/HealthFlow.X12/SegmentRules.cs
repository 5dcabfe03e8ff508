using System.Collections.Frozen;

namespace HealthFlow.X12;

/// <summary>Which transaction kinds a segment may appear in.</summary>
[Flags]
internal enum SegmentUse
{
    None = 0,
    Remittance = 1,
    Claim = 2,
    Status = 4,
    Ack = 8,
    Other = 16,
    All = Remittance | Claim | Status | Ack | Other,
}

/// <summary>A light dictionary of 5010 segments: where each may appear and which elements are mandatory.</summary>
/// <remarks>
/// This is not a full implementation guide: it knows enough to give the IK3/IK4 answers partners expect
/// for the common faults (unknown segment, segment from another transaction, missing mandatory element).
/// </remarks>
/// <param name="Use">Transactions the segment may appear in.</param>
/// <param name="Required">Mandatory element positions.</param>
internal sealed record SegmentRule(SegmentUse Use, int[] Required)
{
    /// <summary>Order within an N1/NM1 name loop: N2 1, N3 2, N4 3, REF 4; -1 neutral (PER, DMG); 0 leaves the loop.</summary>
    public int NameLoopRank { get; init; }
}

internal static class SegmentRules
{
    private static readonly FrozenDictionary<int, SegmentRule> Rules = Build();

    // Direct lookup table over the 2–3 character id space (A–Z, 0–9, or none for the third): one array read
    // per segment instead of a hash lookup.
    private static readonly SegmentRule?[] Table = BuildTable();

    public static int Pack(ReadOnlySpan<byte> id) => id.Length switch
    {
        2 => (id[0] << 16) | (id[1] << 8),
        3 => (id[0] << 16) | (id[1] << 8) | id[2],
        _ => -1,
    };

    public static int Pack(string id) => id.Length switch
    {
        2 => (id[0] << 16) | (id[1] << 8),
        3 => (id[0] << 16) | (id[1] << 8) | id[2],
        _ => -1,
    };

    /// <summary>2–3 characters, upper-case letters and digits, starting with a letter.</summary>
    public static bool IsWellFormedId(ReadOnlySpan<byte> id)
    {
        if (id.Length is < 2 or > 3 || id[0] is < (byte)'A' or > (byte)'Z')
        {
            return false;
        }

        foreach (var b in id)
        {
            if (b is not (>= (byte)'A' and <= (byte)'Z' or >= (byte)'0' and <= (byte)'9'))
            {
                return false;
            }
        }

        return true;
    }

    public static SegmentRule? Find(int packed)
    {
        var index = TableIndex(packed);
        return index >= 0 ? Table[index] : null;
    }

    private static int Symbol(int c) => c switch
    {
        0 => 0,
        >= 'A' and <= 'Z' => c - 'A' + 1,
        >= '0' and <= '9' => c - '0' + 27,
        _ => -1,
    };

    private static int TableIndex(int packed)
    {
        if (packed < 0)
        {
            return -1;
        }

        var a = Symbol((packed >> 16) & 0xFF);
        var b = Symbol((packed >> 8) & 0xFF);
        var c = Symbol(packed & 0xFF);
        return a <= 0 || b <= 0 || c < 0 ? -1 : (((a * 37) + b) * 37) + c;
    }

    private static SegmentRule?[] BuildTable()
    {
        var table = new SegmentRule?[37 * 37 * 37];
        foreach (var (packed, rule) in Rules)
        {
            table[TableIndex(packed)] = rule;
        }

        return table;
    }

    public static SegmentUse UseOf(X12TransactionKind kind) => kind switch
    {
        X12TransactionKind.Remittance835 => SegmentUse.Remittance,
        X12TransactionKind.Professional837 or X12TransactionKind.Institutional837 => SegmentUse.Claim,
        X12TransactionKind.ClaimAcknowledgement277 or X12TransactionKind.ClaimStatus277 => SegmentUse.Status,
        X12TransactionKind.Acknowledgement999 => SegmentUse.Ack,
        _ => SegmentUse.All,
    };

    private static FrozenDictionary<int, SegmentRule> Build()
    {
        const SegmentUse R = SegmentUse.Remittance;
        const SegmentUse C = SegmentUse.Claim;
        const SegmentUse S = SegmentUse.Status;
        const SegmentUse A = SegmentUse.Ack;
        const SegmentUse O = SegmentUse.Other;
        var all = SegmentUse.All;
        var rules = new Dictionary<int, SegmentRule>();
        void Add(string id, SegmentUse use, params int[] required) => rules[Pack(id)] = new SegmentRule(use, required);

        Add("ST", all, 1, 2);
        Add("SE", all, 1, 2);

        // 835
        Add("BPR", R, 1, 2, 3, 4, 16);
        Add("TRN", R | S | O, 1, 2);
        Add("CUR", R | C | O, 1, 2);
        Add("N1", R | O, 1);
        Add("N2", R | C | O, 1);
        Add("N3", R | C | S | O, 1);
        Add("N4", R | C | S | O);
        Add("REF", all & ~A, 1, 2);
        Add("PER", R | C | S | O, 1);
        Add("DTM", R | O, 1, 2);
        Add("RDM", R, 1);
        Add("LX", R | C | O, 1);
        Add("TS3", R, 1, 2, 3, 4, 5);
        Add("TS2", R);
        Add("CLP", R, 1, 2, 3, 4);
        Add("CAS", R | C, 1, 2, 3);
        Add("NM1", R | C | S | O, 1, 2);
        Add("MIA", R, 1);
        Add("MOA", R | C);
        Add("AMT", R | C | S | O, 1, 2);
        Add("QTY", R | C | S | O, 1, 2);
        Add("SVC", R | S, 1, 2, 3);
        Add("LQ", R | C, 1, 2);
        Add("PLB", R, 1, 2, 3, 4);

        // 837
        Add("BHT", C | S | O, 1, 2);
        Add("HL", C | S | O, 1, 3);
        Add("PRV", C | O, 1, 2, 3);
        Add("SBR", C, 1);
        Add("PAT", C | O);
        Add("DMG", C | S | O);
        Add("CLM", C, 1, 2, 5);
        Add("DTP", C | S | O, 1, 2, 3);
        Add("PWK", C, 1, 2);
        Add("CN1", C, 1);
        Add("K3", C, 1);
        Add("NTE", C, 1, 2);
        Add("CR1", C);
        Add("CR2", C);
        Add("CR3", C);
        Add("CRC", C, 1, 2, 3);
        Add("HI", C, 1);
        Add("HCP", C, 1);
        Add("CL1", C);
        Add("SV1", C, 1, 2, 3, 4);
        Add("SV2", C, 1, 3);
        Add("SV5", C, 1, 2, 3);
        Add("MEA", C | O, 1, 2);
        Add("PS1", C, 1, 2);
        Add("LIN", C | O, 2, 3);
        Add("CTP", C, 4, 5);
        Add("SVD", C, 1, 2);
        Add("OI", C, 3, 6);
        Add("MOA", R | C);
        Add("FRM", C, 1);
        Add("SV3", C, 1, 2);
        Add("TOO", C);
        Add("SV4", C);
        Add("SV6", C);
        Add("SV7", C);
        Add("CR4", C);
        Add("CR5", C);
        Add("CR6", C);
        Add("CR7", C);
        Add("CR8", C);
        Add("HSD", C | O);

        // 277
        Add("STC", S, 1);

        // 999
        Add("AK1", A, 1, 2);
        Add("AK2", A, 1, 2);
        Add("IK3", A, 1, 2, 4);
        Add("CTX", A, 1);
        Add("IK4", A, 1, 3);
        Add("IK5", A, 1);
        Add("AK9", A, 1, 2, 3, 4);

        // Other 5010 transactions this library does not read but still tokenises (270/271/276/834...).
        foreach (var id in new[] { "EQ", "EB", "III", "AAA", "MSG", "INS", "HD", "IDC", "COB", "LS", "LE", "INV", "HSD", "MPI", "EC", "ICM", "LUI", "DSB", "BGN", "QTY" })
        {
            if (!rules.ContainsKey(Pack(id)))
            {
                Add(id, O);
            }
        }

        foreach (var (id, rank) in new[] { ("N2", 1), ("N3", 2), ("N4", 3), ("REF", 4), ("PER", -1), ("DMG", -1) })
        {
            rules[Pack(id)] = rules[Pack(id)] with { NameLoopRank = rank };
        }

        return rules.ToFrozenDictionary();
    }
}
