using Microsoft.Azure.Functions.Worker;

namespace HealthFlow.Functions;

/// <summary>
/// The daily checks of a business day: reconciliation of sources against posted journals (breaks become workbench
/// exceptions and the <c>healthflow.reconciliation.breaks</c> metric), the reporting CSVs, and the SLA checks
/// (posting lag, discharged-not-final-billed) behind the alert rules of infra/monitoring.
/// </summary>
/// <remarks>
/// TODO(reconciliation, issue 7): the reconciliation service is being built in HealthFlow.Pipeline on another branch;
/// when it is merged it implements (or is adapted to) this interface and AzureComposition registers it. Until then the
/// timer fails to resolve it and says so in Application Insights every night (docs/AZURE.md, "The Functions app").
/// </remarks>
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
