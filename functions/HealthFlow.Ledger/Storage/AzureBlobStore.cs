using System.Globalization;
using System.Runtime.CompilerServices;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;

namespace HealthFlow.Ledger.Storage;

/// <summary>
/// <see cref="IBlobStore"/> over the Azure Blob Storage REST API, one container per instance, on Azure.Core's
/// <see cref="HttpPipeline"/> (retries, logging, distributed tracing from Azure.Core). Blobs created with
/// <see cref="CreateIfAbsentAsync"/> are append blobs; <see cref="PutAsync"/> writes block blobs.
/// </summary>
/// <remarks>
/// <para>How the port's invariants map onto the service:</para>
/// <list type="bullet">
/// <item>Create-if-absent is Put Blob (AppendBlob) with <c>If-None-Match: *</c>.</item>
/// <item>Append at an expected offset is one Append Block with <c>x-ms-blob-condition-appendpos</c>: the service
/// checks the length and writes in one step, so racing writers cannot interleave; the loser gets 412
/// <c>AppendPositionConditionNotMet</c>, reported as <see cref="AppendStatus.Conflict"/> with the length a
/// following Get Blob Properties saw.</item>
/// <item>Put is Put Blob (BlockBlob) with <c>If-Match</c> or <c>If-None-Match: *</c>; a single Put Blob replaces
/// the whole blob atomically. Delete carries <c>If-Match</c> when given. The <see cref="RetentionPolicy"/> is
/// applied before any delete or replace, exactly as <see cref="FileBlobStore"/> does.</item>
/// <item>Success means the service acknowledged the write (it is durable in the account's redundancy).</item>
/// </list>
/// <para>
/// Append size: one append is one Append Block call, never split. Splitting would break the port's atomicity
/// (a crash between parts leaves half an append that an append blob can never truncate, and a second writer
/// could slip in between the parts), so an append is limited to what one call accepts: 100 MiB
/// (<see cref="AppendBytesMax"/>) with <c>x-ms-version</c> 2022-11-02 or later (this store sends
/// <see cref="ServiceVersion"/>); older versions accepted 4 MiB. Larger appends are refused with
/// <see cref="ArgumentOutOfRangeException"/> before anything is sent. The ledger's group commits (normally ≤ 4 MiB)
/// and single raw payloads (≤ 64 MiB) both fit. An append blob also takes at most 50,000 Append Block calls;
/// the 50,001st fails with 409 <c>BlockCountExceedsLimit</c> (thrown), so segment rollover must come first.
/// </para>
/// <para>
/// Retries: Azure.Core retries timeouts, 408/429/5xx and dropped connections. A retried write whose first
/// attempt did land answers 412/409 on the retry; append and put then read the blob back and report success
/// when it holds exactly the bytes sent at the expected place, so a retry never turns our own write into a
/// conflict. A retried create or delete cannot tell: <see cref="CreateIfAbsentAsync"/> may then return false and
/// <see cref="DeleteAsync"/> <see cref="DeleteStatus.NotFound"/> for a blob this call created or deleted.
/// </para>
/// <para>
/// Unexpected answers (authentication, a missing container, throttling after the last retry) throw
/// <see cref="RequestFailedException"/> with the status and the service's error code; messages name the
/// operation, blob and request id, never a key, token, signature or response body.
/// </para>
/// </remarks>
public sealed class AzureBlobStore : IBlobStore
{
    /// <summary>
    /// The REST API version sent as <c>x-ms-version</c>: 2022-11-02 or later for 100 MiB Append Block, and one
    /// Azurite 3.37 (pinned in tests/tools) serves without <c>--skipApiVersionCheck</c>.
    /// </summary>
    public const string ServiceVersion = "2025-01-05";

    /// <summary>The largest append this store sends: one Append Block call at <see cref="ServiceVersion"/> (100 MiB).</summary>
    public const int AppendBytesMax = 100 * 1024 * 1024;

    /// <summary>The OAuth scope for Azure Storage data-plane access (role "Storage Blob Data Contributor").</summary>
    public const string StorageScope = "https://storage.azure.com/.default";

    private static readonly ResponseClassifier CreateClassifier = Expect(201, 409, 412);
    private static readonly ResponseClassifier AppendClassifier = Expect(201, 404, 412);
    private static readonly ResponseClassifier ReadClassifier = Expect(200, 206, 404, 416);
    private static readonly ResponseClassifier HeadClassifier = Expect(200, 404);
    private static readonly ResponseClassifier ListClassifier = Expect(200);
    private static readonly ResponseClassifier GetClassifier = Expect(200, 404);
    private static readonly ResponseClassifier PutClassifier = Expect(201, 404, 409, 412);
    private static readonly ResponseClassifier DeleteClassifier = Expect(202, 404, 412);
    private static readonly ResponseClassifier ContainerClassifier = Expect(201, 409);

    private readonly HttpPipeline _pipeline;
    private readonly string _container;
    private readonly RetentionPolicy _retention;

    private AzureBlobStore(Uri containerUri, HttpPipelinePolicy authentication, RetentionPolicy? retention, AzureBlobStoreOptions? options)
    {
        if (!containerUri.IsAbsoluteUri || containerUri.Scheme is not ("http" or "https") || !string.IsNullOrEmpty(containerUri.Query))
            throw new ArgumentException("The container URI must be an absolute http(s) URI without a query.", nameof(containerUri));
        _container = containerUri.GetLeftPart(UriPartial.Path).TrimEnd('/');
        ContainerUri = new Uri(_container);
        _retention = retention ?? RetentionPolicy.Default;
        options ??= new AzureBlobStoreOptions();
        // Per-retry policies run on every attempt after Azure.Core's retry policy: a fresh date, then the signature.
        _pipeline = HttpPipelineBuilder.Build(
            options,
            perCallPolicies: [],
            perRetryPolicies: [new AzureStorageHeadersPolicy(TimeProvider.System), authentication],
            responseClassifier: new ResponseClassifier());
    }

    /// <summary>
    /// A store on <paramref name="container"/> in the account a Shared Key connection string names
    /// (<c>UseDevelopmentStorage=true</c> or <c>DefaultEndpointsProtocol/AccountName/AccountKey[/BlobEndpoint]</c>).
    /// Meant for development against Azurite; production uses <see cref="FromTokenCredential"/>.
    /// </summary>
    /// <exception cref="FormatException">The connection string is malformed (the message never quotes it).</exception>
    public static AzureBlobStore FromConnectionString(string connectionString, string container, RetentionPolicy? retention = null, AzureBlobStoreOptions? options = null)
    {
        var account = AzureStorageConnectionString.Parse(connectionString);
        ValidateContainerName(container);
        return new AzureBlobStore(
            new Uri($"{account.BlobEndpoint.AbsoluteUri.TrimEnd('/')}/{container}"),
            new AzureSharedKeyPolicy(account.AccountName, account.AccountKey),
            retention,
            options);
    }

    /// <summary>
    /// A store on the container at <paramref name="containerUri"/> (<c>https://account.blob.core.windows.net/container</c>),
    /// authenticated with bearer tokens for <see cref="StorageScope"/> from <paramref name="credential"/> (a managed
    /// identity in Azure). Azure.Core's <see cref="BearerTokenAuthenticationPolicy"/> caches and refreshes tokens
    /// and refuses to send them over plain http.
    /// </summary>
    public static AzureBlobStore FromTokenCredential(Uri containerUri, TokenCredential credential, RetentionPolicy? retention = null, AzureBlobStoreOptions? options = null) =>
        new(containerUri, new BearerTokenAuthenticationPolicy(credential, StorageScope), retention, options);

    /// <summary>The container this store reads and writes, without a trailing slash.</summary>
    public Uri ContainerUri { get; }

    /// <summary>List Blobs page size (<c>maxresults</c>); null leaves the service's 5,000. Tests set it small to walk markers.</summary>
    internal int? ListPageSize { get; set; }

    /// <summary>Creates the container when absent (Create Container); returns false when it already existed.</summary>
    public async Task<bool> EnsureContainerAsync(CancellationToken cancellationToken = default)
    {
        using var message = NewMessage(RequestMethod.Put, null, "?restype=container", ContainerClassifier);
        message.Request.Headers.Add("Content-Length", "0");
        var response = await SendAsync(message, cancellationToken);
        return response.Status switch
        {
            201 => true,
            409 when ErrorCode(response) == "ContainerAlreadyExists" => false,
            _ => throw Unexpected(response, "create container", null),
        };
    }

    /// <inheritdoc/>
    public async Task<bool> CreateIfAbsentAsync(string name, CancellationToken cancellationToken = default)
    {
        using var message = NewMessage(RequestMethod.Put, BlobName.Validate(name), null, CreateClassifier);
        message.Request.Headers.Add("x-ms-blob-type", "AppendBlob");
        message.Request.Headers.Add("If-None-Match", "*");
        message.Request.Headers.Add("Content-Length", "0");
        var response = await SendAsync(message, cancellationToken);
        return response.Status switch
        {
            201 => true,
            409 or 412 when ErrorCode(response) is "BlobAlreadyExists" or "ConditionNotMet" => false,
            _ => throw Unexpected(response, "create append blob", name),
        };
    }

    /// <inheritdoc/>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="data"/> is longer than <see cref="AppendBytesMax"/>.</exception>
    public async Task<AppendResult> AppendAsync(string name, long expectedOffset, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        BlobName.Validate(name);
        ArgumentOutOfRangeException.ThrowIfNegative(expectedOffset);
        if (data.Length > AppendBytesMax)
            throw new ArgumentOutOfRangeException(nameof(data), data.Length, $"An append is one Append Block call of at most {AppendBytesMax} bytes; split it into records or store the payload with PutAsync.");
        if (data.IsEmpty)
        {
            // Append Block refuses an empty body; an empty append is only the offset check.
            var info = await GetInfoAsync(name, cancellationToken);
            return info is null ? new AppendResult(AppendStatus.NotFound, 0)
                : info.Value.Length == expectedOffset ? new AppendResult(AppendStatus.Appended, expectedOffset)
                : new AppendResult(AppendStatus.Conflict, info.Value.Length);
        }

        using var message = NewMessage(RequestMethod.Put, name, "?comp=appendblock", AppendClassifier);
        message.Request.Headers.Add("x-ms-blob-condition-appendpos", expectedOffset.ToString(CultureInfo.InvariantCulture));
        message.Request.Headers.Add("Content-Length", data.Length.ToString(CultureInfo.InvariantCulture));
        message.Request.Content = RequestContent.Create(data);
        var response = await SendAsync(message, cancellationToken);
        var end = checked(expectedOffset + data.Length);
        switch (response.Status)
        {
            case 201:
                return new AppendResult(AppendStatus.Appended, end);
            case 404 when ErrorCode(response) == "BlobNotFound":
                return new AppendResult(AppendStatus.NotFound, 0);
            case 412 when ErrorCode(response) == "AppendPositionConditionNotMet":
                if (message.ProcessingContext.RetryNumber > 0 && await HoldsAsync(name, expectedOffset, data, cancellationToken))
                    return new AppendResult(AppendStatus.Appended, end);
                var current = await GetInfoAsync(name, cancellationToken);
                return current is null
                    ? new AppendResult(AppendStatus.NotFound, 0)
                    : new AppendResult(AppendStatus.Conflict, current.Value.Length);
            default:
                throw Unexpected(response, "append block", name);
        }
    }

    /// <inheritdoc/>
    public async Task<int> ReadAsync(string name, long offset, Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        BlobName.Validate(name);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        if (buffer.IsEmpty)
            return await GetInfoAsync(name, cancellationToken) is null ? throw new BlobNotFoundException(name) : 0;

        using var message = NewMessage(RequestMethod.Get, name, null, ReadClassifier);
        var last = checked(offset + buffer.Length - 1);
        message.Request.Headers.Add("x-ms-range", $"bytes={offset.ToString(CultureInfo.InvariantCulture)}-{last.ToString(CultureInfo.InvariantCulture)}");
        // Stream the body straight into the caller's buffer instead of buffering a copy (reads can be 64 MiB).
        message.BufferResponse = false;
        var response = await SendAsync(message, cancellationToken);
        switch (response.Status)
        {
            case 200 or 206:
                var stream = response.ContentStream;
                if (stream is null)
                    return 0;
                var count = 0;
                while (count < buffer.Length)
                {
                    var read = await stream.ReadAsync(buffer[count..], cancellationToken);
                    if (read == 0)
                        break;
                    count += read;
                }
                return count;
            // 416 InvalidRange: the offset is at or past the end (an empty blob has no satisfiable range at all).
            case 416:
                return 0;
            case 404 when ErrorCode(response) != "ContainerNotFound":
                throw new BlobNotFoundException(name);
            default:
                throw Unexpected(response, "read range", name);
        }
    }

    /// <inheritdoc/>
    public async Task<BlobInfo?> GetInfoAsync(string name, CancellationToken cancellationToken = default)
    {
        using var message = NewMessage(RequestMethod.Head, BlobName.Validate(name), null, HeadClassifier);
        var response = await SendAsync(message, cancellationToken);
        return response.Status switch
        {
            200 => new BlobInfo(name, ContentLength(response), ETagOf(response)),
            // A HEAD answer has no body, but the service still sends x-ms-error-code.
            404 when ErrorCode(response) != "ContainerNotFound" => null,
            _ => throw Unexpected(response, "get properties", name),
        };
    }

    /// <inheritdoc/>
    public async IAsyncEnumerable<BlobInfo> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        string? marker = null;
        do
        {
            var query = $"?restype=container&comp=list&prefix={Uri.EscapeDataString(prefix)}";
            if (ListPageSize is { } size)
                query += $"&maxresults={size.ToString(CultureInfo.InvariantCulture)}";
            if (marker is not null)
                query += $"&marker={Uri.EscapeDataString(marker)}";
            AzureBlobListing page;
            using (var message = NewMessage(RequestMethod.Get, null, query, ListClassifier))
            {
                var response = await SendAsync(message, cancellationToken);
                if (response.Status != 200)
                    throw Unexpected(response, "list blobs", prefix.Length == 0 ? "(all)" : prefix + "*");
                page = await AzureBlobListing.ParseAsync(response.ContentStream ?? Stream.Null, cancellationToken);
            }
            // The service lists in UTF-8 byte order, which is ordinal order for the ASCII names BlobName allows.
            foreach (var blob in page.Blobs)
                yield return blob;
            marker = page.NextMarker;
        }
        while (marker is not null);
    }

    /// <inheritdoc/>
    public async Task<BlobContent?> GetAsync(string name, CancellationToken cancellationToken = default)
    {
        using var message = NewMessage(RequestMethod.Get, BlobName.Validate(name), null, GetClassifier);
        var response = await SendAsync(message, cancellationToken);
        return response.Status switch
        {
            // One Get Blob is served from one version of the blob, so bytes and ETag belong together.
            200 => new BlobContent(response.Content.ToArray(), ETagOf(response)),
            404 when ErrorCode(response) != "ContainerNotFound" => null,
            _ => throw Unexpected(response, "get blob", name),
        };
    }

    /// <inheritdoc/>
    public async Task<PutResult> PutAsync(string name, ReadOnlyMemory<byte> data, string? ifMatch, CancellationToken cancellationToken = default)
    {
        BlobName.Validate(name);
        var isProtected = _retention.IsProtected(name);
        if (isProtected && ifMatch is not null)
        {
            // A replace of a protected blob is never sent; the answer depends only on whether it exists (as in FileBlobStore).
            return await GetInfoAsync(name, cancellationToken) is null
                ? new PutResult(PutStatus.Conflict, null)
                : new PutResult(PutStatus.RetentionForbids, null);
        }

        using var message = NewMessage(RequestMethod.Put, name, null, PutClassifier);
        message.Request.Headers.Add("x-ms-blob-type", "BlockBlob");
        if (ifMatch is null)
            message.Request.Headers.Add("If-None-Match", "*");
        else
            message.Request.Headers.Add("If-Match", ifMatch);
        message.Request.Headers.Add("Content-Length", data.Length.ToString(CultureInfo.InvariantCulture));
        if (!data.IsEmpty)
            message.Request.Content = RequestContent.Create(data);
        var response = await SendAsync(message, cancellationToken);
        switch (response.Status)
        {
            case 201:
                return new PutResult(PutStatus.Written, ETagOf(response));
            case 404 or 409 or 412 when ErrorCode(response) is "BlobNotFound" or "BlobAlreadyExists" or "ConditionNotMet":
                if (message.ProcessingContext.RetryNumber > 0 && await GetAsync(name, cancellationToken) is { } now && now.Data.Span.SequenceEqual(data.Span))
                    return new PutResult(PutStatus.Written, now.ETag);
                // Create-only put of a protected name that exists: the same answer the file store gives.
                return new PutResult(isProtected ? PutStatus.RetentionForbids : PutStatus.Conflict, null);
            default:
                throw Unexpected(response, "put blob", name);
        }
    }

    /// <inheritdoc/>
    public async Task<DeleteStatus> DeleteAsync(string name, string? ifMatch = null, CancellationToken cancellationToken = default)
    {
        BlobName.Validate(name);
        if (_retention.IsProtected(name))
            return DeleteStatus.RetentionForbids;
        using var message = NewMessage(RequestMethod.Delete, name, null, DeleteClassifier);
        if (ifMatch is not null)
            message.Request.Headers.Add("If-Match", ifMatch);
        var response = await SendAsync(message, cancellationToken);
        return response.Status switch
        {
            202 => DeleteStatus.Deleted,
            404 when ErrorCode(response) == "BlobNotFound" => DeleteStatus.NotFound,
            412 when ErrorCode(response) == "ConditionNotMet" => DeleteStatus.Conflict,
            _ => throw Unexpected(response, "delete blob", name),
        };
    }

    private HttpMessage NewMessage(RequestMethod method, string? name, string? query, ResponseClassifier classifier)
    {
        var message = _pipeline.CreateMessage();
        message.ResponseClassifier = classifier;
        message.Request.Method = method;
        // Blob names are [A-Za-z0-9._-/] only (BlobName), so they need no escaping in the path.
        message.Request.Uri.Reset(new Uri(name is null ? _container + query : $"{_container}/{name}{query}"));
        return message;
    }

    private async Task<Response> SendAsync(HttpMessage message, CancellationToken cancellationToken)
    {
        await _pipeline.SendAsync(message, cancellationToken);
        return message.Response;
    }

    // After a retried append answered 412: did the first attempt land? Only exactly our bytes at exactly our offset count.
    private async Task<bool> HoldsAsync(string name, long offset, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        var found = new byte[data.Length];
        var count = 0;
        while (count < found.Length)
        {
            int read;
            try
            {
                read = await ReadAsync(name, checked(offset + count), found.AsMemory(count), cancellationToken);
            }
            catch (BlobNotFoundException)
            {
                return false;
            }
            if (read == 0)
                return false;
            count += read;
        }
        return found.AsSpan().SequenceEqual(data.Span);
    }

    private static StatusCodeClassifier Expect(params ushort[] statuses) => new StatusCodeClassifier(statuses);

    private static string? ErrorCode(Response response) =>
        response.Headers.TryGetValue("x-ms-error-code", out var code) ? code : null;

    private static long ContentLength(Response response) =>
        response.Headers.TryGetValue("Content-Length", out var value) && long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var length)
            ? length
            : throw new RequestFailedException(response.Status, "Azure Blob Storage answered without a valid Content-Length.");

    private static string ETagOf(Response response) =>
        response.Headers.TryGetValue("ETag", out var etag) && etag.Length > 0
            ? AzureBlobListing.QuoteETag(etag)
            : throw new RequestFailedException(response.Status, "Azure Blob Storage answered without an ETag.");

    private static RequestFailedException Unexpected(Response response, string operation, string? name)
    {
        var code = ErrorCode(response);
        response.Headers.TryGetValue("x-ms-request-id", out var requestId);
        // Status, code and request id are what support needs; the body is left out because an authentication
        // failure's body echoes the string-to-sign and the signature.
        var target = name is null ? "the container" : $"'{name}'";
        return new RequestFailedException(
            response.Status,
            $"Azure Blob Storage answered {response.Status} ({code ?? "no error code"}) to {operation} on {target} (request id {requestId ?? "none"}).",
            code,
            innerException: null);
    }

    // Container names: 3-63 characters of lower-case letters, digits and single hyphens, starting with a letter or digit.
    private static void ValidateContainerName(string container)
    {
        var valid = container.Length is >= 3 and <= 63
            && container.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-')
            && container[0] != '-' && container[^1] != '-'
            && !container.Contains("--", StringComparison.Ordinal);
        if (!valid)
            throw new ArgumentException($"'{container}' is not a valid Azure Storage container name.", nameof(container));
    }
}
