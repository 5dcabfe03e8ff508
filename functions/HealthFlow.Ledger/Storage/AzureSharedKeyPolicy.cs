using System.Security.Cryptography;
using System.Text;
using Azure.Core;
using Azure.Core.Pipeline;

namespace HealthFlow.Ledger.Storage;

/// <summary>
/// Signs each attempt with the account's Shared Key (Azure Storage "SharedKey" scheme, string-to-sign of
/// version 2015-02-21 and later). Runs per retry, after <see cref="AzureStorageHeadersPolicy"/> stamped
/// <c>x-ms-date</c> and <c>x-ms-version</c>, because both are signed.
/// </summary>
/// <remarks>
/// The key stays in this object only: it is never formatted into a string, a log or an exception. Used for the
/// development connection string (Azurite); production authenticates with a managed identity instead.
/// </remarks>
internal sealed class AzureSharedKeyPolicy : HttpPipelineSynchronousPolicy
{
    private readonly string _accountName;
    private readonly byte[] _accountKey;

    public AzureSharedKeyPolicy(string accountName, byte[] accountKey)
    {
        _accountName = accountName;
        _accountKey = accountKey;
    }

    public override void OnSendingRequest(HttpMessage message)
    {
        var stringToSign = StringToSign(_accountName, message.Request);
        var signature = Convert.ToBase64String(HMACSHA256.HashData(_accountKey, Encoding.UTF8.GetBytes(stringToSign)));
        message.Request.Headers.SetValue("Authorization", $"SharedKey {_accountName}:{signature}");
    }

    /// <summary>The Shared Key string-to-sign for Blob, Queue and File services, version 2015-02-21+.</summary>
    internal static string StringToSign(string accountName, Request request)
    {
        string Header(string name) => request.Headers.TryGetValue(name, out var value) ? value : "";

        var contentLength = Header("Content-Length");
        var builder = new StringBuilder()
            .Append(request.Method.Method.ToUpperInvariant()).Append('\n')
            .Append(Header("Content-Encoding")).Append('\n')
            .Append(Header("Content-Language")).Append('\n')
            // Since 2015-02-21 a zero length is signed as the empty string.
            .Append(contentLength == "0" ? "" : contentLength).Append('\n')
            .Append(Header("Content-MD5")).Append('\n')
            .Append(Header("Content-Type")).Append('\n')
            // Date stays empty: x-ms-date is always sent and is signed with the canonicalized headers.
            .Append('\n')
            .Append(Header("If-Modified-Since")).Append('\n')
            .Append(Header("If-Match")).Append('\n')
            .Append(Header("If-None-Match")).Append('\n')
            .Append(Header("If-Unmodified-Since")).Append('\n')
            .Append(Header("Range")).Append('\n');

        var storageHeaders = request.Headers
            .Where(h => h.Name.StartsWith("x-ms-", StringComparison.OrdinalIgnoreCase))
            .Select(h => (Name: ToLower(h.Name.Trim()), Value: h.Value.Trim()))
            .OrderBy(h => h.Name, StringComparer.Ordinal);
        foreach (var (name, value) in storageHeaders)
            builder.Append(name).Append(':').Append(value).Append('\n');

        // Canonicalized resource: "/account" + the path exactly as encoded in the URI, then each query
        // parameter (name lower-cased, value decoded) sorted by name, repeated values joined with commas.
        builder.Append('/').Append(accountName).Append(request.Uri.Path.Length == 0 ? "/" : request.Uri.Path);
        var query = request.Uri.Query.TrimStart('?');
        if (query.Length > 0)
        {
            var parameters = query.Split('&', StringSplitOptions.RemoveEmptyEntries)
                .Select(pair =>
                {
                    var equals = pair.IndexOf('=', StringComparison.Ordinal);
                    return equals < 0
                        ? (Name: ToLower(Uri.UnescapeDataString(pair)), Value: "")
                        : (Name: ToLower(Uri.UnescapeDataString(pair[..equals])), Value: Uri.UnescapeDataString(pair[(equals + 1)..]));
                })
                .GroupBy(p => p.Name, StringComparer.Ordinal)
                .OrderBy(g => g.Key, StringComparer.Ordinal);
            foreach (var parameter in parameters)
            {
                builder.Append('\n').Append(parameter.Key).Append(':')
                    .AppendJoin(',', parameter.Select(p => p.Value).Order(StringComparer.Ordinal));
            }
        }
        return builder.ToString();
    }

    // The Shared Key specification defines canonical names in lower case (CA1308 prefers upper case for
    // round-tripping, which does not apply to a signature).
#pragma warning disable CA1308
    private static string ToLower(string value) => value.ToLowerInvariant();
#pragma warning restore CA1308
}
