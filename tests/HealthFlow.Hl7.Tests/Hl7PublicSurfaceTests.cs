using System.Reflection;
using System.Xml.Linq;

namespace HealthFlow.Hl7.Tests;

/// <summary>Consistency checks over every public type of HealthFlow.Hl7 (STYLE.md: public types state their invariants).</summary>
public class Hl7PublicSurfaceTests
{
    private static readonly Assembly Library = typeof(Hl7Reader).Assembly;

    [Fact]
    public void Every_public_type_has_an_XML_summary()
    {
        var xmlPath = Path.ChangeExtension(Library.Location, ".xml");
        Assert.True(File.Exists(xmlPath), $"{xmlPath} missing: GenerateDocumentationFile must stay on.");
        var documented = XDocument.Load(xmlPath).Descendants("member")
            .Where(m => m.Element("summary") is { } summary && summary.Value.Trim().Length > 0)
            .Select(m => (string)m.Attribute("name")!)
            .ToHashSet(StringComparer.Ordinal);
        var missing = Library.GetExportedTypes()
            .Select(t => "T:" + t.FullName!.Replace('+', '.'))
            .Where(name => !documented.Contains(name))
            .ToList();
        Assert.Empty(missing);
    }

    [Fact]
    public void Every_public_type_lives_in_the_project_namespace()
    {
        Assert.All(Library.GetExportedTypes(), t => Assert.StartsWith("HealthFlow.Hl7", t.Namespace, StringComparison.Ordinal));
    }

    [Fact]
    public void No_public_API_uses_binary_floating_point_for_values()
    {
        var offenders = Library.GetExportedTypes()
            .SelectMany(t => t.GetProperties(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static).Select(p => (t, p.Name, p.PropertyType)))
            .Where(x => x.PropertyType == typeof(double) || x.PropertyType == typeof(float) || x.PropertyType == typeof(double?) || x.PropertyType == typeof(float?))
            .Select(x => $"{x.t.Name}.{x.Name}")
            .ToList();
        Assert.Empty(offenders);
    }
}
