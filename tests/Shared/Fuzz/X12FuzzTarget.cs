using System.Security.Cryptography;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using HealthFlow.X12;

namespace HealthFlow.Tests.Shared.Fuzz;

internal enum X12Edit
{
    RemoveSegment,
    DuplicateSegment,
    SwapSegments,
    SwapDelimiterEverywhere,
    ChangeDeclaredDelimiter,
    HugeNumber,
}

internal sealed record X12Mutation(X12Edit Edit, int Position, int Pick);

/// <summary>
/// The X12 reader as the pipeline runs it: parse, inspect report, 999/TA1. Property: no throw, no hang; input that is
/// not X12 comes back with an error (the endpoint answers problem+json); otherwise the acknowledgement is valid X12,
/// answers every interchange, and rejects (TA1 R, AK9 R or IK5 R) exactly what the parse rejected.
/// </summary>
internal sealed class X12FuzzTarget : IFuzzTarget
{
    private static readonly byte[] Delimiters = "*~:^|!\n\r+'>"u8.ToArray();

    private static readonly byte[][] FormatTokens =
        [.. new[] { "*", "~", ":", "^", "ISA", "IEA*1*000000001~", "GS*", "GE*", "ST*835*0001~", "SE*", "CLP*", "SVC*HC:", "PLB*", "BPR*I*", "~\n" }.Select(Encoding.ASCII.GetBytes)];

    private static readonly string[] Numbers = ["99999999999999999999999999999999", "-99999999999999999999999999.99", "1E400", "-0", "0000000000000000000001.50", "." , "-", "1.2.3", new('9', 300)];

    private readonly List<byte[]> _corpus;

    public X12FuzzTarget()
    {
        _corpus = [.. Directory.EnumerateFiles(SourceTree.PathOf("tests/fixtures/x12")).Order(StringComparer.Ordinal).Select(File.ReadAllBytes)];
        for (var seed = 1; seed <= 3; seed++)
        {
            using var remittance = new MemoryStream();
            new X12Generator(seed).Write835(remittance, 1, claimsPerTransactionSet: 3, setsPerInterchange: 2);
            _corpus.Add(remittance.ToArray());
            using var claims = new MemoryStream();
            new X12Generator(seed).Write837(claims, seed % 2 == 0 ? ClaimKind.Professional : ClaimKind.Institutional, 3);
            _corpus.Add(claims.ToArray());
        }

        var mutation =
            from edit in Gen.Elements(Enum.GetValues<X12Edit>())
            from position in Gen.Choose(0, int.MaxValue)
            from pick in Gen.Choose(0, int.MaxValue)
            select new X12Mutation(edit, position, pick);
        Inputs =
            from index in Gen.Choose(0, _corpus.Count - 1)
            from segmentEdits in Gen.Choose(0, 3).SelectMany(count => mutation.ArrayOf(count))
            from byteEdits in ByteMutations.Some(3)
            select ByteMutations.Apply(Apply(_corpus[index], segmentEdits), byteEdits, FormatTokens);
    }

    public string Name => "x12";

    public string Extension => ".x12";

    public Gen<byte[]> Inputs { get; }

    public string? Violation(byte[] input)
    {
        var result = X12Parser.Parse(input, new X12ParseOptions { TokenizePhi = Tokenize });
        using (var report = new System.Text.Json.Utf8JsonWriter(Stream.Null))
            X12InspectReport.Write(result, report);
        if (!result.IsX12)
            return result.Errors.Count > 0 ? null : "not X12, yet no error says why";

        using var output = new MemoryStream();
        var written = X12Acknowledgements.WriteResponses(result, new X12AckEnvelope(1, 1, DateTimeOffset.UnixEpoch), output);
        var ack = X12Parser.Parse(output.ToArray(), new X12ParseOptions { TokenizePhi = Tokenize });
        if (written != result.Interchanges.Count || ack.Interchanges.Count != written || ack.AllErrors.Any())
            return $"the acknowledgement is not valid X12 for every interchange: {string.Join("; ", ack.AllErrors.Take(3).Select(e => e.Message))}";

        for (var i = 0; i < written; i++)
        {
            var received = result.Interchanges[i];
            var answer = ack.Interchanges[i];
            if (received.Status == X12AckStatus.Rejected)
            {
                if (!answer.ReceivedAcknowledgements.Any(t => t.Status == X12AckStatus.Rejected))
                    return $"interchange {i} was rejected but its answer has no TA1 R";
                continue;
            }

            var acknowledgements = answer.Groups.SelectMany(g => g.TransactionSets).Select(s => s.Acknowledgement).ToList();
            if (acknowledgements.Count != received.Groups.Count)
                return $"interchange {i} has {received.Groups.Count} groups but {acknowledgements.Count} 999s";
            for (var g = 0; g < received.Groups.Count; g++)
            {
                var group = received.Groups[g];
                var groupRejected = group.Errors.Any(e => e.Code is "1" or "2");
                if (acknowledgements[g] is not { } functional || (groupRejected && functional.Status != X12AckStatus.Rejected))
                    return $"group {g} of interchange {i} was rejected but its 999 does not say so";
                var rejectedSets = group.TransactionSets.Count(s => s.Status == X12AckStatus.Rejected);
                if (functional.TransactionSets.Count(s => s.Status == X12AckStatus.Rejected) != rejectedSets)
                    return $"group {g} of interchange {i} rejected {rejectedSets} sets but its 999 rejects a different number";
            }
        }

        return null;
    }

    private static string Tokenize(string value) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(value)));

    private static byte[] Apply(byte[] input, X12Mutation[] mutations)
    {
        var bytes = input.ToArray();
        foreach (var mutation in mutations)
        {
            if (bytes.Length == 0)
                break;
            var hasIsa = bytes.Length > 105 && bytes.AsSpan().StartsWith("ISA"u8);
            var terminator = hasIsa ? bytes[105] : (byte)'~';
            var segments = Split(bytes, terminator);
            var at = mutation.Position % segments.Count;
            var delimiter = Delimiters[mutation.Pick % Delimiters.Length];
            switch (mutation.Edit)
            {
                case X12Edit.RemoveSegment:
                    segments.RemoveAt(at);
                    bytes = Join(segments, terminator);
                    break;
                case X12Edit.DuplicateSegment:
                    segments.Insert(at, segments[at]);
                    bytes = Join(segments, terminator);
                    break;
                case X12Edit.SwapSegments:
                    var other = mutation.Pick % segments.Count;
                    (segments[at], segments[other]) = (segments[other], segments[at]);
                    bytes = Join(segments, terminator);
                    break;
                case X12Edit.SwapDelimiterEverywhere when hasIsa:
                    // One of the four declared delimiters replaced by another delimiter-like byte, in the ISA and everywhere else.
                    var old = bytes[new[] { 3, 82, 104, 105 }[mutation.Position % 4]];
                    bytes = [.. bytes.Select(b => b == old ? delimiter : b)];
                    break;
                case X12Edit.ChangeDeclaredDelimiter when hasIsa:
                    bytes[new[] { 3, 82, 104, 105 }[mutation.Position % 4]] = delimiter;
                    break;
                case X12Edit.HugeNumber:
                    bytes = ReplaceDigits(bytes, mutation.Position % bytes.Length, Encoding.ASCII.GetBytes(Numbers[mutation.Pick % Numbers.Length]));
                    break;
                default:
                    break;
            }
        }

        return bytes;
    }

    private static List<byte[]> Split(byte[] bytes, byte terminator)
    {
        var segments = new List<byte[]>();
        var start = 0;
        for (var i = 0; i <= bytes.Length; i++)
        {
            if (i == bytes.Length || bytes[i] == terminator)
            {
                segments.Add(bytes[start..i]);
                start = i + 1;
            }
        }

        return segments;
    }

    private static byte[] Join(List<byte[]> segments, byte terminator) =>
        segments.Count == 0 ? [] : [.. segments.SelectMany((s, i) => i == 0 ? s : [terminator, .. s])];

    /// <summary>The first run of digits at or after <paramref name="from"/> replaced by <paramref name="number"/>.</summary>
    private static byte[] ReplaceDigits(byte[] bytes, int from, byte[] number)
    {
        var start = Array.FindIndex(bytes, from, b => b is >= (byte)'0' and <= (byte)'9');
        if (start < 0)
            return bytes;
        var end = start;
        while (end < bytes.Length && bytes[end] is >= (byte)'0' and <= (byte)'9' or (byte)'.')
            end++;
        return [.. bytes[..start], .. number, .. bytes[end..]];
    }
}
