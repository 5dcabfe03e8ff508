using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace HealthFlow.Pipeline.Workflows;

/// <summary>Settings of the two workflows (<c>Workflows:*</c>).</summary>
public sealed class WorkflowOptions
{
    /// <summary>
    /// <c>Workflows:QuietPeriodSeconds</c> (default 3600): charges are final when none arrived for this long after discharge
    /// (most feeds never send coding-complete).
    /// </summary>
    public TimeSpan QuietPeriod { get; init; } = TimeSpan.FromHours(1);

    /// <summary><c>Workflows:SlaHours</c> (default 72): after this long without a bill, a <c>discharged-not-final-billed</c> exception is raised.</summary>
    public TimeSpan SlaPeriod { get; init; } = TimeSpan.FromHours(72);

    /// <summary><c>Workflows:MasterData</c>: the master-data folder (reloaded on MappingUpdated); null uses config/masterdata when present, else the embedded sample.</summary>
    public string? MasterDataFolder { get; init; }

    /// <summary>Handlers at once per router subscription (sessions still run one at a time).</summary>
    public int RouterConcurrency { get; init; } = 8;

    public static WorkflowOptions FromConfiguration(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration.GetSection("Workflows");
        var options = new WorkflowOptions();
        var folder = section["MasterData"] is { Length: > 0 } configured ? configured
            : Directory.Exists(Path.Combine("config", "masterdata")) ? Path.Combine("config", "masterdata") : null;
        return new WorkflowOptions
        {
            QuietPeriod = section["QuietPeriodSeconds"] is { Length: > 0 } quiet ? TimeSpan.FromSeconds(double.Parse(quiet, CultureInfo.InvariantCulture)) : options.QuietPeriod,
            SlaPeriod = section["SlaHours"] is { Length: > 0 } sla ? TimeSpan.FromHours(double.Parse(sla, CultureInfo.InvariantCulture)) : options.SlaPeriod,
            MasterDataFolder = folder,
            RouterConcurrency = section["RouterConcurrency"] is { Length: > 0 } c ? int.Parse(c, CultureInfo.InvariantCulture) : options.RouterConcurrency,
        };
    }
}
