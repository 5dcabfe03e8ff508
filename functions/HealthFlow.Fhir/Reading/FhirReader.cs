using System.Collections.Immutable;
using System.Text.Json;

namespace HealthFlow.Fhir;

/// <summary>Receives Bundle entries one at a time, so a 100,000-entry Bundle never sits in memory as typed documents.</summary>
public interface IFhirEntrySink
{
    /// <summary>
    /// Called once per entry in Bundle order. The entry's acceptance is provisional: the final
    /// <see cref="FhirReadResult"/> decides (all-or-nothing Bundles, and forward urn:uuid references that never
    /// resolved, listed in <see cref="FhirStreamResult.EntriesRejectedAfterDelivery"/>).
    /// </summary>
    void OnEntry(FhirEntry entry);
}

/// <summary>The result of a streaming read: the document verdict plus entries whose late issues arrived after delivery.</summary>
public sealed class FhirStreamResult
{
    internal FhirStreamResult(FhirReadResult result, ImmutableArray<int> entriesRejectedAfterDelivery)
    {
        Result = result;
        EntriesRejectedAfterDelivery = entriesRejectedAfterDelivery;
    }

    /// <summary>The verdict (its <see cref="FhirReadResult.Entries"/> is empty: the sink had them).</summary>
    public FhirReadResult Result { get; }

    /// <summary>Indexes of entries found invalid after the sink received them (forward references that never resolved).</summary>
    public ImmutableArray<int> EntriesRejectedAfterDelivery { get; }
}

/// <summary>
/// Reads FHIR R4 JSON (one resource or a Bundle) into typed, PHI-free documents and an OperationOutcome.
/// Never throws for bad input: invalid JSON, limits, wrong types and rule violations all become issues.
/// Patient identity is handed to <c>patientTokenizer</c> (the Pipeline passes keyed HMAC-SHA256) and only its
/// output is kept; the tokenizer must be deterministic and must not throw.
/// </summary>
public static class FhirReader
{
    /// <summary>Reads a whole document and keeps every entry.</summary>
    public static FhirReadResult Read(ReadOnlySpan<byte> json, Func<string, string> patientTokenizer, FhirReaderOptions? options = null)
    {
        var entries = new List<FhirEntry>();
        var (result, late) = ReadCore(json, patientTokenizer, options ?? FhirReaderOptions.Default, entries.Add);
        if (late.Count > 0)
        {
            foreach (var (index, issue) in late)
            {
                entries[index] = entries[index] with { Issues = entries[index].Issues.Add(issue) };
            }
        }

        return result.WithEntries([.. entries]);
    }

    /// <summary>Reads a document, handing entries to <paramref name="sink"/> instead of keeping them (bounded memory).</summary>
    public static FhirStreamResult Read(ReadOnlySpan<byte> json, Func<string, string> patientTokenizer, IFhirEntrySink sink, FhirReaderOptions? options = null)
    {
        var (result, late) = ReadCore(json, patientTokenizer, options ?? FhirReaderOptions.Default, sink.OnEntry);
        return new FhirStreamResult(result, [.. late.Select(l => l.EntryIndex).Distinct()]);
    }

    private static (FhirReadResult Result, List<(int EntryIndex, OperationOutcomeIssue Issue)> Late) ReadCore(
        ReadOnlySpan<byte> json, Func<string, string> patientTokenizer, FhirReaderOptions options, Action<FhirEntry> onEntry)
    {
        using var ctx = new ParseContext(options, patientTokenizer, json.Length);
        var entryCount = 0;
        var invalidEntries = 0;
        var validEntries = 0;
        var invalidIndexes = new HashSet<int>();
        void Count(FhirEntry entry)
        {
            entryCount++;
            if (entry.IsValid)
            {
                validEntries++;
            }
            else
            {
                invalidEntries++;
                invalidIndexes.Add(entry.Index);
            }

            onEntry(entry);
        }

        FhirBundleInfo? bundle = null;
        if (json.Length > options.MaxInputBytes)
        {
            ctx.ReportAt(IssueSeverity.Fatal, IssueType.TooCostly, $"document of {json.Length} bytes exceeds the {options.MaxInputBytes}-byte limit", null);
        }
        else
        {
            // A UTF-8 byte order mark is legal in a file but not in JSON text; tolerate it.
            if (json.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
            {
                json = json[3..];
            }

            var parser = new FhirJsonParser(json, ctx);
            try
            {
                bundle = parser.ReadDocument(Count);
            }
            catch (FhirReadAbortedException)
            {
                // The fatal issue is already in the outcome.
            }
            catch (JsonException ex)
            {
                // Our own depth check normally fires first; the reader's is reached only while looking ahead.
                var tooDeep = ex.Message.Contains("maximum configured depth", StringComparison.Ordinal);
                ctx.ReportAt(IssueSeverity.Fatal, tooDeep ? IssueType.TooCostly : IssueType.Structure,
                    $"invalid JSON at line {ex.LineNumber + 1}, byte {ex.BytePositionInLine + 1}: {ex.Message}", null);
            }
        }

        foreach (var (index, _) in ctx.LateIssues)
        {
            if (invalidIndexes.Add(index))
            {
                invalidEntries++;
                validEntries--;
            }
        }

        var mode = ModeOf(bundle?.Type, bundle is not null);
        var envelopeOk = ctx.EnvelopeErrorCount == 0 && !ctx.AllIssues.Any(i => i.Severity == IssueSeverity.Fatal);
        var accepted = mode == FhirProcessingMode.AllOrNothing
            ? envelopeOk && invalidEntries == 0 && (bundle is not null || entryCount == 1)
            : envelopeOk && (entryCount == 0 || validEntries > 0);

        var issues = ImmutableArray.CreateBuilder<OperationOutcomeIssue>(ctx.AllIssues.Count + 2);
        issues.AddRange(ctx.AllIssues);
        if (ctx.DroppedIssues > 0)
        {
            issues.Add(new OperationOutcomeIssue(IssueSeverity.Warning, IssueType.TooCostly, $"{ctx.DroppedIssues} further issues not listed (limit {options.MaxIssues})", null));
        }

        if (bundle is not null && mode == FhirProcessingMode.AllOrNothing && !accepted && invalidEntries > 0)
        {
            issues.Add(new OperationOutcomeIssue(IssueSeverity.Error, IssueType.Processing,
                $"{bundle.Type} Bundle rejected as a whole: {invalidEntries} of {entryCount} entries are invalid", "Bundle"));
        }

        var result = new FhirReadResult(accepted, mode, bundle, [], new OperationOutcome(issues.DrainToImmutable()), entryCount);
        return (result, ctx.LateIssues);
    }

    /// <summary>Transactions, documents and messages are units; batches and plain collections are entry by entry.</summary>
    public static FhirProcessingMode ModeOf(string? bundleType, bool isBundle) =>
        !isBundle || bundleType is "transaction" or "document" or "message" or null
            ? FhirProcessingMode.AllOrNothing
            : FhirProcessingMode.EntryByEntry;
}
