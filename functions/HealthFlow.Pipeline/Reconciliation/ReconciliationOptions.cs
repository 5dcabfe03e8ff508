using System.Globalization;
using HealthFlow.Finance.Reconciliation;
using Microsoft.Extensions.Configuration;

namespace HealthFlow.Pipeline.Reconciliation;

/// <summary>Settings of the reconciliation runner (<c>Reconciliation:*</c>, and the ERP gateway and SLA it checks against).</summary>
public sealed record ReconciliationOptions
{
    /// <summary>
    /// <c>Reconciliation:DailyAt</c> (UTC, default <c>02:00</c>; <c>off</c> disables): after this cut-off each day the local
    /// runtime reconciles the previous day.
    /// </summary>
    public TimeOnly? DailyAt { get; init; } = new(2, 0);

    /// <summary>SLA limits (<c>Reconciliation:PaymentPostingLagHours</c> 24, <c>Workflows:SlaHours</c> 72,
    /// <c>Reconciliation:ExceptionAgingHours</c> 48) and whether the ERP's copy is read (the file ERP's journals.jsonl).</summary>
    public ReconciliationSettings Settings { get; init; } = new() { ErpKeepsCopy = true };

    /// <summary>The file ERP's folder (<c>Erp:File:Folder</c>); null means <c>{data}/erp</c>.</summary>
    public string? ErpFolder { get; init; }

    public static ReconciliationOptions FromConfiguration(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration.GetSection("Reconciliation");
        var defaults = new ReconciliationSettings();
        static TimeSpan Hours(string? text, TimeSpan fallback) =>
            text is { Length: > 0 } ? TimeSpan.FromHours(double.Parse(text, CultureInfo.InvariantCulture)) : fallback;
        return new ReconciliationOptions
        {
            DailyAt = section["DailyAt"] switch
            {
                null or "" => new TimeOnly(2, 0),
                var off when off.Equals("off", StringComparison.OrdinalIgnoreCase) => null,
                var at => TimeOnly.Parse(at, CultureInfo.InvariantCulture),
            },
            Settings = new ReconciliationSettings
            {
                PaymentPostingLag = Hours(section["PaymentPostingLagHours"], defaults.PaymentPostingLag),
                DischargeToBill = Hours(configuration["Workflows:SlaHours"], defaults.DischargeToBill),
                ExceptionAging = Hours(section["ExceptionAgingHours"], defaults.ExceptionAging),
                ErpKeepsCopy = string.Equals(configuration["Erp:Gateway"] ?? "file", "file", StringComparison.OrdinalIgnoreCase),
            },
            ErpFolder = configuration["Erp:File:Folder"] is { Length: > 0 } folder ? folder : null,
        };
    }
}
