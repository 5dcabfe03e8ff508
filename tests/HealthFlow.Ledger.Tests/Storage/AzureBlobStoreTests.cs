using System.Text;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using HealthFlow.Ledger.Storage;

namespace HealthFlow.Ledger.Tests.Storage;

/// <summary>What only the Azure store has: the container, paging, the append size limit, errors and retries.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class AzureBlobStoreTests(AzuriteFixture azurite)
{
    private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    private static string NewContainer() => "t" + Guid.NewGuid().ToString("N");

    private async Task<AzureBlobStore> OpenAsync(AzureBlobStoreOptions? options = null)
    {
        var store = AzureBlobStore.FromConnectionString(azurite.ConnectionString, NewContainer(), RetentionPolicy.Default, options);
        await store.EnsureContainerAsync();
        return store;
    }

    [Fact]
    public async Task EnsureContainer_creates_once_then_reports_it_exists()
    {
        var store = AzureBlobStore.FromConnectionString(azurite.ConnectionString, NewContainer());

        Assert.True(await store.EnsureContainerAsync());
        Assert.False(await store.EnsureContainerAsync());
    }

    [Fact]
    public async Task List_follows_next_markers_across_pages_in_order()
    {
        var store = await OpenAsync();
        store.ListPageSize = 2;
        var names = Enumerable.Range(0, 7).Select(i => $"ledger/p0/{i:D10}.seg").ToList();
        foreach (var name in names.AsEnumerable().Reverse())
            await store.CreateIfAbsentAsync(name);
        await store.CreateIfAbsentAsync("ledger/p1/0000000000.seg");

        Assert.Equal(names, await store.ListAsync("ledger/p0/").Select(b => b.Name).ToListAsync());
    }

    [Fact]
    public async Task Append_larger_than_one_append_block_is_refused_before_anything_is_sent()
    {
        var store = await OpenAsync();
        await store.CreateIfAbsentAsync("raw/huge");

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => store.AppendAsync("raw/huge", 0, new byte[AzureBlobStore.AppendBytesMax + 1]));
        Assert.Equal(0, (await store.GetInfoAsync("raw/huge"))!.Value.Length);
    }

    [Fact]
    public async Task Append_to_a_blob_written_by_put_throws_because_block_blobs_cannot_be_appended()
    {
        // The file store would append here; Azure cannot (Append Block needs an append blob). The ledger only
        // appends to blobs it made with CreateIfAbsentAsync.
        var store = await OpenAsync();
        await store.PutAsync("seg/put", Bytes("abc"), ifMatch: null);

        var error = await Assert.ThrowsAsync<RequestFailedException>(() => store.AppendAsync("seg/put", 3, Bytes("d")));
        Assert.Equal("InvalidBlobType", error.ErrorCode);
    }

    [Fact]
    public async Task A_wrong_account_key_throws_RequestFailedException_that_names_no_secret()
    {
        var wrongKey = Convert.ToBase64String(Enumerable.Range(0, 64).Select(i => (byte)i).ToArray());
        var connectionString = azurite.ConnectionString.Replace(
            "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==", wrongKey, StringComparison.Ordinal);
        var store = AzureBlobStore.FromConnectionString(connectionString, NewContainer());

        var error = await Assert.ThrowsAsync<RequestFailedException>(() => store.GetInfoAsync("seg/a"));

        Assert.Equal(403, error.Status);
        // Azure answers AuthenticationFailed; Azurite answers AuthorizationFailure for the same bad signature.
        Assert.True(error.ErrorCode is "AuthenticationFailed" or "AuthorizationFailure", error.ErrorCode);
        Assert.DoesNotContain(wrongKey, error.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("SharedKey", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_container_is_an_error_not_a_missing_blob()
    {
        var store = AzureBlobStore.FromConnectionString(azurite.ConnectionString, NewContainer());

        Assert.Equal("ContainerNotFound", (await Assert.ThrowsAsync<RequestFailedException>(() => store.CreateIfAbsentAsync("seg/a"))).ErrorCode);
        Assert.Equal("ContainerNotFound", (await Assert.ThrowsAsync<RequestFailedException>(() => store.AppendAsync("seg/a", 0, Bytes("x")))).ErrorCode);
        Assert.Equal("ContainerNotFound", (await Assert.ThrowsAsync<RequestFailedException>(() => store.ReadAsync("seg/a", 0, new byte[1]))).ErrorCode);
        Assert.Equal("ContainerNotFound", (await Assert.ThrowsAsync<RequestFailedException>(() => store.GetAsync("seg/a"))).ErrorCode);
        Assert.Equal("ContainerNotFound", (await Assert.ThrowsAsync<RequestFailedException>(() => store.ListAsync("seg/").ToListAsync().AsTask())).ErrorCode);
        Assert.Equal(404, (await Assert.ThrowsAsync<RequestFailedException>(() => store.GetInfoAsync("seg/a"))).Status);
    }

    [Fact]
    public async Task A_retried_append_whose_first_attempt_landed_reports_appended_and_lands_once()
    {
        var options = FastRetries();
        options.AddPolicy(new DropFirstResponsePolicy(m => m.Request.Uri.Query.Contains("comp=appendblock", StringComparison.Ordinal)), HttpPipelinePosition.PerRetry);
        var store = await OpenAsync(options);
        await store.CreateIfAbsentAsync("seg/a");

        Assert.Equal(new AppendResult(AppendStatus.Appended, 6), await store.AppendAsync("seg/a", 0, Bytes("record")));
        Assert.Equal(6, (await store.GetInfoAsync("seg/a"))!.Value.Length);
    }

    [Fact]
    public async Task A_retried_append_that_lost_the_race_is_still_a_conflict()
    {
        var store = await OpenAsync();
        await store.CreateIfAbsentAsync("seg/a");
        await store.AppendAsync("seg/a", 0, Bytes("winner"));
        var options = FastRetries();
        // The first attempt "fails" after the service refused it, so the retry sees the same 412 and the bytes differ.
        options.AddPolicy(new DropFirstResponsePolicy(m => m.Request.Uri.Query.Contains("comp=appendblock", StringComparison.Ordinal)), HttpPipelinePosition.PerRetry);
        var loser = AzureBlobStore.FromConnectionString(azurite.ConnectionString, store.ContainerUri.Segments[^1], RetentionPolicy.Default, options);

        Assert.Equal(new AppendResult(AppendStatus.Conflict, 6), await loser.AppendAsync("seg/a", 0, Bytes("loser!")));
    }

    [Fact]
    public async Task A_retried_put_whose_first_attempt_landed_reports_written_with_the_current_etag()
    {
        var options = FastRetries();
        options.AddPolicy(new DropFirstResponsePolicy(m => m.Request.Method == RequestMethod.Put && m.Request.Headers.TryGetValue("If-Match", out _)), HttpPipelinePosition.PerRetry);
        var store = await OpenAsync(options);
        var first = await store.PutAsync("cursor/sub", Bytes("v1"), ifMatch: null);

        var second = await store.PutAsync("cursor/sub", Bytes("v2"), first.ETag);

        Assert.Equal(PutStatus.Written, second.Status);
        var content = await store.GetAsync("cursor/sub");
        Assert.Equal(Bytes("v2"), content!.Data.ToArray());
        Assert.Equal(content.ETag, second.ETag);
    }

    [Fact]
    public async Task Token_credential_requests_carry_a_bearer_token_for_the_storage_scope()
    {
        var handler = new RecordingHandler();
        var credential = new FixedTokenCredential("token-123");
        var options = new AzureBlobStoreOptions { Transport = new HttpClientTransport(new HttpClient(handler)) };
        var store = AzureBlobStore.FromTokenCredential(new Uri("https://acct.blob.core.windows.net/ledger/"), credential, options: options);

        var info = await store.GetInfoAsync("seg/a");

        Assert.Equal(new BlobInfo("seg/a", 12, "\"0x1\""), info);
        Assert.Equal([AzureBlobStore.StorageScope], credential.RequestedScopes);
        var request = Assert.Single(handler.Requests);
        Assert.Equal(new Uri("https://acct.blob.core.windows.net/ledger/seg/a"), request.RequestUri);
        Assert.Equal("Bearer token-123", request.Headers.Authorization?.ToString());
        Assert.Equal(AzureBlobStore.ServiceVersion, request.Headers.GetValues("x-ms-version").Single());
        Assert.True(request.Headers.Contains("x-ms-date"));
    }

    [Fact]
    public async Task Bearer_tokens_are_never_sent_over_plain_http()
    {
        var options = new AzureBlobStoreOptions { Transport = new HttpClientTransport(new HttpClient(new RecordingHandler())) };
        var store = AzureBlobStore.FromTokenCredential(new Uri("http://acct.blob.core.windows.net/ledger"), new FixedTokenCredential("t"), options: options);

        await Assert.ThrowsAsync<InvalidOperationException>(() => store.GetInfoAsync("seg/a"));
    }

    [Fact]
    public void Container_names_are_validated()
    {
        Assert.Throws<ArgumentException>(() => AzureBlobStore.FromConnectionString("UseDevelopmentStorage=true", "Upper"));
        Assert.Throws<ArgumentException>(() => AzureBlobStore.FromConnectionString("UseDevelopmentStorage=true", "ab"));
        Assert.Throws<ArgumentException>(() => AzureBlobStore.FromConnectionString("UseDevelopmentStorage=true", "a--b"));
        Assert.Equal(new Uri("http://127.0.0.1:10000/devstoreaccount1/ledger"), AzureBlobStore.FromConnectionString("UseDevelopmentStorage=true", "ledger").ContainerUri);
    }

    private static AzureBlobStoreOptions FastRetries()
    {
        var options = new AzureBlobStoreOptions();
        options.Retry.Delay = TimeSpan.FromMilliseconds(1);
        return options;
    }

    /// <summary>Lets the first matching request reach the service, then loses its answer like a dropped connection.</summary>
    private sealed class DropFirstResponsePolicy(Func<HttpMessage, bool> matches) : HttpPipelinePolicy
    {
        private int _dropped;

        public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline) =>
            ProcessAsync(message, pipeline).AsTask().GetAwaiter().GetResult();

        public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
        {
            await ProcessNextAsync(message, pipeline);
            if (matches(message) && Interlocked.Exchange(ref _dropped, 1) == 0)
                throw new IOException("Simulated connection reset after the service answered.");
        }
    }

    private sealed class FixedTokenCredential(string token) : TokenCredential
    {
        public List<string> RequestedScopes { get; } = [];

        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken)
        {
            RequestedScopes.AddRange(requestContext.Scopes);
            return new AccessToken(token, DateTimeOffset.UtcNow.AddHours(1));
        }

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            ValueTask.FromResult(GetToken(requestContext, cancellationToken));
    }

    /// <summary>Answers every request like Get Blob Properties on a 12-byte blob, and keeps the requests.</summary>
    private sealed class RecordingHandler : HttpMessageHandler
    {
        public List<HttpRequestMessage> Requests { get; } = [];

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Requests.Add(request);
            var response = new HttpResponseMessage(System.Net.HttpStatusCode.OK) { Content = new ByteArrayContent([]) };
            response.Content.Headers.ContentLength = 12;
            response.Headers.TryAddWithoutValidation("ETag", "\"0x1\"");
            return Task.FromResult(response);
        }
    }
}
