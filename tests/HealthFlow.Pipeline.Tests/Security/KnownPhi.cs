using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace HealthFlow.Pipeline.Tests.Security;

/// <summary>
/// The patient names, birth dates and member ids in the messages a test sends, read from the messages themselves (X12
/// NM1 QC/IL and DMG, FHIR Patient, HL7 PID), and a whole-word search for them in any text.
/// </summary>
internal sealed class KnownPhi
{
    private readonly HashSet<string> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _asSent = new(StringComparer.Ordinal);
    private Regex? _pattern;

    /// <summary>Every value searched for: as sent, and each birth date in its other form too (yyyyMMdd and yyyy-MM-dd).</summary>
    public IReadOnlyCollection<string> Values => _values;

    /// <summary>The values exactly as they occur in the messages.</summary>
    public IReadOnlyCollection<string> AsSent => _asSent;

    public void AddX12(byte[] interchange)
    {
        var text = Encoding.Latin1.GetString(interchange);
        var element = text[3];
        foreach (var segment in text.Split(text[105]))
        {
            var fields = segment.Trim().Split(element);
            if (fields is ["NM1", "QC" or "IL", _, var last, .. var rest])
            {
                Add(last);
                Add(rest.ElementAtOrDefault(0));
                Add(rest.ElementAtOrDefault(5));
            }
            else if (fields is ["DMG", _, var birthDate, ..])
            {
                AddDate(birthDate);
            }
        }
    }

    public void AddFhir(byte[] json)
    {
        using var document = JsonDocument.Parse(json);
        AddPatients(document.RootElement);
    }

    public void AddHl7(string message)
    {
        foreach (var segment in message.Split('\r', StringSplitOptions.RemoveEmptyEntries))
        {
            var fields = segment.Split('|');
            if (fields[0] != "PID")
                continue;
            foreach (var identifier in fields[3].Split('~'))
                Add(identifier.Split('^')[0]);
            var name = fields[5].Split('^');
            Add(name[0]);
            Add(name.ElementAtOrDefault(1));
            AddDate(fields[7]);
        }
    }

    /// <summary>The known values that occur in <paramref name="text"/> as whole words.</summary>
    public IEnumerable<string> FoundIn(string text)
    {
        _pattern ??= new Regex(@"\b(" + string.Join('|', _values.Select(Regex.Escape)) + @")\b", RegexOptions.CultureInvariant);
        return _pattern.Matches(text).Select(m => m.Value).Distinct();
    }

    private void AddPatients(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object when element.TryGetProperty("resourceType", out var type) && type.ValueEquals("Patient"):
                foreach (var name in Array(element, "name"))
                {
                    Add(name.TryGetProperty("family", out var family) ? family.GetString() : null);
                    foreach (var given in Array(name, "given"))
                        Add(given.GetString());
                }

                foreach (var identifier in Array(element, "identifier"))
                    Add(identifier.TryGetProperty("value", out var value) ? value.GetString() : null);
                if (element.TryGetProperty("birthDate", out var birthDate))
                    AddDate(birthDate.GetString());
                break;
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                    AddPatients(property.Value);
                break;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                    AddPatients(item);
                break;
            default:
                break;
        }
    }

    private static JsonElement[] Array(JsonElement element, string name) =>
        element.TryGetProperty(name, out var array) && array.ValueKind == JsonValueKind.Array ? [.. array.EnumerateArray()] : [];

    /// <summary>A birth date as sent (yyyyMMdd in X12 and HL7, yyyy-MM-dd in FHIR), and in the other form.</summary>
    private void AddDate(string? date)
    {
        if (date is not { Length: >= 8 })
            return;
        var iso = date.Contains('-', StringComparison.Ordinal);
        var compact = iso ? date.Replace("-", "", StringComparison.Ordinal)[..8] : date[..8];
        Add(iso ? date : compact);
        _values.Add(iso ? compact : $"{compact[..4]}-{compact[4..6]}-{compact[6..8]}");
    }

    private void Add(string? value)
    {
        if (!string.IsNullOrWhiteSpace(value) && !value.StartsWith("tok-", StringComparison.Ordinal))
        {
            _asSent.Add(value.Trim());
            _values.Add(value.Trim());
            _pattern = null;
        }
    }
}
