using HealthFlow.Pipeline.Security;
using Microsoft.AspNetCore.Http;

namespace HealthFlow.Pipeline.Http;

/// <summary>The key a request carries, read as Azure Functions reads keys, and the admin-key gate of the operator routes.</summary>
public static class RequestKeys
{
    /// <summary>The x-functions-key header, else the code query parameter.</summary>
    public static string? Of(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return request.Headers["x-functions-key"].FirstOrDefault() ?? request.Query["code"].FirstOrDefault();
    }

    /// <summary>Null for the admin key; otherwise 401 for no or an unknown key, 403 for a vendor's key ("{what} needs the admin key").</summary>
    public static IResult? RefuseUnlessAdmin(HttpRequest request, VendorDirectory vendors, string what)
    {
        ArgumentNullException.ThrowIfNull(vendors);
        var key = Of(request);
        if (vendors.IsAdmin(key))
            return null;
        return vendors.Authenticate(key) is null ? ApiProblems.Unauthorized() : ApiProblems.Forbidden($"{what} needs the admin key.");
    }
}
