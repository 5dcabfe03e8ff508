namespace HealthFlow.Ledger.Storage;

/// <summary>
/// The parts of an Azure Storage connection string the blob store needs: account name, account key and
/// blob endpoint. Accepts <c>UseDevelopmentStorage=true</c> (Azurite's well-known account on
/// <c>http://127.0.0.1:10000</c>) and the explicit form
/// <c>DefaultEndpointsProtocol=…;AccountName=…;AccountKey=…[;BlobEndpoint=…][;EndpointSuffix=…]</c>.
/// </summary>
/// <remarks>
/// The connection string carries a secret, so no message here ever quotes it or a value from it: errors name
/// the setting that is missing or malformed, nothing more. This type has no <c>ToString</c> override for the
/// same reason.
/// </remarks>
internal sealed class AzureStorageConnectionString
{
    /// <summary>Azurite's (and the old storage emulator's) published development account.</summary>
    internal const string DevelopmentAccountName = "devstoreaccount1";

    // Published in the Azurite README; it authorizes nothing outside a local emulator.
    private const string DevelopmentAccountKey =
        "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private AzureStorageConnectionString(string accountName, byte[] accountKey, Uri blobEndpoint)
    {
        AccountName = accountName;
        AccountKey = accountKey;
        BlobEndpoint = blobEndpoint;
    }

    public string AccountName { get; }

    public byte[] AccountKey { get; }

    /// <summary>The blob service endpoint, without a trailing slash (path-style for Azurite: <c>…/devstoreaccount1</c>).</summary>
    public Uri BlobEndpoint { get; }

    /// <exception cref="FormatException">A setting is missing or malformed (the message names the setting, never its value).</exception>
    public static AzureStorageConnectionString Parse(string connectionString)
    {
        var settings = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var part in connectionString.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            // Values (base64 keys, SAS tokens) contain '=', so only the first one separates name from value.
            var equals = part.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
                throw new FormatException("The storage connection string has a part that is not 'Name=Value'.");
            settings[part[..equals].Trim()] = part[(equals + 1)..].Trim();
        }

        if (settings.TryGetValue("UseDevelopmentStorage", out var development) &&
            development.Equals("true", StringComparison.OrdinalIgnoreCase))
        {
            var proxy = settings.TryGetValue("DevelopmentStorageProxyUri", out var p) ? ParseUri(p, "DevelopmentStorageProxyUri") : new Uri("http://127.0.0.1");
            var endpoint = new UriBuilder(proxy) { Port = 10000, Path = DevelopmentAccountName }.Uri;
            return new(DevelopmentAccountName, Convert.FromBase64String(DevelopmentAccountKey), Trim(endpoint));
        }

        if (settings.ContainsKey("SharedAccessSignature"))
            throw new FormatException("SAS connection strings are not supported by the blob store: use an account key (development) or a managed identity.");
        var accountName = Required(settings, "AccountName");
        byte[] accountKey;
        try
        {
            accountKey = Convert.FromBase64String(Required(settings, "AccountKey"));
        }
        catch (FormatException)
        {
            throw new FormatException("The storage connection string's AccountKey is not base64.");
        }

        Uri blobEndpoint;
        if (settings.TryGetValue("BlobEndpoint", out var explicitEndpoint))
        {
            blobEndpoint = ParseUri(explicitEndpoint, "BlobEndpoint");
        }
        else
        {
            var protocol = settings.TryGetValue("DefaultEndpointsProtocol", out var proto) ? proto.ToUpperInvariant() : "HTTPS";
            if (protocol is not ("HTTP" or "HTTPS"))
                throw new FormatException("The storage connection string's DefaultEndpointsProtocol must be http or https.");
            var suffix = settings.TryGetValue("EndpointSuffix", out var s) ? s : "core.windows.net";
            var scheme = protocol == "HTTP" ? "http" : "https";
            blobEndpoint = ParseUri($"{scheme}://{accountName}.blob.{suffix}", "AccountName/EndpointSuffix");
        }
        return new(accountName, accountKey, Trim(blobEndpoint));
    }

    private static string Required(Dictionary<string, string> settings, string name) =>
        settings.TryGetValue(name, out var value) && value.Length > 0
            ? value
            : throw new FormatException($"The storage connection string has no {name}.");

    private static Uri ParseUri(string value, string setting) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
            ? uri
            : throw new FormatException($"The storage connection string's {setting} is not an absolute http(s) URI.");

    private static Uri Trim(Uri uri) => new(uri.AbsoluteUri.TrimEnd('/'));
}
