using System.Globalization;
using System.Net;
using Microsoft.Extensions.Configuration;

namespace HealthFlow.Pipeline.Mllp;

/// <summary>The MLLP listener's settings (<c>Mllp:*</c>; <c>healthflow serve --mllp 127.0.0.1:2575</c>).</summary>
public sealed class MllpOptions
{
    /// <summary>Where to listen; null: no MLLP listener.</summary>
    public IPEndPoint? Endpoint { get; init; }

    /// <summary>A connection silent for this long is closed (peers that connect and say nothing).</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Largest message accepted; a larger frame is answered with AR and discarded without buffering it.</summary>
    public int MaxFrameBytes { get; init; } = 8 * 1024 * 1024;

    public static MllpOptions FromConfiguration(IConfiguration configuration) => new()
    {
        Endpoint = configuration["Mllp:Endpoint"] is { Length: > 0 } endpoint ? IPEndPoint.Parse(endpoint) : null,
        IdleTimeout = TimeSpan.FromSeconds(double.Parse(configuration["Mllp:IdleTimeoutSeconds"] ?? "300", CultureInfo.InvariantCulture)),
        MaxFrameBytes = int.Parse(configuration["Mllp:MaxFrameBytes"] ?? (8 * 1024 * 1024).ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture),
    };
}
