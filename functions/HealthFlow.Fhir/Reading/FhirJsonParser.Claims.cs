using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;

namespace HealthFlow.Fhir;

internal ref partial struct FhirJsonParser
{
    private FhirClaim ReadClaim(ref ResourceHeader header)
    {
        string? status = null, use = null;
        FhirCodeableConcept? type = null, subType = null, priority = null;
        FhirReference? patient = null, insurer = null, provider = null, facility = null;
        FhirPeriod? billablePeriod = null;
        FhirDateTime? created = null;
        ImmutableArray<FhirDiagnosis> diagnoses = [];
        ImmutableArray<FhirInsurance> insurances = [];
        ImmutableArray<FhirClaimItem> items = [];
        FhirMoney? total = null;
        var keys = BeginObject();
        while (NextProperty(ref keys, out var name))
        {
            if (ReadCommon(name, ref header))
            {
                continue;
            }

            if (name.SequenceEqual("status"u8))
            {
                status = ReadCode("status");
            }
            else if (name.SequenceEqual("type"u8))
            {
                type = CodeableConcept("type");
            }
            else if (name.SequenceEqual("subType"u8))
            {
                subType = CodeableConcept("subType");
            }
            else if (name.SequenceEqual("use"u8))
            {
                use = ReadCode("use");
            }
            else if (name.SequenceEqual("patient"u8))
            {
                patient = Reference("patient", ReferenceKind.Patient);
            }
            else if (name.SequenceEqual("billablePeriod"u8))
            {
                billablePeriod = Period("billablePeriod");
            }
            else if (name.SequenceEqual("created"u8))
            {
                created = ReadDateTime("created");
            }
            else if (name.SequenceEqual("insurer"u8))
            {
                insurer = Reference("insurer", ReferenceKind.NonPatient);
            }
            else if (name.SequenceEqual("provider"u8))
            {
                provider = Reference("provider", ReferenceKind.NonPatient);
            }
            else if (name.SequenceEqual("priority"u8))
            {
                priority = CodeableConcept("priority");
            }
            else if (name.SequenceEqual("facility"u8))
            {
                facility = Reference("facility", ReferenceKind.NonPatient);
            }
            else if (name.SequenceEqual("diagnosis"u8))
            {
                diagnoses = ReadArray("diagnosis", static (ref FhirJsonParser p) => p.ObjectElement(static (ref FhirJsonParser q) => q.ReadDiagnosis()));
            }
            else if (name.SequenceEqual("insurance"u8))
            {
                insurances = ReadArray("insurance", static (ref FhirJsonParser p) => p.ObjectElement(static (ref FhirJsonParser q) => q.ReadInsurance(claim: true)));
            }
            else if (name.SequenceEqual("item"u8))
            {
                items = ReadArray("item", static (ref FhirJsonParser p) => p.ObjectElement(static (ref FhirJsonParser q) => q.ReadClaimItem(explanationOfBenefit: false)));
            }
            else if (name.SequenceEqual("total"u8))
            {
                total = Money("total");
            }
            else
            {
                SkipUnknown(name);
            }
        }

        EndObject(keys);
        CheckLocalReferences();
        RequireCode(status, "status", FinancialStatuses, "http://hl7.org/fhir/fm-status");
        CheckClaimType(type);
        RequireCode(use, "use", ClaimUses, "http://hl7.org/fhir/claim-use");
        Require(patient is not null, "patient", "patient");
        Require(created is not null, "created", "created");
        Require(provider is not null, "provider", "provider");
        Require(priority is not null, "priority", "priority");
        Require(!insurances.IsDefaultOrEmpty, "insurance", "insurance (1..*)");
        CheckClaimTotal(items, total);
        return new FhirClaim
        {
            ResourceType = "Claim",
            Id = header.Id,
            VersionId = header.VersionId,
            LastUpdated = header.LastUpdated,
            IdempotencyKey = IdempotencyKey("Claim", header),
            Extensions = header.Extensions,
            Identifiers = header.Identifiers,
            Status = status ?? "",
            Type = type ?? new FhirCodeableConcept([], null),
            SubType = subType,
            Use = use ?? "",
            PatientToken = patient?.PatientToken,
            BillablePeriod = billablePeriod,
            Created = created,
            Insurer = insurer,
            Provider = provider,
            Priority = priority,
            Facility = facility,
            Diagnoses = diagnoses,
            Insurances = insurances,
            Items = items,
            Total = total,
        };
    }

    /// <summary>Claim.total must equal Σ item.net, in one currency: a claim that does not add up is not billed.</summary>
    private readonly void CheckClaimTotal(ImmutableArray<FhirClaimItem> items, FhirMoney? total)
    {
        decimal sum = 0;
        var netCount = 0;
        string? currency = total?.Currency;
        for (var i = 0; i < items.Length; i++)
        {
            if (items[i].Net is not { } net)
            {
                continue;
            }

            netCount++;
            sum += net.Value;
            currency ??= net.Currency;
            if (net.Currency != currency)
            {
                _ctx.Report(IssueSeverity.Error, IssueType.Invariant, $"item net currency {net.Currency} differs from {currency}: one claim, one currency", $"item[{i}].net.currency");
            }
        }

        if (total is { } t && netCount > 0 && sum != t.Value)
        {
            _ctx.Report(IssueSeverity.Error, IssueType.Invariant,
                $"Claim.total {t.Value.ToString(CultureInfo.InvariantCulture)} {t.Currency} does not equal the sum of item.net {sum.ToString(CultureInfo.InvariantCulture)}",
                "total");
        }
    }

    private FhirDiagnosis? ReadDiagnosis()
    {
        int? sequence = null;
        FhirCodeableConcept? code = null;
        FhirReference? condition = null;
        ImmutableArray<FhirCodeableConcept> types = [];
        var keys = BeginObject();
        while (NextProperty(ref keys, out var name))
        {
            if (name.SequenceEqual("sequence"u8))
            {
                sequence = ReadPositiveInt("sequence");
            }
            else if (name.SequenceEqual("diagnosisCodeableConcept"u8))
            {
                code = CodeableConcept("diagnosisCodeableConcept");
            }
            else if (name.SequenceEqual("diagnosisReference"u8))
            {
                condition = Reference("diagnosisReference", ReferenceKind.NonPatient);
            }
            else if (name.SequenceEqual("type"u8))
            {
                types = CodeableConcepts("type");
            }
            else
            {
                SkipUnknown(name);
            }
        }

        EndObject(keys);
        Require(sequence is not null, "sequence", "diagnosis.sequence");
        if (code is null && condition is null)
        {
            _ctx.Report(IssueSeverity.Error, IssueType.Required, "diagnosis[x] is required", "diagnosis[x]");
        }
        else if (code is not null && condition is not null)
        {
            _ctx.Report(IssueSeverity.Error, IssueType.Structure, "only one diagnosis[x] may be given", "diagnosis[x]");
        }

        return new FhirDiagnosis(sequence, code, condition, types);
    }

    private FhirInsurance? ReadInsurance(bool claim)
    {
        int? sequence = null;
        bool? focal = null;
        FhirReference? coverage = null;
        var keys = BeginObject();
        while (NextProperty(ref keys, out var name))
        {
            if (name.SequenceEqual("sequence"u8))
            {
                sequence = ReadPositiveInt("sequence");
            }
            else if (name.SequenceEqual("focal"u8))
            {
                focal = ReadBoolean("focal");
            }
            else if (name.SequenceEqual("coverage"u8))
            {
                coverage = Reference("coverage", ReferenceKind.NonPatient);
            }
            else
            {
                SkipUnknown(name);
            }
        }

        EndObject(keys);
        if (claim)
        {
            Require(sequence is not null, "sequence", "insurance.sequence");
        }

        Require(focal is not null, "focal", "insurance.focal");
        Require(coverage is not null, "coverage", "insurance.coverage");
        return new FhirInsurance(sequence, focal, coverage);
    }

    private FhirClaimItem? ReadClaimItem(bool explanationOfBenefit)
    {
        int? sequence = null;
        FhirCodeableConcept? revenue = null, category = null, productOrService = null, locationCode = null;
        ImmutableArray<FhirCodeableConcept> modifiers = [];
        FhirDateTime? servicedDate = null;
        FhirPeriod? servicedPeriod = null;
        FhirReference? locationReference = null;
        FhirQuantity? quantity = null;
        FhirMoney? unitPrice = null, net = null;
        decimal? factor = null;
        ImmutableArray<FhirReference> encounters = [];
        ImmutableArray<FhirAdjudication> adjudications = [];
        int servicedCount = 0, locationCount = 0;
        var keys = BeginObject();
        while (NextProperty(ref keys, out var name))
        {
            if (name.SequenceEqual("sequence"u8))
            {
                sequence = ReadPositiveInt("sequence");
            }
            else if (name.SequenceEqual("revenue"u8))
            {
                revenue = CodeableConcept("revenue");
            }
            else if (name.SequenceEqual("category"u8))
            {
                category = CodeableConcept("category");
            }
            else if (name.SequenceEqual("productOrService"u8))
            {
                productOrService = CodeableConcept("productOrService");
            }
            else if (name.SequenceEqual("modifier"u8))
            {
                modifiers = CodeableConcepts("modifier");
            }
            else if (name.SequenceEqual("servicedDate"u8))
            {
                servicedCount++;
                servicedDate = ReadDateTime("servicedDate");
            }
            else if (name.SequenceEqual("servicedPeriod"u8))
            {
                servicedCount++;
                servicedPeriod = Period("servicedPeriod");
            }
            else if (name.SequenceEqual("locationCodeableConcept"u8))
            {
                locationCount++;
                locationCode = CodeableConcept("locationCodeableConcept");
            }
            else if (name.SequenceEqual("locationReference"u8))
            {
                locationCount++;
                locationReference = Reference("locationReference", ReferenceKind.NonPatient);
            }
            else if (name.SequenceEqual("locationAddress"u8))
            {
                // May be the patient's home (home visits): counted, never kept.
                locationCount++;
                SkipValue();
            }
            else if (name.SequenceEqual("quantity"u8))
            {
                quantity = Quantity("quantity");
            }
            else if (name.SequenceEqual("unitPrice"u8))
            {
                unitPrice = Money("unitPrice");
            }
            else if (name.SequenceEqual("factor"u8))
            {
                factor = ReadDecimal("factor");
            }
            else if (name.SequenceEqual("net"u8))
            {
                net = Money("net");
            }
            else if (name.SequenceEqual("encounter"u8))
            {
                encounters = References("encounter", ReferenceKind.NonPatient);
            }
            else if (explanationOfBenefit && name.SequenceEqual("adjudication"u8))
            {
                adjudications = Adjudications("adjudication");
            }
            else
            {
                SkipUnknown(name);
            }
        }

        EndObject(keys);
        Require(sequence is not null, "sequence", "item.sequence");
        Require(productOrService is not null, "productOrService", "item.productOrService");
        if (servicedCount > 1)
        {
            _ctx.Report(IssueSeverity.Error, IssueType.Structure, "only one serviced[x] may be given", "serviced[x]");
        }

        if (locationCount > 1)
        {
            _ctx.Report(IssueSeverity.Error, IssueType.Structure, "only one location[x] may be given", "location[x]");
        }

        return new FhirClaimItem
        {
            Sequence = sequence,
            Revenue = revenue,
            Category = category,
            ProductOrService = productOrService,
            Modifiers = modifiers,
            ServicedDate = servicedDate,
            ServicedPeriod = servicedPeriod,
            LocationCode = locationCode,
            LocationReference = locationReference,
            Quantity = quantity,
            UnitPrice = unitPrice,
            Factor = factor,
            Net = net,
            Encounters = encounters,
            Adjudications = adjudications,
        };
    }

    private ImmutableArray<FhirAdjudication> Adjudications(string child) =>
        ReadArray(child, static (ref FhirJsonParser p) => p.ObjectElement(static (ref FhirJsonParser q) => q.ReadAdjudication()));

    private FhirAdjudication? ReadAdjudication()
    {
        FhirCodeableConcept? category = null, reason = null;
        FhirMoney? amount = null;
        decimal? value = null;
        var keys = BeginObject();
        while (NextProperty(ref keys, out var name))
        {
            if (name.SequenceEqual("category"u8))
            {
                category = CodeableConcept("category");
            }
            else if (name.SequenceEqual("reason"u8))
            {
                reason = CodeableConcept("reason");
            }
            else if (name.SequenceEqual("amount"u8))
            {
                amount = Money("amount");
            }
            else if (name.SequenceEqual("value"u8))
            {
                value = ReadDecimal("value");
            }
            else
            {
                SkipUnknown(name);
            }
        }

        EndObject(keys);
        if (category is null)
        {
            _ctx.Report(IssueSeverity.Error, IssueType.Required, "adjudication.category is required", "category");
            return null;
        }

        CheckAdjudicationCategory(category, "category");
        return new FhirAdjudication(category, reason, amount, value);
    }

    private readonly void CheckAdjudicationCategory(FhirCodeableConcept category, string child)
    {
        for (var i = 0; i < category.Codings.Length; i++)
        {
            var coding = category.Codings[i];
            if (coding.System == FhirCodeSystems.Adjudication && (coding.Code is null || Array.IndexOf(AdjudicationCategories, coding.Code) < 0))
            {
                _ctx.Report(IssueSeverity.Error, IssueType.CodeInvalid,
                    $"'{Truncate(coding.Code ?? "")}' is not a code of {FhirCodeSystems.Adjudication} ({string.Join(" | ", AdjudicationCategories)})",
                    $"{child}.coding[{i}].code");
            }
        }
    }

    private FhirResponseItem? ReadResponseItem()
    {
        int? itemSequence = null;
        ImmutableArray<FhirAdjudication> adjudications = [];
        var keys = BeginObject();
        while (NextProperty(ref keys, out var name))
        {
            if (name.SequenceEqual("itemSequence"u8))
            {
                itemSequence = ReadPositiveInt("itemSequence");
            }
            else if (name.SequenceEqual("adjudication"u8))
            {
                adjudications = Adjudications("adjudication");
            }
            else
            {
                SkipUnknown(name);
            }
        }

        EndObject(keys);
        Require(itemSequence is not null, "itemSequence", "item.itemSequence");
        Require(!adjudications.IsDefaultOrEmpty, "adjudication", "item.adjudication (1..*)");
        return new FhirResponseItem(itemSequence, adjudications);
    }

    private FhirAddedItem? ReadAddedItem()
    {
        ImmutableArray<int> itemSequences = [];
        FhirCodeableConcept? productOrService = null;
        FhirMoney? net = null;
        ImmutableArray<FhirAdjudication> adjudications = [];
        var keys = BeginObject();
        while (NextProperty(ref keys, out var name))
        {
            if (name.SequenceEqual("itemSequence"u8))
            {
                itemSequences = ReadIntegerArray("itemSequence");
            }
            else if (name.SequenceEqual("productOrService"u8))
            {
                productOrService = CodeableConcept("productOrService");
            }
            else if (name.SequenceEqual("net"u8))
            {
                net = Money("net");
            }
            else if (name.SequenceEqual("adjudication"u8))
            {
                adjudications = Adjudications("adjudication");
            }
            else
            {
                SkipUnknown(name);
            }
        }

        EndObject(keys);
        Require(productOrService is not null, "productOrService", "addItem.productOrService");
        Require(!adjudications.IsDefaultOrEmpty, "adjudication", "addItem.adjudication (1..*)");
        return new FhirAddedItem(itemSequences, productOrService, net, adjudications);
    }

    private FhirTotal? ReadTotal()
    {
        FhirCodeableConcept? category = null;
        FhirMoney? amount = null;
        var keys = BeginObject();
        while (NextProperty(ref keys, out var name))
        {
            if (name.SequenceEqual("category"u8))
            {
                category = CodeableConcept("category");
            }
            else if (name.SequenceEqual("amount"u8))
            {
                amount = Money("amount");
            }
            else
            {
                SkipUnknown(name);
            }
        }

        EndObject(keys);
        Require(category is not null, "category", "total.category");
        Require(amount is not null, "amount", "total.amount");
        if (category is null || amount is null)
        {
            return null;
        }

        CheckAdjudicationCategory(category, "category");
        return new FhirTotal(category, amount.Value);
    }

    private FhirPayment? ReadPayment()
    {
        FhirCodeableConcept? type = null, adjustmentReason = null;
        FhirMoney? adjustment = null, amount = null;
        FhirDateTime? date = null;
        FhirIdentifier? identifier = null;
        var keys = BeginObject();
        while (NextProperty(ref keys, out var name))
        {
            if (name.SequenceEqual("type"u8))
            {
                type = CodeableConcept("type");
            }
            else if (name.SequenceEqual("adjustment"u8))
            {
                adjustment = Money("adjustment");
            }
            else if (name.SequenceEqual("adjustmentReason"u8))
            {
                adjustmentReason = CodeableConcept("adjustmentReason");
            }
            else if (name.SequenceEqual("date"u8))
            {
                date = ReadDateTime("date");
            }
            else if (name.SequenceEqual("amount"u8))
            {
                amount = Money("amount");
            }
            else if (name.SequenceEqual("identifier"u8))
            {
                identifier = Identifier("identifier");
            }
            else
            {
                SkipUnknown(name);
            }
        }

        EndObject(keys);
        return new FhirPayment(type, adjustment, adjustmentReason, date, amount, identifier);
    }

    private FhirClaimResponse ReadClaimResponse(ref ResourceHeader header)
    {
        var common = new AdjudicatedCommon { AddedItems = [], Totals = [] };
        FhirReference? requestor = null;
        ImmutableArray<FhirResponseItem> items = [];
        var keys = BeginObject();
        while (NextProperty(ref keys, out var name))
        {
            if (ReadCommon(name, ref header) || ReadAdjudicatedCommon(name, ref common, requestElement: "request"u8))
            {
                continue;
            }

            if (name.SequenceEqual("requestor"u8))
            {
                requestor = Reference("requestor", ReferenceKind.NonPatient);
            }
            else if (name.SequenceEqual("item"u8))
            {
                items = ReadArray("item", static (ref FhirJsonParser p) => p.ObjectElement(static (ref FhirJsonParser q) => q.ReadResponseItem()));
            }
            else
            {
                SkipUnknown(name);
            }
        }

        EndObject(keys);
        CheckLocalReferences();
        CheckAdjudicatedCommon(common, paymentTypeRequired: true);
        var itemAdjudications = ImmutableArray.CreateBuilder<FhirAdjudication>();
        foreach (var item in items)
        {
            itemAdjudications.AddRange(item.Adjudications);
        }

        CheckTotalsAgainstItems(common, itemAdjudications.DrainToImmutable(), null);
        return new FhirClaimResponse
        {
            ResourceType = "ClaimResponse",
            Id = header.Id,
            VersionId = header.VersionId,
            LastUpdated = header.LastUpdated,
            IdempotencyKey = IdempotencyKey("ClaimResponse", header),
            Extensions = header.Extensions,
            Identifiers = header.Identifiers,
            Status = common.Status ?? "",
            Type = common.Type ?? new FhirCodeableConcept([], null),
            Use = common.Use ?? "",
            PatientToken = common.Patient?.PatientToken,
            Created = common.Created,
            Insurer = common.Insurer,
            Outcome = common.Outcome ?? "",
            Disposition = common.Disposition,
            ClaimReference = common.Claim,
            AddedItems = common.AddedItems,
            Totals = common.Totals,
            Payment = common.Payment,
            Requestor = requestor,
            Items = items,
        };
    }

    private FhirExplanationOfBenefit ReadExplanationOfBenefit(ref ResourceHeader header)
    {
        var common = new AdjudicatedCommon { AddedItems = [], Totals = [] };
        FhirReference? provider = null, claimResponse = null, facility = null;
        FhirPeriod? billablePeriod = null;
        ImmutableArray<FhirInsurance> insurances = [];
        ImmutableArray<FhirClaimItem> items = [];
        var keys = BeginObject();
        while (NextProperty(ref keys, out var name))
        {
            if (ReadCommon(name, ref header) || ReadAdjudicatedCommon(name, ref common, requestElement: "claim"u8))
            {
                continue;
            }

            if (name.SequenceEqual("provider"u8))
            {
                provider = Reference("provider", ReferenceKind.NonPatient);
            }
            else if (name.SequenceEqual("claimResponse"u8))
            {
                claimResponse = Reference("claimResponse", ReferenceKind.NonPatient);
            }
            else if (name.SequenceEqual("facility"u8))
            {
                facility = Reference("facility", ReferenceKind.NonPatient);
            }
            else if (name.SequenceEqual("billablePeriod"u8))
            {
                billablePeriod = Period("billablePeriod");
            }
            else if (name.SequenceEqual("insurance"u8))
            {
                insurances = ReadArray("insurance", static (ref FhirJsonParser p) => p.ObjectElement(static (ref FhirJsonParser q) => q.ReadInsurance(claim: false)));
            }
            else if (name.SequenceEqual("item"u8))
            {
                items = ReadArray("item", static (ref FhirJsonParser p) => p.ObjectElement(static (ref FhirJsonParser q) => q.ReadClaimItem(explanationOfBenefit: true)));
            }
            else
            {
                SkipUnknown(name);
            }
        }

        EndObject(keys);
        CheckLocalReferences();
        CheckAdjudicatedCommon(common, paymentTypeRequired: false);
        Require(provider is not null, "provider", "provider");
        Require(!insurances.IsDefaultOrEmpty, "insurance", "insurance (1..*)");
        var itemAdjudications = ImmutableArray.CreateBuilder<FhirAdjudication>();
        var nets = ImmutableArray.CreateBuilder<FhirMoney>();
        foreach (var item in items)
        {
            itemAdjudications.AddRange(item.Adjudications);
            if (item.Net is { } net)
            {
                nets.Add(net);
            }
        }

        CheckTotalsAgainstItems(common, itemAdjudications.DrainToImmutable(), nets.DrainToImmutable());
        return new FhirExplanationOfBenefit
        {
            ResourceType = "ExplanationOfBenefit",
            Id = header.Id,
            VersionId = header.VersionId,
            LastUpdated = header.LastUpdated,
            IdempotencyKey = IdempotencyKey("ExplanationOfBenefit", header),
            Extensions = header.Extensions,
            Identifiers = header.Identifiers,
            Status = common.Status ?? "",
            Type = common.Type ?? new FhirCodeableConcept([], null),
            Use = common.Use ?? "",
            PatientToken = common.Patient?.PatientToken,
            Created = common.Created,
            Insurer = common.Insurer,
            Outcome = common.Outcome ?? "",
            Disposition = common.Disposition,
            ClaimReference = common.Claim,
            AddedItems = common.AddedItems,
            Totals = common.Totals,
            Payment = common.Payment,
            Provider = provider,
            ClaimResponse = claimResponse,
            Facility = facility,
            BillablePeriod = billablePeriod,
            Insurances = insurances,
            Items = items,
        };
    }

    /// <summary>Elements ClaimResponse and ExplanationOfBenefit share.</summary>
    private struct AdjudicatedCommon
    {
        internal string? Status;
        internal string? Use;
        internal string? Outcome;
        internal string? Disposition;
        internal FhirCodeableConcept? Type;
        internal FhirReference? Patient;
        internal FhirReference? Insurer;
        internal FhirReference? Claim;
        internal FhirDateTime? Created;
        internal ImmutableArray<FhirAddedItem> AddedItems;
        internal ImmutableArray<FhirTotal> Totals;
        internal FhirPayment? Payment;
        internal bool PaymentSeen;
    }

    private bool ReadAdjudicatedCommon(scoped ReadOnlySpan<byte> name, ref AdjudicatedCommon common, scoped ReadOnlySpan<byte> requestElement)
    {
        if (name.SequenceEqual("status"u8))
        {
            common.Status = ReadCode("status");
        }
        else if (name.SequenceEqual("type"u8))
        {
            common.Type = CodeableConcept("type");
        }
        else if (name.SequenceEqual("use"u8))
        {
            common.Use = ReadCode("use");
        }
        else if (name.SequenceEqual("patient"u8))
        {
            common.Patient = Reference("patient", ReferenceKind.Patient);
        }
        else if (name.SequenceEqual("created"u8))
        {
            common.Created = ReadDateTime("created");
        }
        else if (name.SequenceEqual("insurer"u8))
        {
            common.Insurer = Reference("insurer", ReferenceKind.NonPatient);
        }
        else if (name.SequenceEqual("outcome"u8))
        {
            common.Outcome = ReadCode("outcome");
        }
        else if (name.SequenceEqual("disposition"u8))
        {
            common.Disposition = ReadString("disposition");
        }
        else if (name.SequenceEqual(requestElement))
        {
            common.Claim = Reference(requestElement.SequenceEqual("claim"u8) ? "claim" : "request", ReferenceKind.NonPatient);
        }
        else if (name.SequenceEqual("addItem"u8))
        {
            common.AddedItems = ReadArray("addItem", static (ref FhirJsonParser p) => p.ObjectElement(static (ref FhirJsonParser q) => q.ReadAddedItem()));
        }
        else if (name.SequenceEqual("total"u8))
        {
            common.Totals = ReadArray("total", static (ref FhirJsonParser p) => p.ObjectElement(static (ref FhirJsonParser q) => q.ReadTotal()));
        }
        else if (name.SequenceEqual("payment"u8))
        {
            common.PaymentSeen = true;
            common.Payment = ReadComplex("payment", static (ref FhirJsonParser p) => p.ReadPayment());
        }
        else
        {
            return false;
        }

        return true;
    }

    private readonly void CheckAdjudicatedCommon(in AdjudicatedCommon common, bool paymentTypeRequired)
    {
        RequireCode(common.Status, "status", FinancialStatuses, "http://hl7.org/fhir/fm-status");
        CheckClaimType(common.Type);
        RequireCode(common.Use, "use", ClaimUses, "http://hl7.org/fhir/claim-use");
        Require(common.Patient is not null, "patient", "patient");
        Require(common.Created is not null, "created", "created");
        Require(common.Insurer is not null, "insurer", "insurer");
        RequireCode(common.Outcome, "outcome", Outcomes, "http://hl7.org/fhir/remittance-outcome");
        // ClaimResponse.payment.type and .amount are 1..1; on ExplanationOfBenefit both are 0..1.
        if (paymentTypeRequired && common.Payment is { } payment)
        {
            Require(payment.Type is not null, "payment.type", "payment.type");
            Require(payment.Amount is not null, "payment.amount", "payment.amount");
        }
    }

    /// <summary>
    /// Totals against lines, as warnings: payers adjudicate at item, detail and claim level, so a mismatch is
    /// worth a look but the payer's stated totals are what was paid.
    /// </summary>
    private readonly void CheckTotalsAgainstItems(in AdjudicatedCommon common, ImmutableArray<FhirAdjudication> itemAdjudications, ImmutableArray<FhirMoney>? itemNets)
    {
        if (common.Totals.IsDefaultOrEmpty)
        {
            return;
        }

        var addedAdjudications = new List<FhirAdjudication>();
        if (!common.AddedItems.IsDefaultOrEmpty)
        {
            foreach (var added in common.AddedItems)
            {
                addedAdjudications.AddRange(added.Adjudications);
            }
        }

        for (var i = 0; i < common.Totals.Length; i++)
        {
            var total = common.Totals[i];
            var category = total.CategoryCode;
            decimal sum = 0;
            var count = 0;
            foreach (var adjudication in itemAdjudications.Concat(addedAdjudications))
            {
                if (adjudication.CategoryCode == category && adjudication.Amount is { } amount)
                {
                    sum += amount.Value;
                    count++;
                }
            }

            if (count == 0 && category == "submitted" && itemNets is { IsDefaultOrEmpty: false } nets)
            {
                foreach (var net in nets)
                {
                    sum += net.Value;
                    count++;
                }
            }

            if (count > 0 && sum != total.Amount.Value)
            {
                _ctx.Report(IssueSeverity.Warning, IssueType.Invariant,
                    $"total '{category}' {total.Amount.Value.ToString(CultureInfo.InvariantCulture)} differs from the sum over items {sum.ToString(CultureInfo.InvariantCulture)}",
                    $"total[{i}].amount");
            }
        }
    }
}
