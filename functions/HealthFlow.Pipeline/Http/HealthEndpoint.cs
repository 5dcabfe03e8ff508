using HealthFlow.Ledger;
using Microsoft.AspNetCore.Http;

namespace HealthFlow.Pipeline.Http;

/// <summary>
/// GET /api/health: live when the process answers, ready when the ledger accepts appends. Anonymous, so
/// it says nothing a stranger should not know (no vendors, no counts of business data).
/// </summary>
public sealed class HealthEndpoint(BlobLedger ledger)
{
    public IResult Get()
    {
        var ready = ledger.Fault is null;
        var body = new { status = ready ? "healthy" : "unhealthy", live = true, ready, ledger = ready ? "ok" : "chain broken: appends refused until repaired" };
        return TypedResults.Json(body, ApiJson.Options, statusCode: ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
    }
}
