using System.Globalization;
using HealthFlow.Finance;
using HealthFlow.Ledger;
using HealthFlow.Pipeline.Http;
using HealthFlow.Pipeline.Runtime;
using HealthFlow.Pipeline.Security;
using HealthFlow.Pipeline.Telemetry;
using HealthFlow.Pipeline.Workflows;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace HealthFlow.Pipeline.Reconciliation;

/// <summary>Wires reconciliation into a host: options, the runner, <c>GET /api/reconciliation</c> and the daily schedule.</summary>
public static class ReconciliationRegistration
{
    /// <summary>Registers the options (<c>Reconciliation:*</c>), a runner per use (current master data), the endpoints and the schedule. Needs the workflows' services.</summary>
    public static IServiceCollection AddReconciliation(this IServiceCollection services, IConfiguration configuration, DataFolder data)
    {
        var options = ReconciliationOptions.FromConfiguration(configuration);
        services.AddSingleton(options);
        // A ReportingContainer, when the host registers one (Azure), holds the tables; the data folder then has a working copy.
        services.AddTransient(sp => new ReconciliationRunner(sp.GetRequiredService<ILedger>(), data.Path, sp.GetRequiredService<MasterDataSource>().Current,
            sp.GetRequiredService<PatientTokenizer>(), options, sp.GetRequiredService<TimeProvider>(), sp.GetService<ReportingContainer>(),
            sp.GetService<HealthFlowMetrics>()));
        services.AddSingleton<ReconciliationEndpoints>();
        services.AddSingleton(sp => new ReportingODataFeed(sp.GetRequiredService<VendorDirectory>(), Path.Combine(data.Path, ReportingTables.Folder), sp.GetService<ReportingContainer>()));
        services.AddSingleton<ReconciliationSchedule>();
        return services;
    }

    /// <summary>GET /api/reconciliation?date=yyyy-MM-dd, the page GET /reconciliation and the OData feed GET /odata/… (admin key).</summary>
    public static IEndpointRouteBuilder MapReconciliationApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/reconciliation", (HttpRequest request, ReconciliationEndpoints endpoints) => endpoints.GetAsync(request));
        app.MapGet("/reconciliation", (HttpRequest request, ReconciliationEndpoints endpoints) => endpoints.GetPageAsync(request));
        app.MapGet("/odata", (HttpContext context, ReportingODataFeed feed) => feed.GetAsync(context, null));
        app.MapGet("/odata/{path}", (HttpContext context, string path, ReportingODataFeed feed) => feed.GetAsync(context, path));
        return app;
    }
}

/// <summary>
/// <c>GET /api/reconciliation?date=D</c>: reconciles the day, writes the reporting tables and answers with the
/// <see cref="ReconciliationSummary"/>. Admin key only (breaks name receipts and 835s).
/// </summary>
public sealed class ReconciliationEndpoints(IServiceProvider services, VendorDirectory vendors, TimeProvider clock)
{
    public async Task<IResult> GetAsync(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (RequestKeys.RefuseUnlessAdmin(request, vendors, "Reconciliation") is { } refused)
            return refused;
        if (!DateOnly.TryParseExact(request.Query["date"].FirstOrDefault(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
            return ApiProblems.BadRequest("date must be given as yyyy-MM-dd.");
        var runner = services.GetRequiredService<ReconciliationRunner>();
        var report = await runner.RunAsync(day, request.HttpContext.RequestAborted);
        return TypedResults.Json(ReconciliationSummary.From(report, runner.ReportingFolder), ApiJson.Options);
    }

    /// <summary>
    /// <c>GET /reconciliation[?date=D]</c> (yesterday, UTC, by default): reconciles the day like the API and answers with
    /// <see cref="ReconciliationPage"/>. The admin key comes as for the API (<c>x-functions-key</c>, <c>?code=</c>) or, for
    /// browsers, as the password of HTTP Basic authentication (any user name): a 401 asks the browser for it, so the key
    /// stays out of addresses, history and access logs.
    /// </summary>
    public async Task<IResult> GetPageAsync(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (RequestKeys.RefuseUnlessAdmin(RequestKeys.Of(request) ?? RequestKeys.BasicPassword(request), vendors, "The reconciliation page") is { } refused)
        {
            request.HttpContext.Response.Headers.WWWAuthenticate = "Basic realm=\"HealthFlow admin key\", charset=\"UTF-8\"";
            return refused;
        }

        var day = DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime).AddDays(-1);
        if (request.Query["date"].FirstOrDefault() is { } date && !DateOnly.TryParseExact(date, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out day))
            return ApiProblems.BadRequest("date must be given as yyyy-MM-dd.");
        var runner = services.GetRequiredService<ReconciliationRunner>();
        var report = await runner.RunAsync(day, request.HttpContext.RequestAborted);
        var page = ReconciliationPage.Render(report, ReconciliationSummary.From(report, runner.ReportingFolder),
            ReconciliationPage.BreaksByDay(ReportingTables.Read(runner.ReportingFolder, ReportingTables.Dates), ReportingTables.Read(runner.ReportingFolder, ReportingTables.Breaks)));
        var headers = request.HttpContext.Response.Headers;
        // Self-contained by construction, and held to it: nothing but the document itself may load or run.
        headers.ContentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";
        headers.CacheControl = "no-store";
        headers.XContentTypeOptions = "nosniff";
        return TypedResults.Content(page, "text/html; charset=utf-8");
    }
}

/// <summary>
/// Reconciles the previous day once a day after <see cref="ReconciliationOptions.DailyAt"/> (UTC). Started after the
/// cut-off with yesterday not yet in the reporting tables, it catches up at once.
/// </summary>
public sealed partial class ReconciliationSchedule(IServiceProvider services, ReconciliationOptions options, TimeProvider clock, ILogger<ReconciliationSchedule> logger) : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask;
    private int _disposed;

    public void Start()
    {
        if (options.DailyAt is { } at)
            _loop = Task.Run(() => LoopAsync(at, _stop.Token));
    }

    /// <summary>When the next run is due, and for which day: today's cut-off if still ahead, else now when yesterday is missing, else tomorrow's.</summary>
    public static (DateTimeOffset Due, DateOnly Day) Next(DateTimeOffset now, TimeOnly at, Func<DateOnly, bool> done)
    {
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        var cutOff = new DateTimeOffset(today.ToDateTime(at), TimeSpan.Zero);
        if (now < cutOff)
            return (cutOff, today.AddDays(-1));
        return done(today.AddDays(-1)) ? (cutOff.AddDays(1), today) : (now, today.AddDays(-1));
    }

    private async Task LoopAsync(TimeOnly at, CancellationToken cancellationToken)
    {
        var reconciled = new HashSet<DateOnly>();
        while (!cancellationToken.IsCancellationRequested)
        {
            var folder = services.GetRequiredService<ReconciliationRunner>().ReportingFolder;
            var (due, day) = Next(clock.GetUtcNow(), at, d => reconciled.Contains(d) || InReporting(folder, d));
            try
            {
                var wait = due - clock.GetUtcNow();
                if (wait > TimeSpan.Zero)
                    await Task.Delay(wait, clock, cancellationToken);
                var report = await services.GetRequiredService<ReconciliationRunner>().RunAsync(day, cancellationToken);
                reconciled.Add(day);
                LogReconciled(logger, day, report.Breaks.Count);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception) when (exception is IOException or InvalidDataException or InvalidOperationException)
            {
                // A failed run is logged and tried again at the next cut-off; the server keeps serving.
                reconciled.Add(day);
                LogFailed(logger, day, exception);
            }
        }
    }

    private static bool InReporting(string folder, DateOnly day)
    {
        try
        {
            var key = ReportingTables.DateKey(day);
            return ReportingTables.Read(folder, ReportingTables.Dates).Any(r => r[0] == key);
        }
        catch (InvalidDataException)
        {
            return false;
        }
    }

    /// <summary>Stops the loop (the runtime does so before the engine; the container does it again, which is a no-op).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
            return;
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }

    [LoggerMessage(EventId = 7001, Level = LogLevel.Information, Message = "Reconciled {Day}: {Breaks} breaks")]
    private static partial void LogReconciled(ILogger logger, DateOnly day, int breaks);

    [LoggerMessage(EventId = 7002, Level = LogLevel.Warning, Message = "Reconciliation of {Day} failed; next try at the next cut-off")]
    private static partial void LogFailed(ILogger logger, DateOnly day, Exception error);
}
