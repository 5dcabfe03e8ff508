using System.Globalization;
using Azure.Core;
using Azure.Core.Pipeline;

namespace HealthFlow.Ledger.Storage;

/// <summary>
/// Stamps <c>x-ms-version</c> and a fresh <c>x-ms-date</c> on every attempt. It runs per retry, before
/// authentication: a Shared Key signature covers the date, and Azure Storage refuses requests whose date is
/// more than 15 minutes off, so a retry after a long back-off must not reuse the first attempt's date.
/// </summary>
internal sealed class AzureStorageHeadersPolicy(TimeProvider clock) : HttpPipelineSynchronousPolicy
{
    public override void OnSendingRequest(HttpMessage message)
    {
        message.Request.Headers.SetValue("x-ms-version", AzureBlobStore.ServiceVersion);
        message.Request.Headers.SetValue("x-ms-date", clock.GetUtcNow().ToString("r", CultureInfo.InvariantCulture));
    }
}
