using System.Net;
using Microsoft.Extensions.Configuration;

namespace HealthFlow.Pipeline.Mllp;

/// <summary>
/// Who may send over MLLP, which has no credentials: an allow-list per vendor of sending facilities (MSH-4.1)
/// and client addresses (exact addresses or CIDR ranges), from the settings
/// <c>Mllp:Sources:{vendor}:Facilities</c> and <c>Mllp:Sources:{vendor}:Addresses</c> (comma-separated).
/// A message is attributed to the vendor whose facilities include its MSH-4 and whose addresses include the
/// connection's remote address; anything else is refused with AR and not stored.
/// </summary>
public sealed class MllpSources
{
    private readonly (string Vendor, HashSet<string> Facilities, IPNetwork[] Networks)[] _sources;

    public MllpSources(IEnumerable<(string Vendor, IEnumerable<string> Facilities, IEnumerable<string> Addresses)> sources) =>
        _sources = [.. sources.Select(s => (s.Vendor, s.Facilities.ToHashSet(StringComparer.OrdinalIgnoreCase), s.Addresses.Select(ParseNetwork).ToArray()))];

    public static MllpSources FromConfiguration(IConfiguration configuration) =>
        new(configuration.GetSection("Mllp:Sources").GetChildren()
            .Select(s => (s.Key, (IEnumerable<string>)Split(s["Facilities"]), (IEnumerable<string>)Split(s["Addresses"]))));

    public IReadOnlyList<string> Vendors => [.. _sources.Select(s => s.Vendor)];

    /// <summary>The vendor allowed to send for <paramref name="facility"/> from <paramref name="address"/>, or null.</summary>
    public string? Authorize(string facility, IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
            address = address.MapToIPv4();
        foreach (var (vendor, facilities, networks) in _sources)
        {
            if (facilities.Contains(facility) && networks.Any(n => n.Contains(address)))
                return vendor;
        }
        return null;
    }

    private static IPNetwork ParseNetwork(string text) =>
        text.Contains('/', StringComparison.Ordinal) ? IPNetwork.Parse(text) : new IPNetwork(IPAddress.Parse(text), IPAddress.Parse(text).AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128);

    private static string[] Split(string? list) =>
        list?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [];
}
