using System.Collections.Immutable;
using System.Text.Json;

namespace HealthFlow.Fhir;

internal ref partial struct FhirJsonParser
{
    private static readonly string[] BundleTypes = ["document", "message", "transaction", "transaction-response", "batch", "batch-response", "history", "searchset", "collection"];
    private static readonly string[] HttpMethods = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH"];

    /// <summary>Reads the whole document, handing each entry to <paramref name="onEntry"/>; returns the Bundle envelope (null for a single resource).</summary>
    internal FhirBundleInfo? ReadDocument(Action<FhirEntry> onEntry)
    {
        if (!Read())
        {
            Fatal(IssueType.Structure, "empty document");
        }

        if (TokenType != JsonTokenType.StartObject)
        {
            Fatal(IssueType.Structure, "a FHIR resource must be a JSON object");
        }

        var resourceType = PeekStringProperty("resourceType"u8);
        FhirBundleInfo? bundle = null;
        if (resourceType is null)
        {
            _ctx.ReportAt(IssueSeverity.Error, IssueType.Required, "resourceType is missing (or not a string): not a FHIR resource", "resourceType");
            SkipValue();
        }
        else if (resourceType == "Bundle")
        {
            bundle = ReadBundle(onEntry);
        }
        else if (Array.IndexOf(MappedResourceTypes, resourceType) >= 0)
        {
            _ctx.PushPath(resourceType);
            _ctx.BeginEntry(0);
            var resource = ReadResource(resourceType);
            onEntry(new FhirEntry { Index = 0, Resource = resource, Issues = _ctx.EndEntry() });
            _ctx.PopPath();
        }
        else
        {
            var shown = resourceType.Length <= 64 && FhirJsonParser.IsIdText(resourceType) ? resourceType : "(unrecognised)";
            _ctx.ReportAt(IssueSeverity.Error, IssueType.NotSupported,
                $"resourceType '{shown}' is not accepted here; accepted: Bundle, {string.Join(", ", MappedResourceTypes)}", "resourceType");
            SkipValue();
        }

        if (Read())
        {
            Fatal(IssueType.Structure, "content after the end of the JSON document");
        }

        return bundle;
    }

    private FhirBundleInfo ReadBundle(Action<FhirEntry> onEntry)
    {
        _ctx.InBundle = true;
        _ctx.PushPath("Bundle");
        _ctx.BundleType = PeekStringProperty("type"u8);
        var header = new ResourceHeader { Start = TokenStart };
        string? type = null;
        FhirDateTime? timestamp = null;
        var entryCount = 0;
        var keys = BeginObject();
        while (NextProperty(ref keys, out var name))
        {
            if (name.SequenceEqual("resourceType"u8))
            {
                SkipValue();
            }
            else if (name.SequenceEqual("id"u8))
            {
                header.Id = ReadId("id");
            }
            else if (name.SequenceEqual("meta"u8))
            {
                ReadMeta(ref header);
            }
            else if (name.SequenceEqual("type"u8))
            {
                type = ReadCode("type");
            }
            else if (name.SequenceEqual("timestamp"u8))
            {
                timestamp = ReadDateTime("timestamp");
            }
            else if (name.SequenceEqual("entry"u8))
            {
                entryCount = ReadEntries(onEntry);
            }
            else if (name.SequenceEqual("modifierExtension"u8) || name.SequenceEqual("implicitRules"u8))
            {
                _ctx.Report(IssueSeverity.Error, IssueType.Extension, "Bundle carries a modifier this service does not understand", Describe(name));
                SkipValue();
            }
            else
            {
                SkipUnknown(name);
            }
        }

        EndObject(keys);
        if (type is null)
        {
            _ctx.Report(IssueSeverity.Error, IssueType.Required, "Bundle.type is required (transaction, batch, collection, message, searchset…)", "type");
        }
        else if (Array.IndexOf(BundleTypes, type) < 0)
        {
            _ctx.Report(IssueSeverity.Error, IssueType.CodeInvalid, $"'{Truncate(type)}' is not a Bundle type ({string.Join(" | ", BundleTypes)})", "type");
        }
        else if (type is "transaction-response" or "batch-response")
        {
            _ctx.Report(IssueSeverity.Error, IssueType.NotSupported, $"a {type} Bundle is a server's answer, not data to ingest", "type");
        }

        ResolvePendingReferences();
        _ctx.Report(IssueSeverity.Information, IssueType.Informational, $"{entryCount} entries read", "entry");
        _ctx.PopPath();

        // No content hash here: the Pipeline hashes the raw payload when it stores it, and hashing 50 MB twice costs.
        var key = header.Id is not null && header.VersionId is not null ? "Bundle/" + header.Id + "/_history/" + header.VersionId : null;
        return new FhirBundleInfo(header.Id, type, timestamp, key);
    }

    private int ReadEntries(Action<FhirEntry> onEntry)
    {
        if (TokenType != JsonTokenType.StartArray)
        {
            WrongType("entry", "a JSON array of entries");
            return 0;
        }

        CheckDepth();
        _ctx.PushPath("entry");
        var index = 0;
        while (Read() && TokenType != JsonTokenType.EndArray)
        {
            if (index >= _ctx.Options.MaxEntries)
            {
                Fatal(IssueType.TooCostly, $"Bundle with more than {_ctx.Options.MaxEntries} entries");
            }

            _ctx.SetPathIndex(index);
            _ctx.BeginEntry(index);
            onEntry(ReadEntry(index));
            index++;
        }

        _ctx.PopPath();
        return index;
    }

    private FhirEntry ReadEntry(int index)
    {
        if (TokenType != JsonTokenType.StartObject)
        {
            WrongType(null, "a Bundle entry object");
            return new FhirEntry { Index = index, Issues = _ctx.EndEntry() };
        }

        string? fullUrl = null;
        FhirResource? resource = null;
        FhirBundleRequest? request = null;
        var resourceSeen = false;
        var keys = BeginObject();
        while (NextProperty(ref keys, out var name))
        {
            if (name.SequenceEqual("fullUrl"u8))
            {
                fullUrl = ReadString("fullUrl");
            }
            else if (name.SequenceEqual("resource"u8))
            {
                resourceSeen = true;
                resource = ReadEntryResource();
            }
            else if (name.SequenceEqual("request"u8))
            {
                request = ReadComplex("request", static (ref FhirJsonParser p) => p.ReadRecurring(p._ctx.CleanRequests, static (ref FhirJsonParser q) => q.ReadRequest()));
            }
            else if (name.SequenceEqual("modifierExtension"u8))
            {
                ReportModifierExtension();
                SkipValue();
            }
            else
            {
                SkipUnknown(name);
            }
        }

        EndObject(keys);
        CheckEntry(fullUrl, resource, resourceSeen, request);
        Register(index, fullUrl, resource);
        // A Patient's fullUrl, request url and conditional search can carry its id or MRN: they stay here.
        if (resource is FhirPatient || UrlResourceType(request?.Url) == "Patient")
        {
            fullUrl = null;
            request = request is null ? null : new FhirBundleRequest(request.Method, "Patient", null, request.IfMatch);
        }

        return new FhirEntry { Index = index, FullUrl = fullUrl, Request = request, Resource = resource, Issues = _ctx.EndEntry() };
    }

    private FhirResource? ReadEntryResource()
    {
        if (TokenType != JsonTokenType.StartObject)
        {
            WrongType("resource", "a resource object");
            return null;
        }

        _ctx.PushPath("resource");
        FhirResource? resource = null;
        var type = PeekStringProperty("resourceType"u8);
        if (type is null || !IsIdText(type))
        {
            _ctx.Report(IssueSeverity.Error, IssueType.Required, "resource without a valid resourceType", "resourceType");
            SkipValue();
        }
        else
        {
            resource = ReadResource(type);
        }

        _ctx.PopPath();
        return resource;
    }

    private FhirBundleRequest? ReadRequest()
    {
        string? method = null, url = null, ifNoneExist = null, ifMatch = null;
        var keys = BeginObject();
        while (NextProperty(ref keys, out var name))
        {
            if (name.SequenceEqual("method"u8))
            {
                method = ReadCode("method");
            }
            else if (name.SequenceEqual("url"u8))
            {
                url = ReadString("url", repeats: true);
            }
            else if (name.SequenceEqual("ifNoneExist"u8))
            {
                ifNoneExist = ReadString("ifNoneExist");
            }
            else if (name.SequenceEqual("ifMatch"u8))
            {
                ifMatch = ReadString("ifMatch");
            }
            else
            {
                SkipUnknown(name);
            }
        }

        EndObject(keys);
        RequireCode(method, "method", HttpMethods, "http://hl7.org/fhir/http-verb");
        Require(url is not null, "url", "request.url");
        if (ifNoneExist is not null || ifMatch is not null)
        {
            return new FhirBundleRequest(method, url, ifNoneExist, ifMatch);
        }

        // method and url come from the string cache, so equal requests share one record.
        if (!_ctx.Requests.TryGetValue((method, url), out var request))
        {
            request = new FhirBundleRequest(method, url, null, null);
            if (_ctx.Requests.Count < 4096)
            {
                _ctx.Requests[(method, url)] = request;
            }
        }

        return request;
    }

    private readonly void CheckEntry(string? fullUrl, FhirResource? resource, bool resourceSeen, FhirBundleRequest? request)
    {
        var bundleType = _ctx.BundleType;
        var isTransactionOrBatch = bundleType is "transaction" or "batch";
        if (isTransactionOrBatch && request is null)
        {
            _ctx.Report(IssueSeverity.Error, IssueType.Required, $"bdl-3: entry.request is required in a {bundleType} Bundle", "request");
        }

        if (fullUrl is not null && fullUrl.Contains("/_history/", StringComparison.Ordinal))
        {
            _ctx.Report(IssueSeverity.Error, IssueType.Invariant, "bdl-8: fullUrl cannot be a version-specific reference", "fullUrl");
        }

        if (request?.Method is { } method)
        {
            var targetType = resource?.ResourceType ?? UrlResourceType(request.Url);
            var mapped = targetType is not null && targetType != "Patient" && Array.IndexOf(MappedResourceTypes, targetType) >= 0;
            if (method is "POST" or "PUT")
            {
                if (!resourceSeen)
                {
                    _ctx.Report(IssueSeverity.Error, IssueType.Required, $"a {method} entry needs a resource", "resource");
                }
            }
            else if (mapped)
            {
                _ctx.Report(IssueSeverity.Error, IssueType.NotSupported,
                    $"{method} on {targetType} cannot be applied to financial data here: send the new version (e.g. status entered-in-error) with PUT or POST", "request.method");
            }
            else
            {
                _ctx.Report(IssueSeverity.Warning, IssueType.NotSupported, $"{method} entry ignored (only create/update of financial resources is processed)", "request.method");
            }
        }
        else if (!isTransactionOrBatch && !resourceSeen)
        {
            _ctx.Report(IssueSeverity.Error, IssueType.Required, "bdl-5: entry must contain a resource", "resource");
        }
    }

    private static string? UrlResourceType(string? url)
    {
        if (url is null)
        {
            return null;
        }

        var end = url.IndexOfAny(['/', '?']);
        var type = end < 0 ? url : url[..end];
        return type.Length > 0 && char.IsAsciiLetterUpper(type[0]) ? type : null;
    }

    private readonly void Register(int index, string? fullUrl, FhirResource? resource)
    {
        if (resource is null)
        {
            return;
        }

        // Patient ids leave only as tokens: the target keeps the id to resolve by, never to expose.
        var id = resource is FhirPatient ? _ctx.LastPatientId : resource.Id;
        var duplicate = _ctx.Targets.Add(index, resource.ResourceType, id, resource.VersionId, (resource as FhirPatient)?.PatientToken, fullUrl);
        if (duplicate >= 0)
        {
            _ctx.Report(IssueSeverity.Error, IssueType.Duplicate, $"bdl-7: fullUrl already used by entry[{_ctx.Targets.EntryIndex(duplicate)}]", "fullUrl");
        }
    }

    /// <summary>urn: references seen before their target: resolve now or report not-found on the referring entry.</summary>
    private readonly void ResolvePendingReferences()
    {
        foreach (var pending in _ctx.Pending)
        {
            if (_ctx.Targets.FindByUrl(pending.Reference) >= 0)
            {
                continue;
            }

            var issue = new OperationOutcomeIssue(IssueSeverity.Error, IssueType.NotFound,
                "reference does not resolve to any entry fullUrl in this Bundle", pending.Expression);
            _ctx.LateIssues.Add((pending.EntryIndex, issue));
            _ctx.ReportLate(issue);
        }
    }
}
