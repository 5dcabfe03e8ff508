using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.DependencyInjection;

namespace HealthFlow.Functions;

/// <summary>
/// The daily checks of a business day: reconciliation of sources against posted journals and ERP acknowledgements,
/// the reporting tables, and the SLA rows (posting lag, discharge-to-bill) (<see cref="ReconciliationDailyChecks"/>).
/// </summary>
public interface IDailyChecks
{
    /// <summary>Runs the checks of <paramref name="businessDay"/> (UTC); idempotent, so a re-run after a failure is safe.</summary>
    Task RunAsync(DateOnly businessDay, CancellationToken cancellationToken);
}

/// <summary>Timer triggers (Worker.Extensions.Timer: <c>TimerTriggerAttribute(string schedule)</c>, <see cref="TimerInfo"/>).</summary>
public sealed class ScheduleFunctions(IDailyChecks checks, TimeProvider clock)
{
    /// <summary>
    /// 02:30 UTC every day, for the day before: late feeds of the evening are in by then. NCRONTAB with seconds; UTC
    /// because Flex Consumption does not support WEBSITE_TIME_ZONE. Missed runs (app stopped) are caught up once
    /// (the timer's schedule monitor, on by default).
    /// </summary>
    [Function("DailyChecks")]
    public Task RunDailyChecks([TimerTrigger("0 30 2 * * *")] TimerInfo timer, FunctionContext context) =>
        checks.RunAsync(DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime).AddDays(-1), context.CancellationToken);
}

/// <summary>The daily checks in Azure: the day's reconciliation (with its SLA rows), the same runner the local schedule uses.</summary>
public sealed class ReconciliationDailyChecks(IServiceProvider services) : IDailyChecks
{
    public async Task RunAsync(DateOnly businessDay, CancellationToken cancellationToken) =>
        await services.GetRequiredService<HealthFlow.Pipeline.Reconciliation.ReconciliationRunner>().RunAsync(businessDay, cancellationToken);
}
