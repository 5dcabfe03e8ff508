using System.Text.Json;
using System.Text.RegularExpressions;
using HealthFlow.Finance.Mapping;
using HealthFlow.Finance.Reconciliation;
using HealthFlow.Infra.Tests.Support;
using HealthFlow.Pipeline.Reconciliation;

namespace HealthFlow.Infra.Tests;

/// <summary>
/// The Power BI project (reporting/powerbi) reads the CSV files <see cref="ReportingTables"/> writes: its TMDL model
/// must parse and name only files, columns and types those files have, and its report's visuals only measures and
/// columns of the model, so a schema change breaks here, not in Desktop.
/// </summary>
public sealed partial class PowerBiModelTests
{
    private const string Project = "reporting/powerbi";
    private const string Definition = Project + "/HealthFlow.Reconciliation.SemanticModel/definition";

    private static readonly Dictionary<ColumnType, string> DataTypes = new()
    {
        [ColumnType.Whole] = "int64",
        [ColumnType.Amount] = "decimal",
        [ColumnType.Text] = "string",
        [ColumnType.Date] = "dateTime",
        [ColumnType.Timestamp] = "dateTime",
        [ColumnType.Flag] = "boolean",
    };

    /// <summary>The Power BI visuals the report uses (legacy report.json names).</summary>
    private static readonly string[] VisualTypes = ["card", "slicer", "clusteredColumnChart", "columnChart", "lineChart", "tableEx", "pivotTable"];

    private readonly IReadOnlyList<TmdlObject> _model = ReadModel();

    private IEnumerable<TmdlObject> Tables => _model.Where(o => o.Kind == "table");

    [Fact]
    public void Every_tmdl_file_parses_and_every_column_has_a_type_and_a_source()
    {
        Assert.Contains(_model, o => o.Kind == "database");
        Assert.Contains(_model, o => o.Kind == "model");
        Assert.Contains(_model, o => o is { Kind: "expression", Name: "ReportingFolder" } && o.Expression!.Contains("IsParameterQuery=true", StringComparison.Ordinal));
        foreach (var table in Tables)
        {
            Assert.Single(table.Children, c => c.Kind == "partition");
            foreach (var column in table.Children.Where(c => c.Kind == "column"))
            {
                Assert.True(column.Properties.ContainsKey("dataType"), $"{table.Name}[{column.Name}] has no dataType");
                Assert.True(column.Properties.ContainsKey("sourceColumn"), $"{table.Name}[{column.Name}] has no sourceColumn");
            }
        }
    }

    [Fact]
    public void Every_table_reads_a_reporting_csv_file_and_names_only_its_headers_with_their_types()
    {
        using var folder = new TemporaryFolder();
        var headers = WriteEmptyReportingTables(folder.Path);

        var read = new List<string>();
        foreach (var table in Tables)
        {
            var partition = table.Children.Single(c => c.Kind == "partition");
            var call = ReportingTableCall().Match(partition.Properties.GetValueOrDefault("source", ""));
            Assert.True(call.Success, $"{table.Name}: the partition does not read its file with ReportingTable(\"name\", {{types}})");
            var file = call.Groups["file"].Value;
            Assert.True(headers.ContainsKey(file), $"{table.Name} reads {file}.csv, which HealthFlow does not write");
            read.Add(file);

            var definition = ReportingTables.All.Single(t => t.Name == file);
            var sources = new List<string>();
            foreach (var column in table.Children.Where(c => c.Kind == "column"))
            {
                var source = column.Properties["sourceColumn"].Trim('"');
                Assert.Contains(source, headers[file]);
                Assert.Equal(DataTypes[definition.Columns.Single(c => c.Name == source).Type], column.Properties["dataType"]);
                sources.Add(source);
            }

            // Power Query types exactly the columns the model loads.
            var typed = TypedColumn().Matches(call.Groups["types"].Value).Select(m => m.Groups[1].Value);
            Assert.Equal(sources.Order(StringComparer.Ordinal), typed.Order(StringComparer.Ordinal));
        }

        Assert.Equal(headers.Keys.Order(StringComparer.Ordinal), read.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Measures_and_relationships_name_only_tables_columns_and_measures_that_exist()
    {
        var members = Tables.ToDictionary(t => t.Name, t => t.Children.Where(c => c.Kind is "column" or "measure").Select(c => c.Name).ToHashSet());
        var measures = Tables.SelectMany(t => t.Children).Where(c => c.Kind == "measure").ToList();
        Assert.NotEmpty(measures);

        foreach (var measure in measures)
        {
            Assert.False(string.IsNullOrWhiteSpace(measure.Expression), $"measure {measure.Name} has no expression");
            foreach (Match reference in QualifiedReference().Matches(measure.Expression!))
            {
                var (table, member) = (reference.Groups["table"].Value, reference.Groups["member"].Value);
                Assert.True(members.TryGetValue(table, out var names) && names.Contains(member), $"measure {measure.Name} names {table}[{member}], which does not exist");
            }

            foreach (Match reference in MeasureReference().Matches(measure.Expression!))
                Assert.Contains(reference.Groups["member"].Value, measures.Select(m => m.Name));
        }

        foreach (var relationship in _model.Where(o => o.Kind == "relationship"))
        {
            foreach (var end in new[] { "fromColumn", "toColumn" })
            {
                var (table, column) = (relationship.Properties[end].Split('.')[0], relationship.Properties[end].Split('.')[1]);
                Assert.True(members.TryGetValue(table, out var names) && names.Contains(column), $"relationship {relationship.Name}: {end} {table}.{column} does not exist");
            }
        }
    }

    [Fact]
    public void The_report_opens_the_semantic_model_by_path_and_has_a_page_per_audience()
    {
        using var pbip = JsonDocument.Parse(Repository.Read(Project + "/HealthFlow.Reconciliation.pbip"));
        var report = Project + "/" + pbip.RootElement.GetProperty("artifacts")[0].GetProperty("report").GetProperty("path").GetString();
        using var pbir = JsonDocument.Parse(Repository.Read(report + "/definition.pbir"));
        var model = pbir.RootElement.GetProperty("datasetReference").GetProperty("byPath").GetProperty("path").GetString()!;
        Assert.True(File.Exists(Path.Combine(Repository.PathOf(report), model, "definition.pbism")), $"{report}/definition.pbir points at {model}, which has no definition.pbism");

        using var layout = JsonDocument.Parse(Repository.Read(report + "/report.json"));
        var pages = layout.RootElement.GetProperty("sections").EnumerateArray().Select(s => s.GetProperty("displayName").GetString()!);
        string[] audiences = ["Finance close", "Revenue cycle", "Integration support"];
        Assert.Equal(audiences, pages);
    }

    [Fact]
    public void Every_audience_page_has_visuals_bound_only_to_measures_and_columns_of_the_model()
    {
        var columns = Tables.ToDictionary(t => t.Name, t => t.Children.Where(c => c.Kind == "column").Select(c => c.Name).ToHashSet(StringComparer.Ordinal));
        var measures = Tables.ToDictionary(t => t.Name, t => t.Children.Where(c => c.Kind == "measure").Select(c => c.Name).ToHashSet(StringComparer.Ordinal));
        // What each audience needs to see (issue 7), as measures the page must bind.
        var needs = new Dictionary<string, string[]>(StringComparer.Ordinal)
        {
            ["Finance close"] = ["fact_remittances.Cash posted", "fact_remittances.Remitted (BPR)", "fact_totals.Unreconciled amount"],
            ["Revenue cycle"] = ["fact_breaks.Breaks", "fact_breaks.Breaks over 7 days", "fact_breaks.Breaks over 30 days", "fact_breaks.Oldest break (days)"],
            ["Integration support"] = ["fact_sla.Posting lag p50 (hours)", "fact_sla.Posting lag p95 (hours)", "fact_counts.In exception", "fact_counts.In dead-letter"],
        };

        using var layout = JsonDocument.Parse(Repository.Read(Project + "/HealthFlow.Reconciliation.Report/report.json"));
        foreach (var page in layout.RootElement.GetProperty("sections").EnumerateArray())
        {
            var name = page.GetProperty("displayName").GetString()!;
            var bound = new HashSet<string>(StringComparer.Ordinal);
            var visuals = page.GetProperty("visualContainers").EnumerateArray().ToList();
            Assert.True(visuals.Count > 0, $"page {name} has no visuals");
            foreach (var container in visuals)
            {
                using var config = JsonDocument.Parse(container.GetProperty("config").GetString()!);
                var visual = config.RootElement.GetProperty("singleVisual");
                var where = $"{name}/{config.RootElement.GetProperty("name").GetString()}";
                Assert.Contains(visual.GetProperty("visualType").GetString(), VisualTypes);
                var query = visual.GetProperty("prototypeQuery");
                var entities = query.GetProperty("From").EnumerateArray().ToDictionary(f => f.GetProperty("Name").GetString()!, f => f.GetProperty("Entity").GetString()!, StringComparer.Ordinal);
                foreach (var (kind, source, property) in Fields(query.GetProperty("Select")))
                {
                    Assert.True(entities.TryGetValue(source, out var table), $"{where} reads from {source}, which its query does not declare");
                    var members = kind == "Measure" ? measures : columns;
                    Assert.True(members.TryGetValue(table, out var names) && names.Contains(property), $"{where} binds the {kind.ToLowerInvariant()} {table}[{property}], which the model lacks");
                    bound.Add($"{table}.{property}");
                }

                // Every data role shows a field of the query, and every field of the query is shown.
                var selected = query.GetProperty("Select").EnumerateArray().Select(s => s.GetProperty("Name").GetString()!).ToHashSet(StringComparer.Ordinal);
                var projected = visual.GetProperty("projections").EnumerateObject().SelectMany(r => r.Value.EnumerateArray()).Select(p => p.GetProperty("queryRef").GetString()!).ToHashSet(StringComparer.Ordinal);
                Assert.True(selected.SetEquals(projected), $"{where}: projections {string.Join(", ", projected)} differ from the query's fields {string.Join(", ", selected)}");
            }

            Assert.All(needs[name], measure => Assert.True(bound.Contains(measure), $"page {name} shows no {measure}"));
        }
    }

    /// <summary>Every model field a query names: <c>{"Measure"|"Column": {"Expression": {"SourceRef": {"Source": s}}, "Property": p}}</c>, at any depth (aggregations wrap columns).</summary>
    private static IEnumerable<(string Kind, string Source, string Property)> Fields(JsonElement element)
    {
        if (element.ValueKind == JsonValueKind.Array)
            return element.EnumerateArray().SelectMany(Fields);
        if (element.ValueKind != JsonValueKind.Object)
            return [];
        return element.EnumerateObject().SelectMany(p =>
            p.Name is "Measure" or "Column" && p.Value.TryGetProperty("Property", out var property)
                ? [(p.Name, p.Value.GetProperty("Expression").GetProperty("SourceRef").GetProperty("Source").GetString()!, property.GetString()!)]
                : Fields(p.Value));
    }

    /// <summary>The header of every CSV file, as HealthFlow really writes them (for an empty day).</summary>
    private static Dictionary<string, HashSet<string>> WriteEmptyReportingTables(string folder)
    {
        var masterData = MasterData.LoadEmbedded().Value!;
        var day = new DateOnly(2026, 1, 15);
        ReportingTables.Write(folder, new ReconciliationReport(day, DateTimeOffset.UnixEpoch, [], [], [], [], [], []), masterData);
        return Directory.EnumerateFiles(folder, "*.csv").ToDictionary(
            f => Path.GetFileNameWithoutExtension(f),
            f => File.ReadLines(f).First().Split(',').ToHashSet(StringComparer.Ordinal));
    }

    private static List<TmdlObject> ReadModel()
    {
        var files = Directory.EnumerateFiles(Repository.PathOf(Definition), "*.tmdl", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
        Assert.NotEmpty(files);
        return [.. files.SelectMany(f => TmdlObject.Parse(Repository.Relative(f), File.ReadAllText(f)))];
    }

    [GeneratedRegex("""^ReportingTable\("(?<file>\w+)", \{(?<types>.*)\}\)$""", RegexOptions.Singleline)]
    private static partial Regex ReportingTableCall();

    [GeneratedRegex("""\{"(\w+)", [^{}]+\}""")]
    private static partial Regex TypedColumn();

    /// <summary><c>'Table'[member]</c> or <c>Table[member]</c>.</summary>
    [GeneratedRegex("""(?:'(?<table>[^']+)'|(?<table>[A-Za-z_]\w*))\[(?<member>[^\]]+)\]""")]
    private static partial Regex QualifiedReference();

    /// <summary><c>[member]</c> with no table before it: a measure.</summary>
    [GeneratedRegex("""(?<![\w'\]])\[(?<member>[^\]]+)\]""")]
    private static partial Regex MeasureReference();
}

/// <summary>
/// Just enough of TMDL for the checks above: objects (<c>table</c>, <c>column</c>, <c>measure</c>...) nested by tab
/// indentation, their <c>key: value</c> properties, and expressions (after <c>=</c>, or on the lines two levels deeper).
/// </summary>
internal sealed class TmdlObject
{
    private static readonly Dictionary<string, string[]> Parents = new(StringComparer.Ordinal)
    {
        ["database"] = [""],
        ["model"] = [""],
        ["ref"] = [""],
        ["table"] = [""],
        ["relationship"] = [""],
        ["expression"] = [""],
        ["column"] = ["table"],
        ["measure"] = ["table"],
        ["partition"] = ["table"],
        ["annotation"] = ["database", "model", "table", "column", "measure", "partition", "relationship", "expression"],
    };

    private TmdlObject(string kind, string name, string? expression)
    {
        Kind = kind;
        Name = name;
        Expression = expression;
    }

    public string Kind { get; }

    public string Name { get; }

    /// <summary>What follows <c>=</c> on the object's line (a DAX or M expression, or a partition's type).</summary>
    public string? Expression { get; private set; }

    public Dictionary<string, string> Properties { get; } = new(StringComparer.Ordinal);

    public List<TmdlObject> Children { get; } = [];

    /// <summary>The top-level objects of one file.</summary>
    /// <exception cref="FormatException">The file is not well-formed TMDL (the message says where).</exception>
    public static List<TmdlObject> Parse(string path, string text)
    {
        var roots = new List<TmdlObject>();
        var open = new Stack<(TmdlObject Object, int Depth)>();
        Action<string>? continuation = null; // the multi-line expression being read
        var continuationDepth = 0;
        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            var depth = line.Length - line.TrimStart('\t').Length;
            var content = line[depth..];
            if (continuation is not null && (content.Length == 0 || depth >= continuationDepth))
            {
                continuation(content.Length == 0 ? "" : line[continuationDepth..]);
                continue;
            }

            continuation = null;
            if (content.Trim().Length == 0 || content.StartsWith("///", StringComparison.Ordinal))
                continue;
            if (content[0] == ' ')
                throw new FormatException($"{path}:{i + 1}: indent with tabs");

            while (open.Count > 0 && open.Peek().Depth >= depth)
                open.Pop();
            var parent = open.Count > 0 ? open.Peek() : default;
            if (depth != (parent.Object is null ? 0 : parent.Depth + 1))
                throw new FormatException($"{path}:{i + 1}: unexpected indentation");

            var keyword = content.Split(' ')[0];
            if (Parents.TryGetValue(keyword, out var parents))
            {
                if (!parents.Contains(parent.Object?.Kind ?? ""))
                    throw new FormatException($"{path}:{i + 1}: {keyword} cannot be inside {parent.Object?.Kind ?? "the file"}");
                var rest = content[keyword.Length..].TrimStart();
                if (keyword == "ref")
                    rest = rest[(rest.IndexOf(' ', StringComparison.Ordinal) + 1)..];
                var (name, expression) = NameAndExpression(rest, path, i);
                var created = new TmdlObject(keyword, name, expression);
                (parent.Object?.Children ?? roots).Add(created);
                open.Push((created, depth));
                if (expression == "")
                    (continuation, continuationDepth) = (l => created.Expression += l + "\n", depth + 2);
            }
            else
            {
                if (parent.Object is null)
                    throw new FormatException($"{path}:{i + 1}: a property outside an object");
                var properties = parent.Object.Properties;
                var separator = content.IndexOfAny([':', '=']);
                var key = separator < 0 ? content.Trim() : content[..separator].Trim();
                var value = separator < 0 ? "" : content[(separator + 1)..].Trim();
                properties[key] = value;
                if (separator >= 0 && content[separator] == '=' && value.Length == 0)
                    (continuation, continuationDepth) = (l => properties[key] += l + "\n", depth + 2);
            }
        }

        return roots;
    }

    /// <summary>A name (bare, or quoted with <c>'</c>, <c>''</c> for a quote) and what follows an <c>=</c> (null without one).</summary>
    private static (string Name, string? Expression) NameAndExpression(string rest, string path, int line)
    {
        string name;
        int end;
        if (rest.StartsWith('\''))
        {
            end = 1;
            while (end < rest.Length && !(rest[end] == '\'' && (end + 1 == rest.Length || rest[end + 1] != '\'')))
                end += rest[end] == '\'' ? 2 : 1;
            if (end >= rest.Length)
                throw new FormatException($"{path}:{line + 1}: unterminated quoted name");
            name = rest[1..end].Replace("''", "'", StringComparison.Ordinal);
            end++;
        }
        else
        {
            end = rest.IndexOfAny([' ', '=']);
            end = end < 0 ? rest.Length : end;
            name = rest[..end];
        }

        var after = rest[end..].Trim();
        if (after.Length == 0)
            return (name, null);
        if (after[0] != '=')
            throw new FormatException($"{path}:{line + 1}: unexpected '{after}' after the name {name}");
        return (name, after[1..].Trim());
    }

    public override string ToString() => $"{Kind} {Name}";
}
