using System.Text;
using System.Text.RegularExpressions;

namespace HealthFlow.Infra.Tests.Support;

/// <summary>
/// Just enough structure of a Bicep file for cross-file checks: declarations (param, var, resource, module, output)
/// with their text and line. Syntax errors are <c>bicep-syntax.mjs</c>'s job and types the compiler's (CI), so this
/// reader assumes a file that parses. It works on a masked copy of the text in which comments and the contents of
/// string literals are blanked, so brackets inside strings and comments never upset the nesting.
/// </summary>
public sealed partial class BicepDocument
{
    private readonly string _masked;
    private readonly int[] _lineStarts;

    private BicepDocument(string path, string text)
    {
        Path = path;
        Text = text;
        _masked = Mask(text);
        _lineStarts = [0, .. text.Select((c, i) => (c, i)).Where(p => p.c == '\n').Select(p => p.i + 1)];
        Read();
    }

    /// <summary>Repository-relative path, for messages.</summary>
    public string Path { get; }

    public string Text { get; }

    public List<BicepDeclaration> Parameters { get; } = [];

    public List<BicepDeclaration> Variables { get; } = [];

    public List<BicepDeclaration> Outputs { get; } = [];

    /// <summary>Resources and modules, nested child resources included.</summary>
    public List<BicepBlock> Blocks { get; } = [];

    public IEnumerable<BicepBlock> Resources => Blocks.Where(b => b.Kind == "resource");

    public IEnumerable<BicepBlock> Modules => Blocks.Where(b => b.Kind == "module");

    public static BicepDocument Load(string relative) => new(relative, Repository.Read(relative));

    public static BicepDocument Parse(string path, string text) => new(path, text);

    public BicepDeclaration Variable(string name) =>
        Variables.SingleOrDefault(v => v.Name == name)
        ?? throw new InvalidOperationException($"{Path} declares no variable '{name}'.");

    /// <summary>The text with comments removed and string contents kept (for searching expressions).</summary>
    public string CodeWithoutComments() => StripComments(Text);

    public int LineOf(int index)
    {
        var line = Array.BinarySearch(_lineStarts, index);
        return (line >= 0 ? line : ~line - 1) + 1;
    }

    private void Read()
    {
        var pendingDecorators = new StringBuilder();
        var depth = 0;
        for (var i = 0; i < _lineStarts.Length; i++)
        {
            var start = _lineStarts[i];
            var end = i + 1 < _lineStarts.Length ? _lineStarts[i + 1] : Text.Length;
            var masked = _masked[start..end];
            var original = Text[start..end];

            if (depth == 0)
            {
                if (masked.TrimStart().StartsWith('@'))
                {
                    pendingDecorators.Append(original);
                }
                else if (ParameterLine().Match(masked) is { Success: true } parameter)
                {
                    var hasDefault = parameter.Groups["default"].Success;
                    Parameters.Add(new BicepDeclaration(
                        parameter.Groups["name"].Value,
                        parameter.Groups["type"].Value,
                        hasDefault ? Statement(start + parameter.Groups["default"].Index) : null,
                        pendingDecorators.ToString(),
                        i + 1));
                    pendingDecorators.Clear();
                }
                else if (VariableLine().Match(masked) is { Success: true } variable)
                {
                    Variables.Add(new BicepDeclaration(variable.Groups["name"].Value, "", Statement(start + variable.Groups["value"].Index), pendingDecorators.ToString(), i + 1));
                    pendingDecorators.Clear();
                }
                else if (OutputLine().Match(masked) is { Success: true } output)
                {
                    Outputs.Add(new BicepDeclaration(output.Groups["name"].Value, output.Groups["type"].Value, Statement(start + output.Groups["value"].Index), pendingDecorators.ToString(), i + 1));
                    pendingDecorators.Clear();
                }
                else if (!string.IsNullOrWhiteSpace(masked))
                {
                    pendingDecorators.Clear();
                }
            }
            else if (pendingDecorators.Length > 0)
            {
                // Inside a multi-line decorator such as @allowed([ ... ]).
                pendingDecorators.Append(original);
            }

            if (BlockLine().Match(masked) is { Success: true })
                Blocks.Add(ReadBlock(start, i + 1));

            depth += DepthChange(masked);
        }
    }

    private BicepBlock ReadBlock(int lineStart, int line)
    {
        var header = BlockHeader().Match(Text, lineStart);
        if (!header.Success)
            throw new InvalidOperationException($"{Path}:{line}: cannot read the declaration header.");
        var equals = _masked.IndexOf('=', header.Index + header.Length);
        var open = _masked.IndexOf('{', equals);
        var close = MatchingClose(open);
        return new BicepBlock(
            header.Groups["kind"].Value,
            header.Groups["symbol"].Value,
            header.Groups["target"].Value,
            header.Groups["existing"].Success,
            Text[equals..open],
            Text[(open + 1)..close],
            _masked[(open + 1)..close],
            line,
            this);
    }

    /// <summary>The text of an expression that starts at <paramref name="start"/> and ends at the end of a line at its own nesting depth.</summary>
    private string Statement(int start)
    {
        var depth = 0;
        for (var i = start; i < _masked.Length; i++)
        {
            var c = _masked[i];
            if (c is '{' or '[' or '(')
                depth++;
            else if (c is '}' or ']' or ')')
                depth--;
            else if (c == '\n' && depth <= 0)
                return Text[start..i].TrimEnd();
        }
        return Text[start..].TrimEnd();
    }

    private int MatchingClose(int open)
    {
        var depth = 0;
        for (var i = open; i < _masked.Length; i++)
        {
            var c = _masked[i];
            if (c is '{' or '[' or '(')
                depth++;
            else if (c is '}' or ']' or ')' && --depth == 0)
                return i;
        }
        throw new InvalidOperationException($"{Path}: unbalanced brackets after line {LineOf(open)}.");
    }

    internal static int DepthChange(string masked) =>
        masked.Count(c => c is '{' or '[' or '(') - masked.Count(c => c is '}' or ']' or ')');

    /// <summary>Blanks comments and the contents of string literals (interpolations included), keeping length and line breaks.</summary>
    internal static string Mask(string text) => Scan(text, maskStrings: true);

    internal static string StripComments(string text) => Scan(text, maskStrings: false);

    private static string Scan(string text, bool maskStrings)
    {
        var result = text.ToCharArray();
        void Blank(int from, int to)
        {
            for (var k = from; k < to && k < result.Length; k++)
            {
                if (result[k] != '\n')
                    result[k] = ' ';
            }
        }

        var i = 0;
        var interpolationDepth = new Stack<int>();
        while (i < text.Length)
        {
            var c = text[i];
            if (c == '/' && i + 1 < text.Length && text[i + 1] == '/')
            {
                var end = text.IndexOf('\n', i);
                end = end < 0 ? text.Length : end;
                Blank(i, end);
                i = end;
            }
            else if (c == '/' && i + 1 < text.Length && text[i + 1] == '*')
            {
                var end = text.IndexOf("*/", i + 2, StringComparison.Ordinal);
                end = end < 0 ? text.Length : end + 2;
                Blank(i, end);
                i = end;
            }
            else if (string.CompareOrdinal(text, i, "'''", 0, 3) == 0)
            {
                var end = text.IndexOf("'''", i + 3, StringComparison.Ordinal);
                end = end < 0 ? text.Length : end;
                if (maskStrings)
                    Blank(i + 3, end);
                i = Math.Min(text.Length, end + 3);
            }
            else if (c == '\'')
            {
                i = SkipString(text, i + 1, result, maskStrings);
            }
            else
            {
                i++;
            }
        }
        return new string(result);
    }

    /// <summary>Skips a single-quoted string whose opening quote is just before <paramref name="i"/>; returns the index after its closing quote.</summary>
    private static int SkipString(string text, int i, char[] result, bool mask)
    {
        var contentStart = i;
        while (i < text.Length)
        {
            var c = text[i];
            if (c == '\\')
            {
                i += 2;
            }
            else if (c == '\'')
            {
                if (mask)
                {
                    for (var k = contentStart; k < i; k++)
                    {
                        if (result[k] != '\n')
                            result[k] = ' ';
                    }
                }
                return i + 1;
            }
            else if (c == '$' && i + 1 < text.Length && text[i + 1] == '{')
            {
                // An interpolation: code until its matching brace, which may itself hold strings.
                i += 2;
                var depth = 1;
                while (i < text.Length && depth > 0)
                {
                    var d = text[i];
                    if (d == '\'')
                    {
                        i = SkipString(text, i + 1, result, mask);
                        continue;
                    }
                    if (d == '{')
                        depth++;
                    else if (d == '}')
                        depth--;
                    i++;
                }
            }
            else
            {
                i++;
            }
        }
        return i;
    }

    [GeneratedRegex(@"^param\s+(?<name>\w+)\s+(?<type>\w+)(?:\s*=\s*(?<default>\S.*))?\s*$")]
    private static partial Regex ParameterLine();

    [GeneratedRegex(@"^var\s+(?<name>\w+)\s*=\s*(?<value>\S.*)$")]
    private static partial Regex VariableLine();

    [GeneratedRegex(@"^output\s+(?<name>\w+)\s+(?<type>\w+)\s*=\s*(?<value>\S.*)$")]
    private static partial Regex OutputLine();

    [GeneratedRegex(@"^\s*(?:resource|module)\s+\w+\s+'")]
    private static partial Regex BlockLine();

    [GeneratedRegex(@"\G\s*(?<kind>resource|module)\s+(?<symbol>\w+)\s+'(?<target>[^']*)'\s*(?<existing>existing\b)?")]
    private static partial Regex BlockHeader();
}

/// <summary>A param, var or output: its name, declared type (param, output), value or default text, decorators and line.</summary>
public sealed record BicepDeclaration(string Name, string Type, string? Value, string Decorators, int Line);

/// <summary>A resource or module declaration.</summary>
/// <param name="Kind">"resource" or "module".</param>
/// <param name="Symbol">Symbolic name.</param>
/// <param name="Target">Resource type with API version, or module path.</param>
/// <param name="Existing">True for <c>existing</c> resources.</param>
/// <param name="Head">Text between the header and the body (loops and conditions).</param>
/// <param name="Body">Text inside the outer braces.</param>
/// <param name="MaskedBody">The body with comments and string contents blanked.</param>
/// <param name="Line">Line of the declaration.</param>
/// <param name="Document">The file.</param>
public sealed partial record BicepBlock(string Kind, string Symbol, string Target, bool Existing, string Head, string Body, string MaskedBody, int Line, BicepDocument Document)
{
    public string Location => $"{Document.Path}:{Line} ({Kind} {Symbol})";

    /// <summary>The resource type without API version.</summary>
    public string ResourceType => Target.Split('@')[0];

    /// <summary>The value text of a property at the top level of the body, or null.</summary>
    public string? Property(string name) => Properties().TryGetValue(name, out var value) ? value : null;

    /// <summary>Top-level properties of the body with their value text.</summary>
    public IReadOnlyDictionary<string, string> Properties() => PropertiesOf(Body, MaskedBody);

    /// <summary>Properties at the top level of the object value of a top-level property (e.g. <c>properties</c>, <c>params</c>).</summary>
    public IReadOnlyDictionary<string, string> PropertiesOf(string name)
    {
        var value = Property(name) ?? throw new InvalidOperationException($"{Location} has no '{name}'.");
        var open = value.IndexOf('{', StringComparison.Ordinal);
        var close = value.LastIndexOf('}');
        if (open < 0 || close < open)
            throw new InvalidOperationException($"{Location}: '{name}' is not an object literal.");
        var inner = value[(open + 1)..close];
        return PropertiesOf(inner, BicepDocument.Mask(inner));
    }

    private static Dictionary<string, string> PropertiesOf(string body, string masked)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        var depth = 0;
        var index = 0;
        foreach (var line in masked.Split('\n'))
        {
            if (depth == 0 && PropertyStart().Match(line) is { Success: true } match)
            {
                var valueStart = index + match.Length;
                var valueDepth = 0;
                var end = valueStart;
                for (; end < masked.Length; end++)
                {
                    var c = masked[end];
                    if (c is '{' or '[' or '(')
                        valueDepth++;
                    else if (c is '}' or ']' or ')')
                        valueDepth--;
                    else if (c == '\n' && valueDepth <= 0)
                        break;
                }
                var key = body.Substring(index + match.Groups["key"].Index, match.Groups["key"].Length).Trim('\'');
                result[key] = body[valueStart..end].Trim();
            }
            depth += BicepDocument.DepthChange(line);
            index += line.Length + 1;
        }
        return result;
    }

    [GeneratedRegex(@"^\s*(?<key>[A-Za-z_]\w*|'[^']*')\s*:\s*")]
    private static partial Regex PropertyStart();
}
