using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
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

    /// <summary>The password of HTTP Basic authentication (the user name is ignored), for pages a browser opens.</summary>
    public static string? BasicPassword(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!AuthenticationHeaderValue.TryParse(request.Headers.Authorization.FirstOrDefault(), out var header)
            || !string.Equals(header.Scheme, "Basic", StringComparison.OrdinalIgnoreCase) || header.Parameter is null)
            return null;
        var decoded = new byte[header.Parameter.Length];
        if (!Convert.TryFromBase64String(header.Parameter, decoded, out var length))
            return null;
        var credentials = Encoding.UTF8.GetString(decoded, 0, length);
        var colon = credentials.IndexOf(':', StringComparison.Ordinal);
        return colon < 0 ? null : credentials[(colon + 1)..];
    }

    /// <summary>
    /// A name for a key that is safe to record (audit records, logs): <c>key-</c> and 12 hex digits of its SHA-256, so a
    /// record says which key acted, and whether it was the one in use before a rotation, without holding the key.
    /// </summary>
    public static string IdOf(string key) => "key-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)).AsSpan(0, 6));

    /// <summary>Null for the admin key; otherwise 401 for no or an unknown key, 403 for a vendor's key ("{what} needs the admin key").</summary>
    public static IResult? RefuseUnlessAdmin(HttpRequest request, VendorDirectory vendors, string what) => RefuseUnlessAdmin(Of(request), vendors, what);

    /// <inheritdoc cref="RefuseUnlessAdmin(HttpRequest, VendorDirectory, string)"/>
    public static IResult? RefuseUnlessAdmin(string? key, VendorDirectory vendors, string what)
    {
        ArgumentNullException.ThrowIfNull(vendors);
        if (vendors.IsAdmin(key))
            return null;
        return vendors.Authenticate(key) is null ? ApiProblems.Unauthorized() : ApiProblems.Forbidden($"{what} needs the admin key.");
    }
}
