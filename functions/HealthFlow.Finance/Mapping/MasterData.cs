using System.Globalization;
using System.Text.Json;

namespace HealthFlow.Finance.Mapping;

/// <summary>The outcome of loading master data: the validated set, or every problem found (never both).</summary>
public sealed record MasterDataLoadResult(MasterDataSet? Value, IReadOnlyList<MasterDataError> Errors)
{
    public bool Succeeded => Value is not null;
}

/// <summary>
/// Loads and validates the master data files described in <c>docs/MASTER-DATA.md</c>.
/// </summary>
/// <remarks>
/// Loading never throws on bad content: every problem (unreadable JSON, missing or unknown property, wrong type,
/// duplicate key, reference that does not resolve, account missing from the chart) becomes a
/// <see cref="MasterDataError"/> naming the file and the JSON path, and all of them are reported in one pass so one
/// edit can fix them all. Finance does no I/O of its own: callers hand in streams (<see cref="Load(Func{string, Stream?})"/>);
/// <see cref="LoadFolder"/> is the one start-up convenience that opens files.
/// </remarks>
public static class MasterData
{
    /// <summary>The files of a master data set, in load order.</summary>
    public static IReadOnlyList<string> FileNames { get; } =
    [
        "manifest.json", "accounts.json", "entities.json", "departments.json", "providers.json", "payers.json",
        "revenue-codes.json", "adjustments.json", "plb.json", "batching.json",
    ];

    /// <summary>The schema version this code reads (every file's <c>schemaVersion</c>).</summary>
    public const int SchemaVersion = 1;

    /// <summary>Loads from a function that opens a file by name (null when the file does not exist). Streams are disposed here.</summary>
    public static MasterDataLoadResult Load(Func<string, Stream?> openFile)
    {
        var documents = new Dictionary<string, JsonDocument>(StringComparer.Ordinal);
        var errors = new List<MasterDataError>();
        try
        {
            foreach (var name in FileNames)
            {
                using var stream = openFile(name);
                if (stream is null)
                {
                    errors.Add(new MasterDataError(name, "$", "file is missing"));
                    continue;
                }

                try
                {
                    documents[name] = JsonDocument.Parse(stream, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
                }
                catch (JsonException exception)
                {
                    errors.Add(new MasterDataError(name, exception.Path ?? "$", $"not valid JSON (line {exception.LineNumber + 1}): {exception.Message}"));
                }
            }

            var reader = new MasterDataReader(documents, errors);
            var set = reader.Read();
            return errors.Count == 0 && set is not null ? new MasterDataLoadResult(set, []) : new MasterDataLoadResult(null, errors);
        }
        finally
        {
            foreach (var document in documents.Values)
                document.Dispose();
        }
    }

    /// <summary>Loads from in-memory file contents keyed by file name (tests, the embedded sample).</summary>
    public static MasterDataLoadResult Load(IReadOnlyDictionary<string, string> files) =>
        Load(name => files.TryGetValue(name, out var text) ? new MemoryStream(System.Text.Encoding.UTF8.GetBytes(text)) : null);

    /// <summary>Loads the files of a folder (e.g. <c>config/masterdata</c>). The only file access in Finance.</summary>
    public static MasterDataLoadResult LoadFolder(string folder) =>
        Load(name =>
        {
            var path = Path.Combine(folder, name);
            return File.Exists(path) ? File.OpenRead(path) : null;
        });

    /// <summary>Loads the sample set for the fictional Riverbend Health System that ships inside this assembly (config/masterdata).</summary>
    public static MasterDataLoadResult LoadEmbedded() =>
        Load(name => typeof(MasterData).Assembly.GetManifestResourceStream("masterdata/" + name));

    /// <summary>The embedded sample's file contents, for a caller that wants to write them out and edit them.</summary>
    public static IReadOnlyDictionary<string, string> EmbeddedFiles()
    {
        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in FileNames)
        {
            using var stream = typeof(MasterData).Assembly.GetManifestResourceStream("masterdata/" + name);
            if (stream is null)
                continue;
            using var text = new StreamReader(stream);
            files[name] = text.ReadToEnd();
        }

        return files;
    }

    internal static string Json(this AdjustmentCategory category) => category switch
    {
        AdjustmentCategory.Contractual => "contractual",
        AdjustmentCategory.Denial => "denial",
        AdjustmentCategory.PatientResponsibility => "patient-responsibility",
        AdjustmentCategory.Administrative => "administrative",
        AdjustmentCategory.BadDebt => "bad-debt",
        AdjustmentCategory.Informational => "informational",
        _ => throw new ArgumentOutOfRangeException(nameof(category)),
    };

    internal static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);
}
