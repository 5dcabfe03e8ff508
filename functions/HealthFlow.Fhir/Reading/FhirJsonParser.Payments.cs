using System.Collections.Immutable;
using System.Globalization;

namespace HealthFlow.Fhir;

internal ref partial struct FhirJsonParser
{
    private FhirPaymentNotice ReadPaymentNotice(ref ResourceHeader header)
    {
        string? status = null;
        FhirReference? request = null, response = null, provider = null, payment = null, payee = null, recipient = null;
        FhirDateTime? created = null, paymentDate = null;
        FhirMoney? amount = null;
        FhirCodeableConcept? paymentStatus = null;
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
            else if (name.SequenceEqual("request"u8))
            {
                request = Reference("request", ReferenceKind.NonPatient);
            }
            else if (name.SequenceEqual("response"u8))
            {
                response = Reference("response", ReferenceKind.NonPatient);
            }
            else if (name.SequenceEqual("created"u8))
            {
                created = ReadDateTime("created");
            }
            else if (name.SequenceEqual("provider"u8))
            {
                provider = Reference("provider", ReferenceKind.NonPatient);
            }
            else if (name.SequenceEqual("payment"u8))
            {
                payment = Reference("payment", ReferenceKind.NonPatient);
            }
            else if (name.SequenceEqual("paymentDate"u8))
            {
                paymentDate = ReadDateTime("paymentDate");
            }
            else if (name.SequenceEqual("payee"u8))
            {
                payee = Reference("payee", ReferenceKind.NonPatient);
            }
            else if (name.SequenceEqual("recipient"u8))
            {
                recipient = Reference("recipient", ReferenceKind.NonPatient);
            }
            else if (name.SequenceEqual("amount"u8))
            {
                amount = Money("amount");
            }
            else if (name.SequenceEqual("paymentStatus"u8))
            {
                paymentStatus = CodeableConcept("paymentStatus");
            }
            else
            {
                SkipUnknown(name);
            }
        }

        EndObject(keys);
        CheckLocalReferences();
        RequireCode(status, "status", FinancialStatuses, "http://hl7.org/fhir/fm-status");
        Require(created is not null, "created", "created");
        Require(payment is not null, "payment", "payment");
        Require(recipient is not null, "recipient", "recipient");
        Require(amount is not null, "amount", "amount");
        return new FhirPaymentNotice
        {
            ResourceType = "PaymentNotice",
            Id = header.Id,
            VersionId = header.VersionId,
            LastUpdated = header.LastUpdated,
            IdempotencyKey = IdempotencyKey("PaymentNotice", header),
            Extensions = header.Extensions,
            Identifiers = header.Identifiers,
            Status = status ?? "",
            Request = request,
            Response = response,
            Created = created,
            Provider = provider,
            Payment = payment,
            PaymentDate = paymentDate,
            Payee = payee,
            Recipient = recipient,
            Amount = amount,
            PaymentStatus = paymentStatus,
        };
    }

    private FhirPaymentReconciliation ReadPaymentReconciliation(ref ResourceHeader header)
    {
        string? status = null, outcome = null, disposition = null;
        FhirPeriod? period = null;
        FhirDateTime? created = null, paymentDate = null;
        FhirReference? paymentIssuer = null, requestor = null;
        FhirMoney? paymentAmount = null;
        FhirIdentifier? paymentIdentifier = null;
        ImmutableArray<FhirPaymentDetail> details = [];
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
            else if (name.SequenceEqual("period"u8))
            {
                period = Period("period");
            }
            else if (name.SequenceEqual("created"u8))
            {
                created = ReadDateTime("created");
            }
            else if (name.SequenceEqual("paymentIssuer"u8))
            {
                paymentIssuer = Reference("paymentIssuer", ReferenceKind.NonPatient);
            }
            else if (name.SequenceEqual("requestor"u8))
            {
                requestor = Reference("requestor", ReferenceKind.NonPatient);
            }
            else if (name.SequenceEqual("outcome"u8))
            {
                outcome = ReadCode("outcome");
            }
            else if (name.SequenceEqual("disposition"u8))
            {
                disposition = ReadString("disposition");
            }
            else if (name.SequenceEqual("paymentDate"u8))
            {
                paymentDate = ReadDateTime("paymentDate");
            }
            else if (name.SequenceEqual("paymentAmount"u8))
            {
                paymentAmount = Money("paymentAmount");
            }
            else if (name.SequenceEqual("paymentIdentifier"u8))
            {
                paymentIdentifier = Identifier("paymentIdentifier");
            }
            else if (name.SequenceEqual("detail"u8))
            {
                details = ReadArray("detail", static (ref FhirJsonParser p) => p.ObjectElement(static (ref FhirJsonParser q) => q.ReadPaymentDetail()));
            }
            else
            {
                SkipUnknown(name);
            }
        }

        EndObject(keys);
        CheckLocalReferences();
        RequireCode(status, "status", FinancialStatuses, "http://hl7.org/fhir/fm-status");
        Require(created is not null, "created", "created");
        Require(paymentDate is not null, "paymentDate", "paymentDate");
        Require(paymentAmount is not null, "paymentAmount", "paymentAmount");
        if (outcome is not null && Array.IndexOf(Outcomes, outcome) < 0)
        {
            _ctx.Report(IssueSeverity.Error, IssueType.CodeInvalid, $"'{Truncate(outcome)}' is not in http://hl7.org/fhir/remittance-outcome", "outcome");
        }

        CheckPaymentDetails(details, paymentAmount);
        return new FhirPaymentReconciliation
        {
            ResourceType = "PaymentReconciliation",
            Id = header.Id,
            VersionId = header.VersionId,
            LastUpdated = header.LastUpdated,
            IdempotencyKey = IdempotencyKey("PaymentReconciliation", header),
            Extensions = header.Extensions,
            Identifiers = header.Identifiers,
            Status = status ?? "",
            Period = period,
            Created = created,
            PaymentIssuer = paymentIssuer,
            Requestor = requestor,
            Outcome = outcome,
            Disposition = disposition,
            PaymentDate = paymentDate,
            PaymentAmount = paymentAmount,
            PaymentIdentifier = paymentIdentifier,
            Details = details,
        };
    }

    /// <summary>
    /// Details in another currency are errors; a detail sum that differs from paymentAmount is a warning
    /// (R4 lets details list items settled elsewhere, e.g. advances).
    /// </summary>
    private readonly void CheckPaymentDetails(ImmutableArray<FhirPaymentDetail> details, FhirMoney? paymentAmount)
    {
        if (paymentAmount is not { } payment || details.IsDefaultOrEmpty)
        {
            return;
        }

        decimal sum = 0;
        var count = 0;
        for (var i = 0; i < details.Length; i++)
        {
            if (details[i].Amount is not { } amount)
            {
                continue;
            }

            if (amount.Currency != payment.Currency)
            {
                _ctx.Report(IssueSeverity.Error, IssueType.Invariant, $"detail currency {amount.Currency} differs from paymentAmount currency {payment.Currency}", $"detail[{i}].amount.currency");
            }

            sum += amount.Value;
            count++;
        }

        if (count > 0 && sum != payment.Value)
        {
            _ctx.Report(IssueSeverity.Warning, IssueType.Invariant,
                $"sum of detail.amount {sum.ToString(CultureInfo.InvariantCulture)} differs from paymentAmount {payment.Value.ToString(CultureInfo.InvariantCulture)}",
                "paymentAmount");
        }
    }

    private FhirPaymentDetail? ReadPaymentDetail()
    {
        FhirIdentifier? identifier = null;
        FhirCodeableConcept? type = null;
        FhirReference? request = null, submitter = null, response = null, payee = null;
        FhirDateTime? date = null;
        FhirMoney? amount = null;
        var keys = BeginObject();
        while (NextProperty(ref keys, out var name))
        {
            if (name.SequenceEqual("identifier"u8))
            {
                identifier = Identifier("identifier");
            }
            else if (name.SequenceEqual("type"u8))
            {
                type = CodeableConcept("type");
            }
            else if (name.SequenceEqual("request"u8))
            {
                request = Reference("request", ReferenceKind.NonPatient);
            }
            else if (name.SequenceEqual("submitter"u8))
            {
                submitter = Reference("submitter", ReferenceKind.NonPatient);
            }
            else if (name.SequenceEqual("response"u8))
            {
                response = Reference("response", ReferenceKind.NonPatient);
            }
            else if (name.SequenceEqual("date"u8))
            {
                date = ReadDateTime("date");
            }
            else if (name.SequenceEqual("payee"u8))
            {
                payee = Reference("payee", ReferenceKind.Any);
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
        Require(type is not null, "type", "detail.type");
        return new FhirPaymentDetail
        {
            Identifier = identifier,
            Type = type,
            Request = request,
            Submitter = submitter,
            Response = response,
            Date = date,
            Payee = payee,
            Amount = amount,
        };
    }
}
