using Azure.Core;

namespace HealthFlow.Ledger.Storage;

/// <summary>
/// Azure.Core client options for <see cref="AzureBlobStore"/>: retries, network timeout, logging and the
/// transport. The defaults are Azure.Core's (3 retries, exponential back-off from 0.8 s, 100 s network timeout).
/// </summary>
/// <remarks>
/// Azure.Core's logging redacts every header and query parameter not on its allow lists, which keeps
/// <c>Authorization</c> (Shared Key signatures, bearer tokens) out of logs; this adds only the storage headers
/// and query parameters an operator needs to read a conflict. Content logging stays off (Azure.Core's default):
/// payloads can carry PHI. Raise <see cref="RetryOptions.NetworkTimeout"/>
/// when appending payloads near <see cref="AzureBlobStore.AppendBytesMax"/> over slow links.
/// </remarks>
public sealed class AzureBlobStoreOptions : ClientOptions
{
    public AzureBlobStoreOptions()
    {
        Diagnostics.ApplicationId = "HealthFlow.Ledger";
        foreach (var header in new[]
        {
            "x-ms-blob-condition-appendpos", "x-ms-blob-append-offset", "x-ms-blob-committed-block-count",
            "x-ms-blob-type", "x-ms-range", "Content-Range", "If-Match", "If-None-Match", "x-ms-version",
        })
        {
            Diagnostics.LoggedHeaderNames.Add(header);
        }
        foreach (var parameter in new[] { "comp", "restype", "prefix" })
            Diagnostics.LoggedQueryParameters.Add(parameter);
    }
}
