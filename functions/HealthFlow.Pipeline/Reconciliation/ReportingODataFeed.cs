using System.Globalization;
using HealthFlow.Pipeline.Http;
using HealthFlow.Pipeline.Security;
using Microsoft.AspNetCore.Http;
using Microsoft.OData;
using Microsoft.OData.Edm;
using Microsoft.OData.UriParser;

namespace HealthFlow.Pipeline.Reconciliation;

/// <summary>
/// The reporting tables (<see cref="ReportingTables"/>) as an OData v4 feed for Power BI's OData connector, read from the
/// same CSV files: <c>GET /odata/</c> (service document), <c>GET /odata/$metadata</c> (CSDL), <c>GET /odata/{table}</c>
/// with <c>$filter</c> (comparisons with <c>eq ne gt ge lt le</c>, <c>and</c>, <c>or</c>, <c>not</c>, e.g.
/// <c>date_key ge 20260101 and date_key le 20260131</c>). Admin key only, in <c>x-functions-key</c> or <c>?code=</c>.
/// </summary>
/// <remarks>
/// Each table is an entity set of the same name; its type has the CSV's columns (whole numbers Edm.Int64, amounts
/// Edm.Decimal, dates Edm.Date, timestamps Edm.DateTimeOffset, flags Edm.Boolean), keyed by what makes a row unique.
/// Empty numbers, dates and flags are nulls; empty text is the empty string (a fact's facility or payer may be unknown).
/// With a <see cref="ReportingContainer"/> (Azure) each request first pulls the container's tables into the folder.
/// </remarks>
public sealed class ReportingODataFeed(VendorDirectory vendors, string reportingFolder, ReportingContainer? container = null)
{
    public const string Namespace = "HealthFlow.Reporting";

    private static readonly Dictionary<string, string[]> Keys = new(StringComparer.Ordinal)
    {
        ["dim_date"] = ["date_key"],
        ["dim_facility"] = ["facility_key"],
        ["dim_payer"] = ["payer_key"],
        ["dim_account"] = ["account_key"],
        ["fact_totals"] = ["date_key", "legal_entity", "facility_key", "payer_key", "measure"],
        ["fact_accounts"] = ["date_key", "legal_entity", "facility_key", "payer_key", "account_key"],
        ["fact_remittances"] = ["date_key", "remittance"],
        ["fact_counts"] = ["date_key", "stage", "source"],
        ["fact_breaks"] = ["break_id"],
        ["fact_sla"] = ["date_key", "sla", "subject"],
    };

    /// <summary>The entity data model of the reporting tables.</summary>
    public static IEdmModel Model { get; } = BuildModel();

    public async Task GetAsync(HttpContext context, string? path)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (RequestKeys.RefuseUnlessAdmin(context.Request, vendors, "The OData feed") is { } refused)
        {
            await refused.ExecuteAsync(context);
            return;
        }

        if (container is not null)
            await container.PullAsync(reportingFolder, context.RequestAborted);
        var root = new Uri($"{context.Request.Scheme}://{context.Request.Host}{context.Request.PathBase}/odata/");
        var message = new ResponseMessage();
        ODataMessageWriterSettings Settings(ODataUri? uri = null) =>
            new() { Version = ODataVersion.V4, BaseUri = root, EnableMessageStreamDisposal = false, ODataUri = uri ?? new ODataUri { ServiceRoot = root } };
        try
        {
            if (string.IsNullOrEmpty(path))
            {
                using var writer = new ODataMessageWriter(message, Settings(), Model);
                writer.WriteServiceDocument(Model.GenerateServiceDocument());
            }
            else if (path == "$metadata")
            {
                using var writer = new ODataMessageWriter(message, Settings(), Model);
                writer.WriteMetadataDocument();
            }
            else if (ReportingTables.All.FirstOrDefault(t => t.Name == path) is { } table)
            {
                var set = Model.EntityContainer.FindEntitySet(table.Name);
                var requestUri = new Uri(root, table.Name + context.Request.QueryString.Value);
                var filter = new ODataUriParser(Model, root, requestUri).ParseFilter();
                // Unsupported expressions fail here, before any row, even on an empty table.
                if (filter is not null)
                    Evaluate(filter.Expression, table.Columns.ToDictionary(c => c.Name, _ => (object?)null, StringComparer.Ordinal));
                var uri = new ODataUri { ServiceRoot = root, Path = new ODataPath(new EntitySetSegment(set)) };
                using var writer = new ODataMessageWriter(message, Settings(uri), Model);
                var feed = writer.CreateODataResourceSetWriter(set, set.EntityType());
                feed.WriteStart(new ODataResourceSet());
                foreach (var row in ReportingTables.Read(reportingFolder, table))
                {
                    var values = table.Columns.Select((c, i) => (c.Name, Value: Typed(c.Type, row[i]))).ToList();
                    if (filter is not null && !Equals(Evaluate(filter.Expression, values.ToDictionary(v => v.Name, v => v.Value, StringComparer.Ordinal)), true))
                        continue;
                    feed.WriteStart(new ODataResource { Properties = [.. values.Select(v => new ODataProperty { Name = v.Name, Value = v.Value })] });
                    feed.WriteEnd();
                }

                feed.WriteEnd();
            }
            else
            {
                await ApiProblems.NotFound($"No entity set '{path}'.").ExecuteAsync(context);
                return;
            }
        }
        catch (ODataException exception)
        {
            await ApiProblems.BadRequest(exception.Message).ExecuteAsync(context);
            return;
        }

        context.Response.StatusCode = StatusCodes.Status200OK;
        foreach (var (name, value) in message.Headers)
            context.Response.Headers[name] = value;
        message.Body.Position = 0;
        await message.Body.CopyToAsync(context.Response.Body, context.RequestAborted);
    }

    /// <summary>The CSV text of a cell as the value of its EDM type (an empty number, date or flag is null; empty text stays empty: a key may be "").</summary>
    public static object? Typed(ColumnType type, string text) => text.Length == 0 && type != ColumnType.Text ? null : type switch
    {
        ColumnType.Whole => long.Parse(text, CultureInfo.InvariantCulture),
        ColumnType.Amount => decimal.Parse(text, CultureInfo.InvariantCulture),
        ColumnType.Date => Date.Parse(text, CultureInfo.InvariantCulture),
        ColumnType.Timestamp => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal),
        ColumnType.Flag => text == "true",
        _ => text,
    };

    private static EdmModel BuildModel()
    {
        var model = new EdmModel();
        var container = new EdmEntityContainer(Namespace, "Reporting");
        model.AddElement(container);
        foreach (var table in ReportingTables.All)
        {
            var type = new EdmEntityType(Namespace, table.Name);
            var keys = Keys[table.Name];
            foreach (var column in table.Columns)
            {
                var property = type.AddStructuralProperty(column.Name, Kind(column.Type), isNullable: !keys.Contains(column.Name));
                if (keys.Contains(column.Name))
                    type.AddKeys(property);
            }

            model.AddElement(type);
            container.AddEntitySet(table.Name, type);
        }

        return model;
    }

    private static EdmPrimitiveTypeKind Kind(ColumnType type) => type switch
    {
        ColumnType.Whole => EdmPrimitiveTypeKind.Int64,
        ColumnType.Amount => EdmPrimitiveTypeKind.Decimal,
        ColumnType.Date => EdmPrimitiveTypeKind.Date,
        ColumnType.Timestamp => EdmPrimitiveTypeKind.DateTimeOffset,
        ColumnType.Flag => EdmPrimitiveTypeKind.Boolean,
        _ => EdmPrimitiveTypeKind.String,
    };

    /// <summary>Evaluates a <c>$filter</c> expression on one row (comparisons, and/or/not); anything else is a 400.</summary>
    private static object? Evaluate(SingleValueNode node, IReadOnlyDictionary<string, object?> row) => node switch
    {
        ConstantNode constant => constant.Value,
        ConvertNode convert => Evaluate(convert.Source, row),
        SingleValuePropertyAccessNode property => row[property.Property.Name],
        UnaryOperatorNode { OperatorKind: UnaryOperatorKind.Not } not => Evaluate(not.Operand, row) is bool b ? !b : null,
        BinaryOperatorNode { OperatorKind: BinaryOperatorKind.And } and => Equals(Evaluate(and.Left, row), true) && Equals(Evaluate(and.Right, row), true),
        BinaryOperatorNode { OperatorKind: BinaryOperatorKind.Or } or => Equals(Evaluate(or.Left, row), true) || Equals(Evaluate(or.Right, row), true),
        BinaryOperatorNode binary => Compare(binary.OperatorKind, Evaluate(binary.Left, row), Evaluate(binary.Right, row)),
        _ => throw new ODataException($"$filter supports comparisons with and, or and not; not {node.Kind}."),
    };

    private static bool Compare(BinaryOperatorKind kind, object? left, object? right)
    {
        if (left is null || right is null)
            return kind switch
            {
                BinaryOperatorKind.Equal => left is null && right is null,
                BinaryOperatorKind.NotEqual => (left is null) != (right is null),
                _ => false,
            };
        var order = (Comparable(left), Comparable(right)) switch
        {
            (decimal l, decimal r) => l.CompareTo(r),
            (string l, string r) => string.CompareOrdinal(l, r),
            (var l, var r) when l.GetType() == r.GetType() => ((IComparable)l).CompareTo(r),
            _ => throw new ODataException($"Cannot compare {left.GetType().Name} with {right.GetType().Name}."),
        };
        return kind switch
        {
            BinaryOperatorKind.Equal => order == 0,
            BinaryOperatorKind.NotEqual => order != 0,
            BinaryOperatorKind.GreaterThan => order > 0,
            BinaryOperatorKind.GreaterThanOrEqual => order >= 0,
            BinaryOperatorKind.LessThan => order < 0,
            BinaryOperatorKind.LessThanOrEqual => order <= 0,
            _ => throw new ODataException($"$filter does not support {kind}."),
        };
    }

    /// <summary>Numbers compare as decimals whatever literal type the parser chose.</summary>
    private static object Comparable(object value) => value switch
    {
        int or long or short or byte or decimal or double or float => Convert.ToDecimal(value, CultureInfo.InvariantCulture),
        _ => value,
    };

    /// <summary>A buffered response: headers the writer sets, body copied to the HTTP response afterwards (no synchronous I/O on Kestrel).</summary>
    private sealed class ResponseMessage : IODataResponseMessage
    {
        private readonly Dictionary<string, string> _headers = new(StringComparer.OrdinalIgnoreCase);

        public MemoryStream Body { get; } = new();

        public IEnumerable<KeyValuePair<string, string>> Headers => _headers;

        public int StatusCode { get; set; } = 200;

        public string? GetHeader(string headerName) => _headers.GetValueOrDefault(headerName);

        public void SetHeader(string headerName, string headerValue) => _headers[headerName] = headerValue;

        public Stream GetStream() => Body;
    }
}
