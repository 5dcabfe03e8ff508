namespace HealthFlow.Ledger;

/// <summary>
/// The first place where a partition's segments stop proving themselves: a record whose hash or chain link is
/// wrong, bytes that are not a record, or a missing segment. A ledger with a fault refuses appends until an
/// operator runs <c>healthflow ledger repair</c> (see docs/LEDGER.md).
/// </summary>
public sealed record LedgerFault(string Segment, long Offset, long? Seq, string Problem)
{
    public override string ToString() =>
        Seq is { } seq ? $"{Segment} at offset {Offset} (record {seq}): {Problem}" : $"{Segment} at offset {Offset}: {Problem}";
}

/// <summary>Thrown by appends to a ledger whose chain is broken; reads before the fault still work.</summary>
public sealed class LedgerBrokenException(LedgerFault fault)
    : InvalidOperationException($"The ledger's hash chain is broken at {fault}; appends are refused until it is repaired (healthflow ledger repair).")
{
    public LedgerFault Fault { get; } = fault;
}
