using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Azure.Core;

namespace HealthFlow.Pipeline.Erp;

/// <summary>How a connector authenticates each request.</summary>
internal abstract class ErpAuth
{
    public abstract ValueTask ApplyAsync(HttpRequestMessage request, CancellationToken cancellationToken);
}

/// <summary>HTTP basic authentication (SAP communication user, Oracle integration user).</summary>
internal sealed class BasicErpAuth(string user, string password) : ErpAuth
{
    private readonly AuthenticationHeaderValue _header = new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));

    public override ValueTask ApplyAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        request.Headers.Authorization = _header;
        return ValueTask.CompletedTask;
    }
}

/// <summary>A bearer token from an Azure.Identity credential (Dynamics 365: <c>ClientSecretCredential</c>, scope <c>{resource}/.default</c>); the credential caches tokens.</summary>
internal sealed class TokenCredentialErpAuth(TokenCredential credential, string scope) : ErpAuth
{
    public override async ValueTask ApplyAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var token = await credential.GetTokenAsync(new TokenRequestContext([scope]), cancellationToken);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token.Token);
    }
}

/// <summary>
/// OAuth 2.0 client credentials against a plain token endpoint (SAP BTP / S/4HANA Cloud OAuth clients, Oracle IDCS/IAM
/// confidential applications): form post with the client id and secret as basic authentication, token cached until a
/// minute before <c>expires_in</c>.
/// </summary>
internal sealed class ClientCredentialsErpAuth(HttpClient http, Uri tokenUrl, string clientId, string clientSecret, string? scope, TimeProvider clock) : ErpAuth, IDisposable
{
    public void Dispose() => _gate.Dispose();

    private readonly SemaphoreSlim _gate = new(1, 1);
    private string? _token;
    private DateTimeOffset _expires;

    public override async ValueTask ApplyAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await TokenAsync(cancellationToken));
    }

    private async Task<string> TokenAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_token is not null && clock.GetUtcNow() < _expires)
                return _token;
            var form = new List<KeyValuePair<string, string>> { new("grant_type", "client_credentials") };
            if (!string.IsNullOrEmpty(scope))
                form.Add(new("scope", scope));
            using var request = new HttpRequestMessage(HttpMethod.Post, tokenUrl) { Content = new FormUrlEncodedContent(form) };
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Uri.EscapeDataString(clientId)}:{Uri.EscapeDataString(clientSecret)}")));
            using var response = await http.SendAsync(request, cancellationToken);
            if (!response.IsSuccessStatusCode)
                throw new HttpRequestException($"The OAuth token endpoint answered {(int)response.StatusCode}.", null, response.StatusCode);
            using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
            _token = document.RootElement.GetProperty("access_token").GetString()
                ?? throw new HttpRequestException("The OAuth token endpoint returned no access_token.");
            var lifetime = document.RootElement.TryGetProperty("expires_in", out var expiresIn) && expiresIn.TryGetInt32(out var seconds) ? seconds : 300;
            _expires = clock.GetUtcNow().AddSeconds(Math.Max(0, lifetime - 60));
            return _token;
        }
        finally
        {
            _gate.Release();
        }
    }
}
