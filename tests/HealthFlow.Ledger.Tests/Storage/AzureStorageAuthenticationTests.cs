using Azure.Core;
using Azure.Core.Pipeline;
using HealthFlow.Ledger.Storage;

namespace HealthFlow.Ledger.Tests.Storage;

/// <summary>Connection-string parsing and the Shared Key string-to-sign, without a server.</summary>
public sealed class AzureStorageAuthenticationTests
{
    private const string SecretKey = "c2VjcmV0LWtleS1ieXRlcy10aGF0LW11c3Qtbm90LWxlYWs=";

    [Fact]
    public void Development_storage_means_Azurite_on_the_default_port_with_the_well_known_account()
    {
        var parsed = AzureStorageConnectionString.Parse("UseDevelopmentStorage=true");

        Assert.Equal("devstoreaccount1", parsed.AccountName);
        Assert.Equal(new Uri("http://127.0.0.1:10000/devstoreaccount1"), parsed.BlobEndpoint);
        Assert.Equal(64, parsed.AccountKey.Length);
    }

    [Fact]
    public void An_account_without_a_blob_endpoint_uses_the_public_cloud_suffix_or_the_given_one()
    {
        var cloud = AzureStorageConnectionString.Parse($"DefaultEndpointsProtocol=https;AccountName=acct;AccountKey={SecretKey}");
        var sovereign = AzureStorageConnectionString.Parse($"AccountName=acct;AccountKey={SecretKey};EndpointSuffix=core.usgovcloudapi.net;");

        Assert.Equal(new Uri("https://acct.blob.core.windows.net"), cloud.BlobEndpoint);
        Assert.Equal(new Uri("https://acct.blob.core.usgovcloudapi.net"), sovereign.BlobEndpoint);
        Assert.Equal(Convert.FromBase64String(SecretKey), cloud.AccountKey);
    }

    [Fact]
    public void An_explicit_blob_endpoint_wins_and_setting_names_ignore_case()
    {
        var parsed = AzureStorageConnectionString.Parse($"defaultendpointsprotocol=http; accountname=devstoreaccount1 ;ACCOUNTKEY={SecretKey};BlobEndpoint=http://127.0.0.1:4321/devstoreaccount1/");

        Assert.Equal(new Uri("http://127.0.0.1:4321/devstoreaccount1"), parsed.BlobEndpoint);
        Assert.Equal("devstoreaccount1", parsed.AccountName);
    }

    [Theory]
    [InlineData("AccountName=acct", "AccountKey")]
    [InlineData("AccountKey=" + SecretKey, "AccountName")]
    [InlineData("AccountName=acct;AccountKey=not*base64!" + SecretKey, "AccountKey")]
    [InlineData("AccountName=acct;AccountKey=" + SecretKey + ";BlobEndpoint=ftp://x", "BlobEndpoint")]
    [InlineData("AccountName=acct;AccountKey=" + SecretKey + ";DefaultEndpointsProtocol=gopher", "DefaultEndpointsProtocol")]
    [InlineData("BlobEndpoint=https://a.blob.core.windows.net;SharedAccessSignature=sv=2020&sig=" + SecretKey, "SAS")]
    [InlineData("no-separator-here;AccountKey=" + SecretKey, "Name=Value")]
    public void Malformed_connection_strings_name_the_setting_but_never_a_value(string connectionString, string named)
    {
        var error = Assert.Throws<FormatException>(() => AzureStorageConnectionString.Parse(connectionString));

        Assert.Contains(named, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(SecretKey, error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void String_to_sign_lists_standard_headers_then_sorted_storage_headers_then_the_resource()
    {
        var request = NewRequest(RequestMethod.Put, "https://acct.blob.core.windows.net/ledger/seg/a?comp=appendblock");
        request.Headers.Add("x-ms-version", "2025-01-05");
        request.Headers.Add("x-ms-date", "Sat, 01 Jan 2000 00:00:00 GMT");
        request.Headers.Add("x-ms-blob-condition-appendpos", "5");
        request.Headers.Add("Content-Length", "3");
        request.Headers.Add("If-Match", "\"0x1\"");

        Assert.Equal(
            "PUT\n\n\n3\n\n\n\n\n\"0x1\"\n\n\n\n" +
            "x-ms-blob-condition-appendpos:5\nx-ms-date:Sat, 01 Jan 2000 00:00:00 GMT\nx-ms-version:2025-01-05\n" +
            "/acct/ledger/seg/a\ncomp:appendblock",
            AzureSharedKeyPolicy.StringToSign("acct", request));
    }

    [Fact]
    public void String_to_sign_signs_a_zero_length_as_empty_and_sorts_decoded_query_parameters()
    {
        var request = NewRequest(RequestMethod.Get, "http://127.0.0.1:10000/devstoreaccount1/ledger?restype=container&comp=list&prefix=ledger%2Fp0%2F&marker=2%21a");
        request.Headers.Add("Content-Length", "0");
        request.Headers.Add("X-MS-Date", "Sat, 01 Jan 2000 00:00:00 GMT");

        Assert.Equal(
            "GET\n\n\n\n\n\n\n\n\n\n\n\n" +
            "x-ms-date:Sat, 01 Jan 2000 00:00:00 GMT\n" +
            "/devstoreaccount1/devstoreaccount1/ledger\ncomp:list\nmarker:2!a\nprefix:ledger/p0/\nrestype:container",
            AzureSharedKeyPolicy.StringToSign("devstoreaccount1", request));
    }

    private static Request NewRequest(RequestMethod method, string uri)
    {
        var request = HttpPipelineBuilder.Build(new AzureBlobStoreOptions()).CreateRequest();
        request.Method = method;
        request.Uri.Reset(new Uri(uri));
        return request;
    }
}
