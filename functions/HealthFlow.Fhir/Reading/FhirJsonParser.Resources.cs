using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text.Json;

namespace HealthFlow.Fhir;

/// <summary>Elements every resource shares, gathered while its properties stream by.</summary>
internal struct ResourceHeader
{
    internal string? Id;
    internal string? VersionId;
    internal FhirDateTime? LastUpdated;
    internal ImmutableArray<FhirExtension> Extensions;
    internal ImmutableArray<FhirIdentifier> Identifiers;
    internal long Start;
}

internal ref partial struct FhirJsonParser
{
    private static readonly string[] EncounterStatuses = ["planned", "arrived", "triaged", "in-progress", "onleave", "finished", "cancelled", "entered-in-error", "unknown"];
    private static readonly string[] FinancialStatuses = ["active", "cancelled", "draft", "entered-in-error"];
    private static readonly string[] ClaimUses = ["claim", "preauthorization", "predetermination"];
    private static readonly string[] Outcomes = ["queued", "complete", "error", "partial"];
    private static readonly string[] ChargeItemStatuses = ["planned", "billable", "not-billable", "aborted", "billed", "entered-in-error", "unknown"];
    private static readonly string[] AccountStatuses = ["active", "inactive", "entered-in-error", "on-hold", "unknown"];
    private static readonly string[] ClaimTypes = ["institutional", "oral", "pharmacy", "professional", "vision"];
    private static readonly string[] AdjudicationCategories = ["submitted", "copay", "eligible", "deductible", "unallocdeduct", "eligpercent", "tax", "benefit"];

    /// <summary>The resource types read into typed documents; any other type is tolerated in a Bundle only.</summary>
    internal static readonly string[] MappedResourceTypes =
        ["Encounter", "Patient", "Coverage", "Account", "ChargeItem", "Claim", "ClaimResponse", "ExplanationOfBenefit", "PaymentNotice", "PaymentReconciliation"];

    /// <summary>Reads the resource object the reader is on. <paramref name="resourceType"/> was peeked.</summary>
    internal FhirResource ReadResource(string resourceType)
    {
        _ctx.BeginResource();
        var header = new ResourceHeader { Start = _reader.TokenStartIndex, Extensions = [], Identifiers = [] };
        FhirResource resource = resourceType switch
        {
            "Encounter" => ReadEncounter(ref header),
            "Patient" => ReadPatient(ref header),
            "Coverage" => ReadCoverage(ref header),
            "Account" => ReadAccount(ref header),
            "ChargeItem" => ReadChargeItem(ref header),
            "Claim" => ReadClaim(ref header),
            "ClaimResponse" => ReadClaimResponse(ref header),
            "ExplanationOfBenefit" => ReadExplanationOfBenefit(ref header),
            "PaymentNotice" => ReadPaymentNotice(ref header),
            "PaymentReconciliation" => ReadPaymentReconciliation(ref header),
            _ => ReadOther(resourceType, ref header),
        };
        _ctx.EndResource();
        return resource;
    }

    /// <summary>Handles the elements common to all resources; false when <paramref name="name"/> is not one of them.</summary>
    private bool ReadCommon(scoped ReadOnlySpan<byte> name, ref ResourceHeader header, bool keepExtensions = true)
    {
        if (name.SequenceEqual("resourceType"u8))
        {
            SkipValue(); // already peeked and dispatched on
        }
        else if (name.SequenceEqual("id"u8))
        {
            header.Id = ReadId("id");
        }
        else if (name.SequenceEqual("meta"u8))
        {
            ReadMeta(ref header);
        }
        else if (name.SequenceEqual("extension"u8))
        {
            if (keepExtensions)
            {
                header.Extensions = Extensions("extension");
            }
            else
            {
                SkipValue();
            }
        }
        else if (name.SequenceEqual("modifierExtension"u8))
        {
            ReportModifierExtension();
            SkipValue();
        }
        else if (name.SequenceEqual("implicitRules"u8))
        {
            _ctx.Report(IssueSeverity.Error, IssueType.NotSupported, "implicitRules are not understood by this service and may change the meaning of the resource", "implicitRules");
            SkipValue();
        }
        else if (name.SequenceEqual("contained"u8))
        {
            ReadContained();
        }
        else if (name.SequenceEqual("identifier"u8) && keepExtensions)
        {
            header.Identifiers = Identifiers("identifier");
        }
        else
        {
            return false;
        }

        return true;
    }

    private void ReadMeta(ref ResourceHeader header)
    {
        if (TokenType != JsonTokenType.StartObject)
        {
            WrongType("meta", "a Meta object");
            return;
        }

        _ctx.PushPath("meta");
        var keys = BeginObject();
        while (NextProperty(ref keys, out var name))
        {
            if (name.SequenceEqual("versionId"u8))
            {
                header.VersionId = ReadId("versionId", repeats: true);
            }
            else if (name.SequenceEqual("lastUpdated"u8))
            {
                header.LastUpdated = ReadDateTime("lastUpdated");
            }
            else
            {
                SkipUnknown(name);
            }
        }

        EndObject(keys);
        _ctx.PopPath();
    }

    private void ReadContained()
    {
        if (TokenType != JsonTokenType.StartArray)
        {
            WrongType("contained", "a JSON array of resources");
            return;
        }

        _ctx.PushPath("contained");
        var index = 0;
        while (Read() && TokenType != JsonTokenType.EndArray)
        {
            _ctx.SetPathIndex(index++);
            if (TokenType != JsonTokenType.StartObject)
            {
                WrongType(null, "a resource object");
                continue;
            }

            var type = PeekStringProperty("resourceType"u8);
            if (type is null)
            {
                _ctx.Report(IssueSeverity.Error, IssueType.Required, "contained resource without resourceType", "resourceType");
            }

            string? id = null;
            string? firstIdentity = null;
            var keys = BeginObject();
            while (NextProperty(ref keys, out var name))
            {
                if (name.SequenceEqual("id"u8))
                {
                    id = ReadId("id");
                }
                else if (type == "Patient" && name.SequenceEqual("identifier"u8))
                {
                    _ = PatientIdentifierTokens(out firstIdentity);
                }
                else
                {
                    SkipUnknown(name);
                }
            }

            EndObject(keys);
            if (id is null)
            {
                _ctx.Report(IssueSeverity.Error, IssueType.Required, "contained resource without id cannot be referenced", "id");
                continue;
            }

            // A contained id is local to its container ("#patient-1" recurs across claims), so only a business
            // identifier can identify a contained patient.
            string? token = null;
            if (type == "Patient")
            {
                if (firstIdentity is not null)
                {
                    token = _ctx.Token(firstIdentity);
                }
                else
                {
                    _ctx.Report(IssueSeverity.Warning, IssueType.Required, "contained Patient without identifier: the patient cannot be identified", null);
                }
            }

            _ctx.Contained[id] = new EntryTarget(type ?? "Resource", id, token);
        }

        _ctx.PopPath();
    }

    /// <summary>Reads Patient.identifier into tokens of <c>system|value</c>; the values themselves never leave.</summary>
    private ImmutableArray<string> PatientIdentifierTokens(out string? firstIdentity)
    {
        firstIdentity = null;
        if (TokenType != JsonTokenType.StartArray)
        {
            WrongType("identifier", "a JSON array of identifiers");
            return [];
        }

        _ctx.PushPath("identifier");
        var tokens = ImmutableArray.CreateBuilder<string>();
        var index = 0;
        while (Read() && TokenType != JsonTokenType.EndArray)
        {
            _ctx.SetPathIndex(index++);
            if (TokenType != JsonTokenType.StartObject)
            {
                WrongType(null, "an Identifier object");
                continue;
            }

            var identifier = ReadIdentifier();
            if (identifier?.Value is not null)
            {
                var identity = identifier.System + "|" + identifier.Value;
                firstIdentity ??= identity;
                tokens.Add(_ctx.Token(identity));
            }
        }

        _ctx.PopPath();
        return tokens.DrainToImmutable();
    }

    /// <summary>Source-derived idempotency key (see <see cref="FhirResource"/>).</summary>
    private readonly string IdempotencyKey(string resourceType, in ResourceHeader header)
    {
        if (header.Id is not null && header.VersionId is not null)
        {
            return resourceType + "/" + header.Id + "/_history/" + header.VersionId;
        }

        var end = checked((int)_reader.BytesConsumed);
        var start = checked((int)header.Start);
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(_input[start..end], hash);
        return resourceType + "/sha256:" + Convert.ToHexStringLower(hash);
    }

    /// <summary>Checks #local references once the whole resource (and its contained list) was read.</summary>
    private readonly void CheckLocalReferences()
    {
        foreach (var (id, expression) in _ctx.LocalReferences)
        {
            if (id.Length == 0)
            {
                continue; // "#" alone points to the container itself
            }

            if (!_ctx.Contained.ContainsKey(id))
            {
                _ctx.ReportAt(IssueSeverity.Error, IssueType.NotFound, $"local reference '#{id}' matches no contained resource", expression);
            }
        }
    }

    private readonly void Require(bool present, string child, string what)
    {
        if (!present)
        {
            _ctx.Report(IssueSeverity.Error, IssueType.Required, what + " is required", child);
        }
    }

    private readonly void RequireCode(string? code, string child, string[] allowed, string valueSet)
    {
        if (code is null)
        {
            _ctx.Report(IssueSeverity.Error, IssueType.Required, child + " is required", child);
        }
        else if (Array.IndexOf(allowed, code) < 0)
        {
            _ctx.Report(IssueSeverity.Error, IssueType.CodeInvalid, $"'{Truncate(code)}' is not in {valueSet} ({string.Join(" | ", allowed)})", child);
        }
    }

    private static string Truncate(string text) => text.Length <= 64 ? text : text[..64] + "…";

    private readonly void CheckClaimType(FhirCodeableConcept? type)
    {
        if (type is null)
        {
            _ctx.Report(IssueSeverity.Error, IssueType.Required, "type is required", "type");
            return;
        }

        var found = false;
        for (var i = 0; i < type.Codings.Length; i++)
        {
            if (type.Codings[i].System != FhirCodeSystems.ClaimType)
            {
                continue;
            }

            found = true;
            var code = type.Codings[i].Code;
            if (code is null || Array.IndexOf(ClaimTypes, code) < 0)
            {
                _ctx.Report(IssueSeverity.Error, IssueType.CodeInvalid, $"'{Truncate(code ?? "")}' is not a code of {FhirCodeSystems.ClaimType} ({string.Join(" | ", ClaimTypes)})", $"type.coding[{i}].code");
            }
        }

        if (!found)
        {
            _ctx.Report(IssueSeverity.Warning, IssueType.CodeInvalid, $"type has no {FhirCodeSystems.ClaimType} coding; the claim type cannot be mapped", "type");
        }
    }

    private FhirOtherResource ReadOther(string resourceType, ref ResourceHeader header)
    {
        var keys = BeginObject();
        while (NextProperty(ref keys, out var name))
        {
            if (name.SequenceEqual("id"u8))
            {
                header.Id = ReadId("id");
            }
            else if (name.SequenceEqual("meta"u8))
            {
                ReadMeta(ref header);
            }
            else
            {
                SkipUnknown(name);
            }
        }

        EndObject(keys);
        return new FhirOtherResource { ResourceType = resourceType, Id = header.Id, VersionId = header.VersionId, IdempotencyKey = IdempotencyKey(resourceType, header) };
    }

    private FhirPatient ReadPatient(ref ResourceHeader header)
    {
        ImmutableArray<string> identifierTokens = [];
        string? firstIdentity = null;
        var keys = BeginObject();
        while (NextProperty(ref keys, out var name))
        {
            if (name.SequenceEqual("identifier"u8))
            {
                identifierTokens = PatientIdentifierTokens(out firstIdentity);
            }
            else if (!ReadCommon(name, ref header, keepExtensions: false))
            {
                // Names, birthDate, address, telecom and everything else about the person stay here.
                SkipUnknown(name);
            }
        }

        EndObject(keys);
        CheckLocalReferences();
        _ctx.LastPatientId = header.Id;
        var token = header.Id is not null ? _ctx.Token("Patient/" + header.Id) : firstIdentity is not null ? _ctx.Token(firstIdentity) : null;

        // The id may be an MRN: it leaves only as the token, and the key is a content hash.
        var anonymous = header with { Id = null };
        return new FhirPatient
        {
            ResourceType = "Patient",
            VersionId = header.VersionId,
            LastUpdated = header.LastUpdated,
            IdempotencyKey = IdempotencyKey("Patient", anonymous),
            PatientToken = token,
            IdentifierTokens = identifierTokens,
        };
    }
}
