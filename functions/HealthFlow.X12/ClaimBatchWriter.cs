using System.Globalization;

namespace HealthFlow.X12;

/// <summary>
/// Writes a <see cref="ClaimBatch"/> as an 837P or 837I transaction set (ST … SE).
/// </summary>
/// <remarks>
/// Invariant (tested): parsing what this writes with an identity tokenizer gives back an equal batch, so
/// parse → write → parse round-trips. Persons are written as the tokens the batch holds (NM103 = name token,
/// NM109 = id token): the writer never sees clear PHI. Each claim gets its own subscriber HL; a billing
/// provider HL is written whenever the provider changes.
/// </remarks>
public static class ClaimBatchWriter
{
    /// <summary>Implementation reference written for 837P.</summary>
    public const string ProfessionalVersion = "005010X222A1";

    /// <summary>Implementation reference written for 837I.</summary>
    public const string InstitutionalVersion = "005010X223A2";

    public static string VersionOf(ClaimKind kind) => kind == ClaimKind.Institutional ? InstitutionalVersion : ProfessionalVersion;

    public static void Write(X12Writer writer, ClaimBatch batch, string controlNumber)
    {
        writer.BeginTransactionSet("837", controlNumber, VersionOf(batch.Kind));
        writer.WriteSegment("BHT", "0019", "00", batch.ReferenceId, Date(batch.CreatedOn), "0000", batch.ClaimOrEncounter);
        writer.WriteSegment("NM1", "41", "2", batch.SubmitterName);
        writer.WriteSegment("NM1", "40", "2", batch.ReceiverName);

        var hl = 0;
        var providerHl = 0;
        (string?, string?, string?)? provider = null;
        foreach (var claim in batch.Claims)
        {
            var key = (claim.BillingProviderName, claim.BillingProviderNpi, claim.BillingProviderTaxId);
            if (provider != key)
            {
                provider = key;
                providerHl = ++hl;
                writer.WriteSegment("HL", Number(providerHl), null, "20", "1");
                writer.WriteSegment("NM1", "85", "2", claim.BillingProviderName, null, null, null, null,
                    claim.BillingProviderNpi is null ? null : "XX", claim.BillingProviderNpi);
                if (claim.BillingProviderTaxId is not null)
                {
                    writer.WriteSegment("REF", "EI", claim.BillingProviderTaxId);
                }
            }

            var subscriberHl = ++hl;
            writer.WriteSegment("HL", Number(subscriberHl), Number(providerHl), "22", claim.Patient is null ? "0" : "1");
            writer.WriteSegment("SBR", claim.PayerResponsibility ?? "P");
            if (claim.Subscriber is { } subscriber)
            {
                WritePerson(writer, "IL", subscriber);
            }

            writer.WriteSegment("NM1", "PR", "2", claim.PayerName, null, null, null, null, claim.PayerId is null ? null : "PI", claim.PayerId);
            if (claim.Patient is { } patient)
            {
                writer.WriteSegment("HL", Number(++hl), Number(subscriberHl), "23", "0");
                writer.WriteSegment("PAT", "19");
                WritePerson(writer, "QC", patient);
            }

            writer.WriteSegment("CLM", claim.ControlNumber, X12Writer.Amount(claim.TotalCharge), null, null,
                writer.Composite(claim.FacilityCode, claim.FacilityCodeQualifier, claim.FrequencyCode), "Y", "A", "Y", "Y");
            WriteDiagnoses(writer, claim.Diagnoses);
            foreach (var line in claim.ServiceLines)
            {
                writer.WriteSegment("LX", Number(line.LineNumber));
                var procedure = line.ProcedureCode is null
                    ? null
                    : writer.Composite([line.ProcedureQualifier ?? "HC", line.ProcedureCode, .. line.Modifiers]);
                var quantity = line.Quantity is { } q ? X12Writer.Amount(q) : null;
                if (batch.Kind == ClaimKind.Institutional)
                {
                    writer.WriteSegment("SV2", line.RevenueCode, procedure, X12Writer.Amount(line.Charge), line.UnitCode, quantity);
                }
                else
                {
                    var pointers = writer.Composite([.. line.DiagnosisPointers.Select(Number)]);
                    writer.WriteSegment("SV1", procedure, X12Writer.Amount(line.Charge), line.UnitCode, quantity, null, null, pointers);
                }

                if (line.ServiceDate is { } date)
                {
                    writer.WriteSegment("DTP", "472", "D8", Date(date));
                }
            }
        }

        writer.EndTransactionSet();
    }

    private static void WritePerson(X12Writer writer, string entity, PersonTokens person) =>
        writer.WriteSegment("NM1", entity, "1", person.NameToken, null, null, null, null,
            person.IdToken is null ? null : person.IdQualifier ?? "MI", person.IdToken);

    private static void WriteDiagnoses(X12Writer writer, IReadOnlyList<Diagnosis> diagnoses)
    {
        // HI holds at most 12 codes; more go to further HI segments.
        for (var start = 0; start < diagnoses.Count; start += 12)
        {
            var elements = diagnoses.Skip(start).Take(12).Select(d => (string?)writer.Composite(d.Qualifier, d.Code)).ToArray();
            writer.WriteSegment("HI", elements);
        }
    }

    private static string Number(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string? Date(DateOnly? date) => date?.ToString("yyyyMMdd", CultureInfo.InvariantCulture);
}
