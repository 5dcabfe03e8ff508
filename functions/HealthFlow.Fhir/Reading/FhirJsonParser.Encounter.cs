using System.Collections.Immutable;
using System.Text.Json;

namespace HealthFlow.Fhir;

internal ref partial struct FhirJsonParser
{
    private FhirEncounter ReadEncounter(ref ResourceHeader header)
    {
        string? status = null;
        FhirCoding? encounterClass = null;
        ImmutableArray<FhirCodeableConcept> types = [];
        FhirReference? subject = null, serviceProvider = null;
        FhirPeriod? period = null;
        ImmutableArray<FhirEncounterLocation> locations = [];
        FhirCodeableConcept? admitSource = null, dischargeDisposition = null;
        ImmutableArray<FhirReference> accounts = [];
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
            else if (name.SequenceEqual("class"u8))
            {
                encounterClass = ReadComplex("class", static (ref FhirJsonParser p) => p.ReadCoding());
            }
            else if (name.SequenceEqual("type"u8))
            {
                types = CodeableConcepts("type");
            }
            else if (name.SequenceEqual("subject"u8))
            {
                subject = Reference("subject", ReferenceKind.Patient);
            }
            else if (name.SequenceEqual("period"u8))
            {
                period = Period("period");
            }
            else if (name.SequenceEqual("serviceProvider"u8))
            {
                serviceProvider = Reference("serviceProvider", ReferenceKind.NonPatient);
            }
            else if (name.SequenceEqual("location"u8))
            {
                locations = ReadArray("location", static (ref FhirJsonParser p) => p.ObjectElement(static (ref FhirJsonParser q) => q.ReadEncounterLocation()));
            }
            else if (name.SequenceEqual("hospitalization"u8))
            {
                ReadHospitalization(ref admitSource, ref dischargeDisposition);
            }
            else if (name.SequenceEqual("account"u8))
            {
                accounts = References("account", ReferenceKind.NonPatient);
            }
            else
            {
                SkipUnknown(name);
            }
        }

        EndObject(keys);
        CheckLocalReferences();
        RequireCode(status, "status", EncounterStatuses, "http://hl7.org/fhir/encounter-status");
        Require(encounterClass is not null, "class", "class");
        return new FhirEncounter
        {
            ResourceType = "Encounter",
            Id = header.Id,
            VersionId = header.VersionId,
            LastUpdated = header.LastUpdated,
            IdempotencyKey = IdempotencyKey("Encounter", header),
            Extensions = header.Extensions,
            Identifiers = header.Identifiers,
            Status = status ?? "",
            Class = encounterClass,
            Types = types,
            PatientToken = subject?.PatientToken,
            Period = period,
            ServiceProvider = serviceProvider,
            Locations = locations,
            AdmitSource = admitSource,
            DischargeDisposition = dischargeDisposition,
            Accounts = accounts,
        };
    }

    private FhirEncounterLocation? ReadEncounterLocation()
    {
        FhirReference? location = null;
        string? status = null;
        FhirPeriod? period = null;
        var keys = BeginObject();
        while (NextProperty(ref keys, out var name))
        {
            if (name.SequenceEqual("location"u8))
            {
                location = Reference("location", ReferenceKind.NonPatient);
            }
            else if (name.SequenceEqual("status"u8))
            {
                status = ReadCode("status");
            }
            else if (name.SequenceEqual("period"u8))
            {
                period = Period("period");
            }
            else
            {
                SkipUnknown(name);
            }
        }

        EndObject(keys);
        Require(location is not null, "location", "location.location");
        return new FhirEncounterLocation(location, status, period);
    }

    private void ReadHospitalization(ref FhirCodeableConcept? admitSource, ref FhirCodeableConcept? dischargeDisposition)
    {
        if (TokenType != JsonTokenType.StartObject)
        {
            WrongType("hospitalization", "a JSON object");
            return;
        }

        _ctx.PushPath("hospitalization");
        var keys = BeginObject();
        while (NextProperty(ref keys, out var name))
        {
            if (name.SequenceEqual("admitSource"u8))
            {
                admitSource = CodeableConcept("admitSource");
            }
            else if (name.SequenceEqual("dischargeDisposition"u8))
            {
                dischargeDisposition = CodeableConcept("dischargeDisposition");
            }
            else
            {
                // origin/destination may be a patient's home address reference; not kept.
                SkipUnknown(name);
            }
        }

        EndObject(keys);
        _ctx.PopPath();
    }

    private FhirCoverage ReadCoverage(ref ResourceHeader header)
    {
        string? status = null;
        FhirCodeableConcept? type = null;
        FhirReference? beneficiary = null;
        ImmutableArray<FhirReference> payors = [];
        FhirPeriod? period = null;
        int? order = null;
        ImmutableArray<FhirCoverageClass> classes = [];
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
            else if (name.SequenceEqual("beneficiary"u8))
            {
                beneficiary = Reference("beneficiary", ReferenceKind.Patient);
            }
            else if (name.SequenceEqual("payor"u8))
            {
                payors = References("payor", ReferenceKind.Any);
            }
            else if (name.SequenceEqual("period"u8))
            {
                period = Period("period");
            }
            else if (name.SequenceEqual("order"u8))
            {
                order = ReadPositiveInt("order");
            }
            else if (name.SequenceEqual("class"u8))
            {
                classes = ReadArray("class", static (ref FhirJsonParser p) => p.ObjectElement(static (ref FhirJsonParser q) => q.ReadCoverageClass()));
            }
            else
            {
                // subscriberId, policyHolder, subscriber, dependent: member identity, not kept.
                SkipUnknown(name);
            }
        }

        EndObject(keys);
        CheckLocalReferences();
        RequireCode(status, "status", FinancialStatuses, "http://hl7.org/fhir/fm-status");
        Require(beneficiary is not null, "beneficiary", "beneficiary");
        Require(!payors.IsDefaultOrEmpty, "payor", "payor (1..*)");
        return new FhirCoverage
        {
            ResourceType = "Coverage",
            Id = header.Id,
            VersionId = header.VersionId,
            LastUpdated = header.LastUpdated,
            IdempotencyKey = IdempotencyKey("Coverage", header),
            Extensions = header.Extensions,
            Identifiers = header.Identifiers,
            Status = status ?? "",
            Type = type,
            BeneficiaryToken = beneficiary?.PatientToken,
            Payors = payors,
            Period = period,
            Order = order,
            Classes = classes,
        };
    }

    private FhirCoverageClass? ReadCoverageClass()
    {
        FhirCodeableConcept? type = null;
        string? value = null, className = null;
        var keys = BeginObject();
        while (NextProperty(ref keys, out var name))
        {
            if (name.SequenceEqual("type"u8))
            {
                type = CodeableConcept("type");
            }
            else if (name.SequenceEqual("value"u8))
            {
                value = ReadString("value");
            }
            else if (name.SequenceEqual("name"u8))
            {
                className = ReadString("name");
            }
            else
            {
                SkipUnknown(name);
            }
        }

        EndObject(keys);
        Require(type is not null, "type", "class.type");
        Require(value is not null, "value", "class.value");
        return new FhirCoverageClass(type?.FirstCode, value, className);
    }

    private FhirAccount ReadAccount(ref ResourceHeader header)
    {
        string? status = null;
        FhirCodeableConcept? type = null;
        ImmutableArray<FhirReference> subjects = [];
        FhirPeriod? servicePeriod = null;
        ImmutableArray<FhirAccountCoverage> coverages = [];
        FhirReference? owner = null;
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
            else if (name.SequenceEqual("subject"u8))
            {
                subjects = References("subject", ReferenceKind.Any);
            }
            else if (name.SequenceEqual("servicePeriod"u8))
            {
                servicePeriod = Period("servicePeriod");
            }
            else if (name.SequenceEqual("coverage"u8))
            {
                coverages = ReadArray("coverage", static (ref FhirJsonParser p) => p.ObjectElement(static (ref FhirJsonParser q) => q.ReadAccountCoverage()));
            }
            else if (name.SequenceEqual("owner"u8))
            {
                owner = Reference("owner", ReferenceKind.NonPatient);
            }
            else
            {
                // name (often the patient's name), guarantor, description: not kept.
                SkipUnknown(name);
            }
        }

        EndObject(keys);
        CheckLocalReferences();
        RequireCode(status, "status", AccountStatuses, "http://hl7.org/fhir/account-status");
        return new FhirAccount
        {
            ResourceType = "Account",
            Id = header.Id,
            VersionId = header.VersionId,
            LastUpdated = header.LastUpdated,
            IdempotencyKey = IdempotencyKey("Account", header),
            Extensions = header.Extensions,
            Identifiers = header.Identifiers,
            Status = status ?? "",
            Type = type,
            Subjects = subjects,
            ServicePeriod = servicePeriod,
            Coverages = coverages,
            Owner = owner,
        };
    }

    private FhirAccountCoverage? ReadAccountCoverage()
    {
        FhirReference? coverage = null;
        int? priority = null;
        var keys = BeginObject();
        while (NextProperty(ref keys, out var name))
        {
            if (name.SequenceEqual("coverage"u8))
            {
                coverage = Reference("coverage", ReferenceKind.NonPatient);
            }
            else if (name.SequenceEqual("priority"u8))
            {
                priority = ReadPositiveInt("priority");
            }
            else
            {
                SkipUnknown(name);
            }
        }

        EndObject(keys);
        Require(coverage is not null, "coverage", "coverage.coverage");
        return new FhirAccountCoverage(coverage, priority);
    }

    private FhirChargeItem ReadChargeItem(ref ResourceHeader header)
    {
        string? status = null;
        FhirCodeableConcept? code = null;
        FhirReference? subject = null, context = null, performingOrganization = null, requestingOrganization = null, costCenter = null;
        FhirDateTime? occurrenceDateTime = null, enteredDate = null;
        FhirPeriod? occurrencePeriod = null;
        var occurrenceCount = 0;
        var hasTiming = false;
        ImmutableArray<FhirChargePerformer> performers = [];
        FhirQuantity? quantity = null;
        decimal? factorOverride = null;
        FhirMoney? priceOverride = null;
        ImmutableArray<FhirReference> accounts = [];
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
            else if (name.SequenceEqual("code"u8))
            {
                code = CodeableConcept("code");
            }
            else if (name.SequenceEqual("subject"u8))
            {
                subject = Reference("subject", ReferenceKind.Patient);
            }
            else if (name.SequenceEqual("context"u8))
            {
                context = Reference("context", ReferenceKind.NonPatient);
            }
            else if (name.SequenceEqual("occurrenceDateTime"u8))
            {
                occurrenceCount++;
                occurrenceDateTime = ReadDateTime("occurrenceDateTime");
            }
            else if (name.SequenceEqual("occurrencePeriod"u8))
            {
                occurrenceCount++;
                occurrencePeriod = Period("occurrencePeriod");
            }
            else if (name.SequenceEqual("occurrenceTiming"u8))
            {
                occurrenceCount++;
                hasTiming = true;
                SkipValue();
            }
            else if (name.SequenceEqual("performer"u8))
            {
                performers = ReadArray("performer", static (ref FhirJsonParser p) => p.ObjectElement(static (ref FhirJsonParser q) => q.ReadChargePerformer()));
            }
            else if (name.SequenceEqual("performingOrganization"u8))
            {
                performingOrganization = Reference("performingOrganization", ReferenceKind.NonPatient);
            }
            else if (name.SequenceEqual("requestingOrganization"u8))
            {
                requestingOrganization = Reference("requestingOrganization", ReferenceKind.NonPatient);
            }
            else if (name.SequenceEqual("costCenter"u8))
            {
                costCenter = Reference("costCenter", ReferenceKind.NonPatient);
            }
            else if (name.SequenceEqual("quantity"u8))
            {
                quantity = Quantity("quantity");
            }
            else if (name.SequenceEqual("factorOverride"u8))
            {
                factorOverride = ReadDecimal("factorOverride");
            }
            else if (name.SequenceEqual("priceOverride"u8))
            {
                priceOverride = Money("priceOverride");
            }
            else if (name.SequenceEqual("enteredDate"u8))
            {
                enteredDate = ReadDateTime("enteredDate");
            }
            else if (name.SequenceEqual("account"u8))
            {
                accounts = References("account", ReferenceKind.NonPatient);
            }
            else
            {
                SkipUnknown(name);
            }
        }

        EndObject(keys);
        CheckLocalReferences();
        RequireCode(status, "status", ChargeItemStatuses, "http://hl7.org/fhir/chargeitem-status");
        Require(code is not null, "code", "code");
        Require(subject is not null, "subject", "subject");
        if (occurrenceCount > 1)
        {
            _ctx.Report(IssueSeverity.Error, IssueType.Structure, "more than one occurrence[x] element", "occurrence[x]");
        }

        if (status is "billable" or "billed" && priceOverride is null)
        {
            _ctx.Report(IssueSeverity.Information, IssueType.Informational, "no priceOverride: the charge is priced from the chargemaster by code", "priceOverride");
        }

        return new FhirChargeItem
        {
            ResourceType = "ChargeItem",
            Id = header.Id,
            VersionId = header.VersionId,
            LastUpdated = header.LastUpdated,
            IdempotencyKey = IdempotencyKey("ChargeItem", header),
            Extensions = header.Extensions,
            Identifiers = header.Identifiers,
            Status = status ?? "",
            Code = code ?? new FhirCodeableConcept([], null),
            PatientToken = subject?.PatientToken,
            Context = context,
            OccurrenceDateTime = occurrenceDateTime,
            OccurrencePeriod = occurrencePeriod,
            HasOccurrenceTiming = hasTiming,
            Performers = performers,
            PerformingOrganization = performingOrganization,
            RequestingOrganization = requestingOrganization,
            CostCenter = costCenter,
            Quantity = quantity,
            FactorOverride = factorOverride,
            Amount = priceOverride,
            EnteredDate = enteredDate,
            Accounts = accounts,
        };
    }

    private FhirChargePerformer? ReadChargePerformer()
    {
        FhirCodeableConcept? function = null;
        FhirReference? actor = null;
        var keys = BeginObject();
        while (NextProperty(ref keys, out var name))
        {
            if (name.SequenceEqual("function"u8))
            {
                function = CodeableConcept("function");
            }
            else if (name.SequenceEqual("actor"u8))
            {
                actor = Reference("actor", ReferenceKind.Any);
            }
            else
            {
                SkipUnknown(name);
            }
        }

        EndObject(keys);
        Require(actor is not null, "actor", "performer.actor");
        return new FhirChargePerformer(function, actor);
    }
}
