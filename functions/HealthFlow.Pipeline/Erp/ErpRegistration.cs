using System.Globalization;
using System.Text;
using Azure.Core;
using Azure.Identity;
using HealthFlow.Ledger;
using HealthFlow.Pipeline.Runtime;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace HealthFlow.Pipeline.Erp;

/// <summary>
/// Wires the ERP gateway from configuration: <c>Erp:Gateway</c> = <c>file</c> (default) | <c>webhook</c> |
/// <c>dynamics365</c> | <c>oracle</c> | <c>sap</c>, settings under <c>Erp:*</c> (docs/ERP.md lists them), secrets from
/// configuration (Key Vault references in Azure: <c>Erp:ClientSecret</c> is the fallback secret of every connector).
/// </summary>
public static class ErpRegistration
{
    /// <summary>
    /// Registers <see cref="ErpGateway"/> and <see cref="IErpGateway"/> as singletons. Needs <see cref="ILedger"/> in the
    /// container; uses <see cref="TimeProvider"/> and <see cref="ILoggerFactory"/> when present. Settings are checked here
    /// (a missing required setting throws <see cref="InvalidOperationException"/> when the gateway is first resolved);
    /// the posted-key register is read from the ledger on <see cref="ErpGateway.StartAsync"/> or the first post.
    /// </summary>
    public static IServiceCollection AddErpGateway(this IServiceCollection services, IConfiguration configuration, DataFolder data)
    {
        ArgumentNullException.ThrowIfNull(data);
        services.AddSingleton(provider => Create(
            configuration,
            data.Path,
            provider.GetRequiredService<ILedger>(),
            provider.GetService<TimeProvider>() ?? TimeProvider.System,
            provider.GetService<ILoggerFactory>()));
        services.AddSingleton<IErpGateway>(provider => provider.GetRequiredService<ErpGateway>());
        return services;
    }

    /// <summary>Builds the configured gateway (without DI). <paramref name="handler"/> and <paramref name="credential"/> replace the network stack and Entra ID in tests.</summary>
    public static ErpGateway Create(
        IConfiguration configuration,
        string dataFolder,
        ILedger ledger,
        TimeProvider clock,
        ILoggerFactory? loggers = null,
        HttpMessageHandler? handler = null,
        TokenCredential? credential = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var erp = configuration.GetSection("Erp");
        var name = (erp["Gateway"] ?? "file").Trim().ToLowerInvariant();
        var logger = loggers?.CreateLogger("HealthFlow.Pipeline.Erp") ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
        if (name == "file")
        {
            var folder = erp["File:Folder"] is { Length: > 0 } configured ? configured : Path.Combine(dataFolder, "erp");
            return new ErpGateway(name, ledger, (register, _) => ValueTask.FromResult<IErpConnector>(FileErpConnector.Open(folder, register, logger)), clock, logger);
        }

        var retry = new ErpRetryOptions
        {
            AttemptMax = Int(erp, "Retry:MaxAttempts", 6),
            DelayBase = TimeSpan.FromMilliseconds(Int(erp, "Retry:BaseDelayMilliseconds", 500)),
            DelayMax = TimeSpan.FromSeconds(Int(erp, "Retry:MaxDelaySeconds", 30)),
            RetryAfterMax = TimeSpan.FromSeconds(Int(erp, "Retry:MaxRetryAfterSeconds", 300)),
            AttemptTimeout = TimeSpan.FromSeconds(Int(erp, "TimeoutSeconds", 100)),
        };
        var http = new HttpClient(handler ?? new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }, disposeHandler: handler is null)
        {
            Timeout = Timeout.InfiniteTimeSpan, // each attempt has its own timeout (Erp:TimeoutSeconds)
        };
        var sender = new ErpHttpSender(http, retry, clock, logger, name);
        var fallbackSecret = erp["ClientSecret"];
        IErpConnector connector = name switch
        {
            "webhook" => new WebhookErpConnector(sender, Url(erp, "Webhook:Url"),
                Encoding.UTF8.GetBytes(erp["Webhook:Secret"] is { Length: > 0 } s ? s : fallbackSecret ?? Missing("Erp:Webhook:Secret")), clock),
            "dynamics365" => Dynamics(erp, sender, fallbackSecret, credential),
            "oracle" => new OracleErpConnector(sender, new OracleOptions
            {
                Url = Url(erp, "Oracle:Url"),
                Ledgers = Map(erp.GetSection("Oracle:Ledgers")) is { Count: > 0 } ledgers ? ledgers : Missing<IReadOnlyDictionary<string, string>>("Erp:Oracle:Ledgers:<legal entity>"),
                DataAccessSetId = erp["Oracle:DataAccessSetId"] ?? "#NULL",
                JournalSource = erp["Oracle:JournalSource"] ?? "HealthFlow",
                JournalCategory = erp["Oracle:JournalCategory"] ?? "Adjustment",
                Segments = List(erp["Oracle:Segments"]) ?? ["LegalEntity", "CostCenter", "Account", "Facility", "Payer"],
                DocumentAccount = erp["Oracle:DocumentAccount"] ?? "fin$/generalLedger$/import$",
            }, Auth(erp.GetSection("Oracle"), "Erp:Oracle", http, fallbackSecret, clock)),
            "sap" => new SapErpConnector(sender, new SapOptions
            {
                Url = Url(erp, "Sap:Url"),
                CompanyCodes = Map(erp.GetSection("Sap:CompanyCodes")),
                AccountingDocumentType = erp["Sap:AccountingDocumentType"] ?? "SA",
                CreatedByUser = erp["Sap:CreatedByUser"],
                FacilityAs = erp["Sap:FacilityAs"] ?? "ProfitCenter",
                EntriesPerCall = Int(erp, "Sap:EntriesPerCall", 10),
            }, Auth(erp.GetSection("Sap"), "Erp:Sap", http, fallbackSecret, clock), clock),
            _ => throw new InvalidOperationException($"Erp:Gateway '{name}' is not one of file, webhook, dynamics365, oracle, sap."),
        };
        return new ErpGateway(name, ledger, (_, _) => ValueTask.FromResult(connector), clock, logger, http);
    }

    private static Dynamics365ErpConnector Dynamics(IConfigurationSection erp, ErpHttpSender sender, string? fallbackSecret, TokenCredential? credential)
    {
        var url = Url(erp, "Dynamics365:Url");
        var resource = url.GetLeftPart(UriPartial.Authority);
        if (credential is null)
        {
            var secret = erp["Dynamics365:ClientSecret"] is { Length: > 0 } s ? s : fallbackSecret;
            var options = new ClientSecretCredentialOptions();
            if (erp["Dynamics365:AuthorityHost"] is { Length: > 0 } authority)
                options.AuthorityHost = new Uri(authority);
            credential = secret is { Length: > 0 }
                ? new ClientSecretCredential(erp["Dynamics365:TenantId"] ?? Missing("Erp:Dynamics365:TenantId"), erp["Dynamics365:ClientId"] ?? Missing("Erp:Dynamics365:ClientId"), secret, options)
                : throw new InvalidOperationException("Erp:Dynamics365:ClientSecret (or Erp:ClientSecret) is required for the dynamics365 gateway.");
        }

        return new Dynamics365ErpConnector(sender, new Dynamics365Options
        {
            Url = new Uri(resource + "/"),
            JournalName = erp["Dynamics365:JournalName"] ?? "GenJrn",
            Companies = Map(erp.GetSection("Dynamics365:Companies")),
            Dimensions = List(erp["Dynamics365:Dimensions"]) ?? ["CostCenter", "Facility", "Payer"],
            Delimiter = erp["Dynamics365:Delimiter"] ?? "-",
        }, new TokenCredentialErpAuth(credential, resource + "/.default"));
    }

    private static ErpAuth Auth(IConfigurationSection section, string path, HttpClient http, string? fallbackSecret, TimeProvider clock)
    {
        var mode = (section["Auth"] ?? "basic").Trim().ToLowerInvariant();
        return mode switch
        {
            "basic" => new BasicErpAuth(section["Username"] ?? Missing($"{path}:Username"),
                section["Password"] is { Length: > 0 } password ? password : fallbackSecret ?? Missing($"{path}:Password")),
            "oauth" => new ClientCredentialsErpAuth(http, new Uri(section["TokenUrl"] ?? Missing($"{path}:TokenUrl")),
                section["ClientId"] ?? Missing($"{path}:ClientId"),
                section["ClientSecret"] is { Length: > 0 } secret ? secret : fallbackSecret ?? Missing($"{path}:ClientSecret"),
                section["Scope"], clock),
            _ => throw new InvalidOperationException($"{path}:Auth '{mode}' is not basic or oauth."),
        };
    }

    private static Uri Url(IConfigurationSection erp, string key)
    {
        var text = erp[key] ?? Missing("Erp:" + key);
        if (!Uri.TryCreate(text.EndsWith('/') ? text : text + "/", UriKind.Absolute, out var url) || url.Scheme is not ("https" or "http"))
            throw new InvalidOperationException($"Erp:{key} '{text}' is not an absolute http(s) URL.");
        return key.EndsWith("Webhook:Url", StringComparison.Ordinal) ? new Uri(text) : url;
    }

    private static int Int(IConfigurationSection erp, string key, int fallback) =>
        erp[key] is { Length: > 0 } text ? int.Parse(text, NumberStyles.Integer, CultureInfo.InvariantCulture) : fallback;

    private static Dictionary<string, string> Map(IConfigurationSection section) =>
        section.GetChildren().Where(c => c.Value is not null).ToDictionary(c => c.Key, c => c.Value!, StringComparer.OrdinalIgnoreCase);

    private static string[]? List(string? text) =>
        string.IsNullOrWhiteSpace(text) ? null : text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

    private static string Missing(string key) => Missing<string>(key);

    private static T Missing<T>(string key) => throw new InvalidOperationException($"{key} is required for the configured ERP gateway (see docs/ERP.md).");
}
