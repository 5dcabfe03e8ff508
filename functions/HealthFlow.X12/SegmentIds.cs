namespace HealthFlow.X12;

/// <summary>Segment ids packed into an int (see <see cref="SegmentRules.Pack(ReadOnlySpan{byte})"/>) for switch dispatch.</summary>
internal static class SegmentIds
{
    public const int ISA = ('I' << 16) | ('S' << 8) | 'A';

    public const int IEA = ('I' << 16) | ('E' << 8) | 'A';

    public const int GS = ('G' << 16) | ('S' << 8);

    public const int GE = ('G' << 16) | ('E' << 8);

    public const int ST = ('S' << 16) | ('T' << 8);

    public const int SE = ('S' << 16) | ('E' << 8);

    public const int TA1 = ('T' << 16) | ('A' << 8) | '1';

    public const int BPR = ('B' << 16) | ('P' << 8) | 'R';

    public const int TRN = ('T' << 16) | ('R' << 8) | 'N';

    public const int N1 = ('N' << 16) | ('1' << 8);

    public const int REF = ('R' << 16) | ('E' << 8) | 'F';

    public const int LX = ('L' << 16) | ('X' << 8);

    public const int CLP = ('C' << 16) | ('L' << 8) | 'P';

    public const int CAS = ('C' << 16) | ('A' << 8) | 'S';

    public const int NM1 = ('N' << 16) | ('M' << 8) | '1';

    public const int MIA = ('M' << 16) | ('I' << 8) | 'A';

    public const int MOA = ('M' << 16) | ('O' << 8) | 'A';

    public const int DTM = ('D' << 16) | ('T' << 8) | 'M';

    public const int SVC = ('S' << 16) | ('V' << 8) | 'C';

    public const int LQ = ('L' << 16) | ('Q' << 8);

    public const int PLB = ('P' << 16) | ('L' << 8) | 'B';

    public const int BHT = ('B' << 16) | ('H' << 8) | 'T';

    public const int HL = ('H' << 16) | ('L' << 8);

    public const int SBR = ('S' << 16) | ('B' << 8) | 'R';

    public const int CLM = ('C' << 16) | ('L' << 8) | 'M';

    public const int HI = ('H' << 16) | ('I' << 8);

    public const int SV1 = ('S' << 16) | ('V' << 8) | '1';

    public const int SV2 = ('S' << 16) | ('V' << 8) | '2';

    public const int DTP = ('D' << 16) | ('T' << 8) | 'P';

    public const int STC = ('S' << 16) | ('T' << 8) | 'C';

    public const int AK1 = ('A' << 16) | ('K' << 8) | '1';

    public const int AK2 = ('A' << 16) | ('K' << 8) | '2';

    public const int IK3 = ('I' << 16) | ('K' << 8) | '3';

    public const int IK4 = ('I' << 16) | ('K' << 8) | '4';

    public const int IK5 = ('I' << 16) | ('K' << 8) | '5';

    public const int AK9 = ('A' << 16) | ('K' << 8) | '9';

    public const int CTX = ('C' << 16) | ('T' << 8) | 'X';

    public const int N3 = ('N' << 16) | ('3' << 8);

    public const int N4 = ('N' << 16) | ('4' << 8);

    public const int AMT = ('A' << 16) | ('M' << 8) | 'T';

    public const int QTY = ('Q' << 16) | ('T' << 8) | 'Y';
}
