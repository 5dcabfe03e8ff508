using System.Collections.Immutable;
using System.Text;

namespace HealthFlow.Fhir;

/// <summary>A contained resource as a reference target (local to its container).</summary>
internal sealed class EntryTarget(string resourceType, string? id, string? patientToken)
{
    internal string ResourceType { get; } = resourceType;

    internal string? Id { get; } = id;

    internal string? PatientToken { get; } = patientToken;
}

/// <summary>A urn:uuid reference seen before its target; checked when the Bundle ends.</summary>
internal readonly record struct PendingReference(int EntryIndex, string Reference, string Expression);

/// <summary>A value that read without issues at <paramref name="Depth"/>, inside a resource or not.</summary>
internal readonly record struct CleanRead<T>(T Value, int Depth, bool InResource)
{
    /// <summary>Longer values are read every time: they rarely recur, and scanning them twice on a miss costs.</summary>
    internal const int MaxBytes = 256;
}

/// <summary>A property name seen in the current object: a slice of the input, or of the unescape arena.</summary>
internal readonly record struct NameSlot(int Offset, int Length, bool InArena);

/// <summary>
/// Mutable state of one read: path, issues, duplicate-key slots and Bundle reference tables. Lives only
/// for one <see cref="FhirReader"/> call; the parser is a ref struct and keeps its heap state here.
/// </summary>
internal sealed class ParseContext : IDisposable
{
    private readonly string?[] _pathNames = new string?[128];
    private readonly int[] _pathIndexes = new int[128];
    private int _pathDepth;
    private readonly List<OperationOutcomeIssue> _entryIssues = [];
    private readonly List<OperationOutcomeIssue> _allIssues = [];
    private int _droppedIssues;

    internal ParseContext(FhirReaderOptions options, Func<string, string> patientTokenizer, int inputLength)
    {
        Options = options;
        PatientTokenizer = patientTokenizer;

        // Sized from the input (entries average well over 1 KB); the reference table grows past that for small entries.
        var expectedEntries = Math.Min(inputLength / 1024, options.MaxEntries);
        Strings = new Utf8StringCache(inputLength);
        CleanConcepts = new(inputLength, bytesPerSlot: 1024);
        CleanQuantities = new(inputLength, bytesPerSlot: 1024);
        CleanRequests = new(inputLength, bytesPerSlot: 1024);
        Targets = new TargetTable(expectedEntries);
    }

    /// <summary>Bundle entries as reference targets (by fullUrl and by <c>Type/id</c>).</summary>
    internal TargetTable Targets { get; }

    internal FhirReaderOptions Options { get; }

    internal Func<string, string> PatientTokenizer { get; }

    internal Utf8StringCache Strings { get; }

    /// <summary>
    /// Codings and single-coding concepts repeat across a Bundle (the same CPT code on hundreds of charges); immutable
    /// records can be shared. Keys compare string instances, which the string cache makes identical for equal text.
    /// </summary>
    internal readonly Dictionary<(string?, string?, string?), FhirCoding> Codings = new(CodingKeyComparer.Instance);

    internal readonly Dictionary<FhirCoding, FhirCodeableConcept> Concepts = new(ReferenceEqualityComparer.Instance);

    /// <summary>Values that read without an issue, by their JSON text (see <see cref="FhirJsonParser.ReadRecurring{T}"/>).</summary>
    internal Utf8Memo<CleanRead<FhirCodeableConcept>> CleanConcepts { get; }

    internal Utf8Memo<CleanRead<FhirQuantity>> CleanQuantities { get; }

    internal Utf8Memo<CleanRead<FhirBundleRequest>> CleanRequests { get; }

    /// <summary>Plain references to things outside the Bundle (Organization/payer-1), shared by cached literal instance.</summary>
    internal readonly Dictionary<string, FhirReference> ExternalReferences = new(ReferenceEqualityComparer.Instance);

    /// <summary>Date-only values (service dates) shared by cached string instance.</summary>
    internal readonly Dictionary<string, FhirDateTime> Dates = new(ReferenceEqualityComparer.Instance);

    /// <summary>Bundle requests (POST Claim) shared by cached method and url instances.</summary>
    internal readonly Dictionary<(string?, string?), FhirBundleRequest> Requests = new();

    // Duplicate-key detection: names of the objects currently open, innermost last.
    internal NameSlot[] Slots = new NameSlot[64];
    internal int SlotCount;
    internal byte[] Arena = new byte[256];
    internal int ArenaLength;

    // Bundle state.
    internal bool InBundle;
    internal string? BundleType;
    internal int EntryIndex;
    internal int EntryErrorCount;
    internal int EnvelopeErrorCount;
    internal bool InEntry;
    internal readonly List<PendingReference> Pending = [];
    internal readonly List<(int EntryIndex, OperationOutcomeIssue Issue)> LateIssues = [];
    internal string? LastPatientId;

    // Resource state: contained resources and the #local references that must resolve to them.
    internal readonly Dictionary<string, EntryTarget> Contained = new(StringComparer.Ordinal);
    internal readonly List<(string Id, string Expression)> LocalReferences = [];
    internal bool InResource;

    internal IReadOnlyList<OperationOutcomeIssue> AllIssues => _allIssues;

    internal int DroppedIssues => _droppedIssues;

    /// <summary>Issues reported so far, kept or not: unchanged across a read means the read was clean.</summary>
    internal int IssueCount => _allIssues.Count + _droppedIssues;

    internal void PushPath(string name)
    {
        if (_pathDepth < _pathNames.Length)
        {
            _pathNames[_pathDepth] = name;
            _pathIndexes[_pathDepth] = -1;
        }

        _pathDepth++;
    }

    internal void SetPathIndex(int index)
    {
        if (_pathDepth - 1 < _pathIndexes.Length)
        {
            _pathIndexes[_pathDepth - 1] = index;
        }
    }

    internal void PopPath() => _pathDepth--;

    internal int PathDepth => _pathDepth;

    internal void ResetPath(int depth) => _pathDepth = depth;

    /// <summary>The current FHIRPath-style location, with <paramref name="child"/> appended when given.</summary>
    internal string Path(string? child = null)
    {
        var builder = new StringBuilder(64);
        var depth = Math.Min(_pathDepth, _pathNames.Length);
        for (var i = 0; i < depth; i++)
        {
            if (builder.Length > 0)
            {
                builder.Append('.');
            }

            builder.Append(_pathNames[i]);
            if (_pathIndexes[i] >= 0)
            {
                builder.Append('[').Append(_pathIndexes[i]).Append(']');
            }
        }

        if (child is not null)
        {
            if (builder.Length > 0)
            {
                builder.Append('.');
            }

            builder.Append(child);
        }

        return builder.ToString();
    }

    internal void Report(IssueSeverity severity, IssueType code, string diagnostics, string? child = null) =>
        ReportAt(severity, code, diagnostics, Path(child));

    internal void ReportAt(IssueSeverity severity, IssueType code, string diagnostics, string? expression)
    {
        var issue = new OperationOutcomeIssue(severity, code, diagnostics, expression);
        if (issue.IsError)
        {
            if (InEntry)
            {
                EntryErrorCount++;
            }
            else
            {
                EnvelopeErrorCount++;
            }
        }

        if (InEntry)
        {
            // Per-entry issues are bounded too, so one hostile entry cannot hold unbounded memory.
            if (_entryIssues.Count < Options.MaxIssues)
            {
                _entryIssues.Add(issue);
            }
        }

        AddToOutcome(issue);
    }

    /// <summary>Adds an issue found after its entry was delivered (a forward reference that never resolved).</summary>
    internal void ReportLate(OperationOutcomeIssue issue) => AddToOutcome(issue);

    private void AddToOutcome(OperationOutcomeIssue issue)
    {
        if (_allIssues.Count < Options.MaxIssues)
        {
            _allIssues.Add(issue);
        }
        else
        {
            _droppedIssues++;
        }
    }

    internal void BeginEntry(int index)
    {
        InEntry = true;
        EntryIndex = index;
        EntryErrorCount = 0;
        _entryIssues.Clear();
    }

    internal ImmutableArray<OperationOutcomeIssue> EndEntry()
    {
        InEntry = false;
        return _entryIssues.Count == 0 ? ImmutableArray<OperationOutcomeIssue>.Empty : [.. _entryIssues];
    }

    internal void BeginResource()
    {
        InResource = true;
        Contained.Clear();
        LocalReferences.Clear();
    }

    internal void EndResource() => InResource = false;

    internal string Token(string identity) => PatientTokenizer(identity);

    /// <summary>Returns the reference table's pooled arrays.</summary>
    public void Dispose() => Targets.Dispose();
}

/// <summary>Compares coding keys by string identity (interned by the string cache); a miss only costs an allocation.</summary>
internal sealed class CodingKeyComparer : IEqualityComparer<(string?, string?, string?)>
{
    internal static readonly CodingKeyComparer Instance = new();

    public bool Equals((string?, string?, string?) x, (string?, string?, string?) y) =>
        ReferenceEquals(x.Item1, y.Item1) && ReferenceEquals(x.Item2, y.Item2) && ReferenceEquals(x.Item3, y.Item3);

    public int GetHashCode((string?, string?, string?) obj) =>
        HashCode.Combine(
            System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(obj.Item1),
            System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(obj.Item2),
            System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(obj.Item3));
}
