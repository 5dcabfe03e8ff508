namespace HealthFlow.Fhir;

/// <summary>
/// Limits and defaults of <see cref="FhirReader"/>. Every limit turns hostile or broken input into an
/// OperationOutcome issue instead of unbounded work. Invariant: all limits are positive.
/// </summary>
public sealed record FhirReaderOptions
{
    /// <summary>The defaults: depth 64, strings up to 1 MiB, input up to 512 MiB, 1,000 issues, 1,000,000 entries.</summary>
    public static FhirReaderOptions Default { get; } = new();

    /// <summary>Maximum JSON nesting depth (FHIR resources rarely pass 12).</summary>
    public int MaxDepth { get; init; } = 64;

    /// <summary>Maximum length of one JSON string in UTF-8 bytes (narratives included).</summary>
    public int MaxStringBytes { get; init; } = 1 << 20;

    /// <summary>Maximum size of the whole document in bytes.</summary>
    public long MaxInputBytes { get; init; } = 512L << 20;

    /// <summary>Issues kept in the outcome; past it one too-costly issue says how many were dropped (acceptance still counts them).</summary>
    public int MaxIssues { get; init; } = 1000;

    /// <summary>Maximum Bundle entries.</summary>
    public int MaxEntries { get; init; } = 1_000_000;

    /// <summary>Maximum properties in one JSON object (bounds duplicate-key detection).</summary>
    public int MaxPropertiesPerObject { get; init; } = 10_000;

    /// <summary>Currency for Money without one; null (the default) makes a missing currency an error.</summary>
    public string? DefaultCurrency { get; init; }
}
