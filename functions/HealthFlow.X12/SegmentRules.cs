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

/// <summary>A <see cref="SegmentRule"/> flattened for the per-segment path: bit n of RequiredMask = element n is mandatory.</summary>
internal readonly record struct CompactRule(int Packed, SegmentUse Use, uint RequiredMask, int NameLoopRank);

internal static class SegmentRules
{
    private static readonly FrozenDictionary<int, SegmentRule> Rules = Build();

    // The per-segment lookup: an open-addressed table of small value entries (16 KiB, about 10% full), so finding
    // a segment's rule is one or two reads of adjacent memory rather than a chain of table → rule → array loads
    // that miss the cache while a large input and its documents stream through it. Built from Rules, so declared after it.
    private const int CompactBits = 10;
    private static readonly CompactRule[] Compact = BuildCompact();

    /// <summary>The rule of a packed segment id (from <see cref="Pack(ReadOnlySpan{byte})"/>) as a value; Packed = 0 when the id is not known.</summary>
    public static CompactRule FindCompact(int packed)
    {
        if (packed <= 0)
        {
            return default;
        }

        var table = Compact;
        var mask = table.Length - 1;

        // Multiplicative hash; the multiplication wraps on purpose.
        var slot = (int)(unchecked((uint)packed * 0x9E37_79B1u) >> (32 - CompactBits));
        while (true)
        {
            var entry = table[slot];
            if (entry.Packed == packed || entry.Packed == 0)
            {
                return entry;
            }

            slot = (slot + 1) & mask;
        }
    }

    private static CompactRule[] BuildCompact()
    {
        var table = new CompactRule[1 << CompactBits];
        var mask = table.Length - 1;
        foreach (var (packed, rule) in Rules)
        {
            var requiredMask = 0u;
            foreach (var element in rule.Required)
            {
                // Required elements are numbered 1–31 (BPR16 is the highest in use).
                requiredMask |= 1u << element;
            }

            var slot = (int)(unchecked((uint)packed * 0x9E37_79B1u) >> (32 - CompactBits));
            while (table[slot].Packed != 0)
            {
                slot = (slot + 1) & mask;
            }

            table[slot] = new CompactRule(packed, rule.Use, requiredMask, rule.NameLoopRank);
        }

        return table;
    }

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
