using HealthFlow.Ledger.Storage;

namespace HealthFlow.Ledger;

/// <summary>What <c>healthflow ledger verify</c> reports.</summary>
/// <param name="Records">Records whose hash and chain link verified.</param>
/// <param name="Segments">Segment blobs found.</param>
/// <param name="Fault">The first record or segment that does not verify; null when the chain is whole.</param>
/// <param name="Notes">Torn tails cut off and repairs honoured along the way.</param>
public sealed record LedgerVerification(long Records, int Segments, LedgerFault? Fault, IReadOnlyList<string> Notes)
{
    public bool Verified => Fault is null;
}

/// <summary>
/// Walks a partition from its first record straight from the store (not from any in-memory state) and names
/// the first record that does not verify. A torn tail not yet cut off by a writer's start-up is reported as a
/// note, not a fault: it was never acknowledged.
/// </summary>
public static class LedgerVerifier
{
    public static async Task<LedgerVerification> VerifyAsync(IBlobStore store, LedgerOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new LedgerOptions();
        var walk = await ChainWalker.WalkAsync(store, options, null, cancellationToken);
        var notes = walk.Notes.ToList();
        if (walk.Fault is null && walk.LastSegmentEnd == SegmentEnd.Torn)
            notes.Add($"{options.SegmentName(walk.LastSegment)}: torn tail of {walk.LastSegmentPhysicalLength - walk.LastSegmentValidLength} bytes at offset {walk.LastSegmentValidLength}, cut off when a writer next opens the ledger");
        return new LedgerVerification(walk.NextSeq, walk.SegmentCount, walk.Fault, notes);
    }
}
