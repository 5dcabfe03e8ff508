using System.Buffers;
using System.Globalization;
using System.Text.Json;

namespace HealthFlow.Fhir.Generation;

/// <summary>
/// Generates realistic, Synthea-style FHIR R4 Bundles (patient, coverage, account, encounter, charges, claim,
/// explanation of benefit, periodic payment reconciliation) from a seed, for tests, benchmarks and
/// <c>healthflow demo</c>. Invariants: the same seed and arguments give byte-identical output; every generated
/// Bundle is valid (accepted by <see cref="FhirReader"/>); claim totals equal Σ item.net; patients carry fake
/// names, birth dates and addresses (built from <see cref="FakeGivenNames"/> and <see cref="FakeFamilyNames"/>)
/// that must never appear downstream of the reader.
/// </summary>
public sealed class FhirGenerator
{
    /// <summary>Given names used for fake patients (each gets a numeric suffix, as Synthea does).</summary>
    public static IReadOnlyList<string> FakeGivenNames { get; } = ["Ansel", "Brielle", "Cortez", "Dagny", "Elowen", "Fintan", "Greer", "Hollis", "Ines", "Jory"];

    /// <summary>Family names used for fake patients.</summary>
    public static IReadOnlyList<string> FakeFamilyNames { get; } = ["Quillfeather", "Marchbanks", "Oyelaran", "Thistlewood", "Vantongeren", "Wexcombe"];

    private static readonly (string Code, string Display, string Revenue, int MinCents, int MaxCents)[] Services =
    [
        ("99223", "Initial hospital care, high complexity", "0450", 25_000, 60_000),
        ("99232", "Subsequent hospital care", "0120", 9_000, 22_000),
        ("85025", "Complete blood count", "0300", 1_500, 6_000),
        ("80053", "Comprehensive metabolic panel", "0301", 2_000, 9_000),
        ("71046", "Chest X-ray, 2 views", "0320", 8_000, 30_000),
        ("93005", "Electrocardiogram tracing", "0730", 4_000, 15_000),
        ("J1885", "Ketorolac tromethamine injection", "0636", 500, 4_000),
        ("36415", "Routine venipuncture", "0300", 800, 3_000),
        ("74177", "CT abdomen and pelvis with contrast", "0350", 90_000, 320_000),
        ("97110", "Therapeutic exercises", "0420", 5_000, 14_000),
    ];

    private static readonly string[] Departments = ["DEPT-ED", "DEPT-LAB", "DEPT-RAD", "DEPT-CARD", "DEPT-MEDSURG", "DEPT-PHARM", "DEPT-PT"];
    private static readonly string[] Payers = ["payer-bcbs", "payer-aetna", "payer-medicare", "payer-medicaid", "payer-uhc"];
    private static readonly string[] Facilities = ["hosp-north", "hosp-south", "hosp-east"];
    private static readonly (string Code, string Display)[] Diagnoses =
    [
        ("J18.9", "Pneumonia, unspecified organism"), ("I21.4", "Non-ST elevation myocardial infarction"),
        ("K35.80", "Acute appendicitis"), ("N39.0", "Urinary tract infection"), ("E11.65", "Type 2 diabetes with hyperglycemia"),
    ];

    private readonly Random _random;
    private readonly DateTimeOffset _epoch;
    private int _patientNumber;

    /// <summary>A generator whose output is fully determined by <paramref name="seed"/>.</summary>
    public FhirGenerator(int seed)
    {
        // Seeded pseudo-randomness is the point here (reproducible test data), not security.
#pragma warning disable CA5394
        _random = new Random(seed);
#pragma warning restore CA5394
        _epoch = new DateTimeOffset(2026, 1, 5, 0, 0, 0, TimeSpan.Zero);
    }

    /// <summary>A Bundle of <paramref name="bundleType"/> (transaction or batch) for <paramref name="patientCount"/> patients.</summary>
    public byte[] Bundle(int patientCount, string bundleType = "transaction")
    {
        var buffer = new ArrayBufferWriter<byte>(patientCount * 16_384 + 1024);
        // Relaxed escaping writes '+' in time zones as-is, as EHR exports do.
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            WriteBundle(writer, patientCount, bundleType);
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>A transaction Bundle of about <paramref name="targetBytes"/> bytes (whole patients are added until it is reached).</summary>
    public byte[] BundleOfSize(long targetBytes, string bundleType = "transaction")
    {
        // Measure one patient's size from a throwaway generator, then generate the real thing in one pass.
        var sample = new FhirGenerator(17).Bundle(20, bundleType).Length / 20.0;
        var patients = (int)Math.Max(1, Math.Ceiling(targetBytes / sample));
        return Bundle(patients, bundleType);
    }

    /// <summary>Writes the Bundle to <paramref name="writer"/>.</summary>
    public void WriteBundle(Utf8JsonWriter writer, int patientCount, string bundleType = "transaction")
    {
        ArgumentOutOfRangeException.ThrowIfNegative(patientCount);
        writer.WriteStartObject();
        writer.WriteString("resourceType", "Bundle");
        writer.WriteString("id", NewId());
        writer.WriteString("type", bundleType);
        writer.WriteString("timestamp", Format(_epoch));
        writer.WriteStartArray("entry");
        var remittance = new List<(string ClaimUrl, string Payer, decimal Paid)>();
        for (var i = 0; i < patientCount; i++)
        {
            WritePatientEpisode(writer, remittance);
            if (remittance.Count == 25 || (i == patientCount - 1 && remittance.Count > 0))
            {
                WritePaymentReconciliation(writer, remittance);
                remittance.Clear();
            }
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    private void WritePatientEpisode(Utf8JsonWriter w, List<(string ClaimUrl, string Payer, decimal Paid)> remittance)
    {
        var number = ++_patientNumber;
        var patientUrl = NewUrn();
        var coverageUrl = NewUrn();
        var accountUrl = NewUrn();
        var encounterUrl = NewUrn();
        var claimUrl = NewUrn();
        var payer = Payers[_random.Next(Payers.Length)];
        var facility = Facilities[_random.Next(Facilities.Length)];
        var admitted = _epoch.AddDays(_random.Next(0, 300)).AddMinutes(_random.Next(0, 24 * 60));
        var discharged = admitted.AddHours(_random.Next(4, 24 * 9));

        // Patient: the PHI the reader must drop.
        Entry(w, patientUrl, "Patient", () =>
        {
            w.WriteString("id", Uuid(patientUrl));
            Meta(w);
            w.WriteStartArray("identifier");
            w.WriteStartObject();
            w.WriteString("system", "urn:oid:2.16.840.1.113883.19.5.99");
            w.WriteString("value", "MRN" + (100_000 + number).ToString(CultureInfo.InvariantCulture));
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteStartArray("name");
            w.WriteStartObject();
            w.WriteString("use", "official");
            w.WriteString("family", FakeFamilyNames[_random.Next(FakeFamilyNames.Count)] + _random.Next(100, 999).ToString(CultureInfo.InvariantCulture));
            w.WriteStartArray("given");
            w.WriteStringValue(FakeGivenNames[_random.Next(FakeGivenNames.Count)] + _random.Next(100, 999).ToString(CultureInfo.InvariantCulture));
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteString("gender", _random.Next(2) == 0 ? "female" : "male");
            w.WriteString("birthDate", new DateOnly(1940 + _random.Next(80), 1 + _random.Next(12), 1 + _random.Next(28)).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
            w.WriteStartArray("address");
            w.WriteStartObject();
            w.WriteStartArray("line");
            w.WriteStringValue(_random.Next(1, 9999).ToString(CultureInfo.InvariantCulture) + " Quarry Lane");
            w.WriteEndArray();
            w.WriteString("city", "Fairhaven");
            w.WriteString("state", "MA");
            w.WriteString("postalCode", "0" + _random.Next(1000, 2999).ToString(CultureInfo.InvariantCulture));
            w.WriteEndObject();
            w.WriteEndArray();
        });

        Entry(w, coverageUrl, "Coverage", () =>
        {
            w.WriteString("id", Uuid(coverageUrl));
            Meta(w);
            w.WriteString("status", "active");
            CodeableConcept(w, "type", "http://terminology.hl7.org/CodeSystem/v3-ActCode", "EHCPOL", "extended healthcare");
            Reference(w, "beneficiary", patientUrl);
            w.WriteStartArray("payor");
            w.WriteStartObject();
            w.WriteString("reference", "Organization/" + payer);
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteStartArray("class");
            w.WriteStartObject();
            CodeableConcept(w, "type", "http://terminology.hl7.org/CodeSystem/coverage-class", "plan", null);
            w.WriteString("value", "PLAN-" + _random.Next(100, 999).ToString(CultureInfo.InvariantCulture));
            w.WriteEndObject();
            w.WriteEndArray();
        });

        Entry(w, accountUrl, "Account", () =>
        {
            w.WriteString("id", Uuid(accountUrl));
            Meta(w);
            w.WriteString("status", "active");
            CodeableConcept(w, "type", "http://terminology.hl7.org/CodeSystem/v3-ActCode", "PBILLACCT", "patient billing account");
            w.WriteStartArray("subject");
            w.WriteStartObject();
            w.WriteString("reference", patientUrl);
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteStartArray("coverage");
            w.WriteStartObject();
            Reference(w, "coverage", coverageUrl);
            w.WriteNumber("priority", 1);
            w.WriteEndObject();
            w.WriteEndArray();
        });

        var encounterClass = _random.Next(3) switch { 0 => "IMP", 1 => "EMER", _ => "AMB" };
        Entry(w, encounterUrl, "Encounter", () =>
        {
            w.WriteString("id", Uuid(encounterUrl));
            Meta(w);
            w.WriteStartArray("identifier");
            w.WriteStartObject();
            w.WriteString("system", "urn:oid:2.16.840.1.113883.19.5.99.1");
            w.WriteString("value", "V" + (500_000 + number).ToString(CultureInfo.InvariantCulture));
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteString("status", "finished");
            w.WriteStartObject("class");
            w.WriteString("system", FhirCodeSystems.ActCode);
            w.WriteString("code", encounterClass);
            w.WriteEndObject();
            Reference(w, "subject", patientUrl);
            Period(w, "period", admitted, discharged);
            w.WriteStartObject("hospitalization");
            CodeableConcept(w, "dischargeDisposition", "http://terminology.hl7.org/CodeSystem/discharge-disposition", "home", "Home");
            w.WriteEndObject();
            w.WriteStartArray("location");
            w.WriteStartObject();
            w.WriteStartObject("location");
            w.WriteString("reference", "Location/" + facility + "-ward-" + _random.Next(1, 9).ToString(CultureInfo.InvariantCulture));
            w.WriteEndObject();
            w.WriteString("status", "completed");
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteStartObject("serviceProvider");
            w.WriteString("reference", "Organization/" + facility);
            w.WriteEndObject();
            w.WriteStartArray("account");
            w.WriteStartObject();
            w.WriteString("reference", accountUrl);
            w.WriteEndObject();
            w.WriteEndArray();
        });

        var chargeCount = _random.Next(3, 11);
        var lines = new List<(int Service, int Quantity, decimal Amount, DateTimeOffset When, string Department)>(chargeCount);
        for (var c = 0; c < chargeCount; c++)
        {
            var service = _random.Next(Services.Length);
            var quantity = _random.Next(1, 4);
            var unitCents = _random.Next(Services[service].MinCents, Services[service].MaxCents);
            var amount = quantity * unitCents / 100m;
            var when = admitted.AddMinutes(_random.Next(0, (int)(discharged - admitted).TotalMinutes));
            var department = Departments[_random.Next(Departments.Length)];
            lines.Add((service, quantity, amount, when, department));
            var chargeUrl = NewUrn();
            Entry(w, chargeUrl, "ChargeItem", () =>
            {
                w.WriteString("id", Uuid(chargeUrl));
                Meta(w);
                w.WriteString("status", "billable");
                CodeableConcept(w, "code", "http://www.ama-assn.org/go/cpt", Services[service].Code, Services[service].Display,
                    (FhirCodeSystems.RevenueCode, Services[service].Revenue));
                Reference(w, "subject", patientUrl);
                Reference(w, "context", encounterUrl);
                w.WriteString("occurrenceDateTime", Format(when));
                w.WriteStartObject("performingOrganization");
                w.WriteString("reference", "Organization/" + department);
                w.WriteEndObject();
                w.WriteStartObject("quantity");
                w.WriteNumber("value", quantity);
                w.WriteEndObject();
                Money(w, "priceOverride", amount);
                w.WriteString("enteredDate", Format(when.AddMinutes(5)));
                w.WriteStartArray("account");
                w.WriteStartObject();
                w.WriteString("reference", accountUrl);
                w.WriteEndObject();
                w.WriteEndArray();
            });
        }

        // Roughly one episode in ten has a charge entered in error and reversed.
        if (_random.Next(10) == 0)
        {
            var reversed = lines[0];
            var reversalUrl = NewUrn();
            Entry(w, reversalUrl, "ChargeItem", () =>
            {
                w.WriteString("id", Uuid(reversalUrl));
                Meta(w);
                w.WriteString("status", "billable");
                // The credit carries the codes and department of the charge it reverses, so it posts against the same accounts.
                CodeableConcept(w, "code", "http://www.ama-assn.org/go/cpt", Services[reversed.Service].Code, Services[reversed.Service].Display,
                    (FhirCodeSystems.RevenueCode, Services[reversed.Service].Revenue));
                Reference(w, "subject", patientUrl);
                Reference(w, "context", encounterUrl);
                w.WriteString("occurrenceDateTime", Format(reversed.When));
                w.WriteStartObject("performingOrganization");
                w.WriteString("reference", "Organization/" + reversed.Department);
                w.WriteEndObject();
                w.WriteStartObject("quantity");
                w.WriteNumber("value", -reversed.Quantity);
                w.WriteEndObject();
                Money(w, "priceOverride", -reversed.Amount);
            });
            lines.RemoveAt(0);
        }

        var total = 0m;
        foreach (var line in lines)
        {
            total += line.Amount;
        }

        var diagnosis = Diagnoses[_random.Next(Diagnoses.Length)];
        Entry(w, claimUrl, "Claim", () =>
        {
            w.WriteString("id", Uuid(claimUrl));
            Meta(w);
            w.WriteString("status", "active");
            CodeableConcept(w, "type", FhirCodeSystems.ClaimType, "institutional", null);
            w.WriteString("use", "claim");
            Reference(w, "patient", patientUrl);
            Period(w, "billablePeriod", admitted, discharged);
            w.WriteString("created", Format(discharged.AddHours(6)));
            w.WriteStartObject("insurer");
            w.WriteString("reference", "Organization/" + payer);
            w.WriteEndObject();
            w.WriteStartObject("provider");
            w.WriteString("reference", "Organization/" + facility);
            w.WriteEndObject();
            CodeableConcept(w, "priority", "http://terminology.hl7.org/CodeSystem/processpriority", "normal", null);
            w.WriteStartArray("diagnosis");
            w.WriteStartObject();
            w.WriteNumber("sequence", 1);
            CodeableConcept(w, "diagnosisCodeableConcept", "http://hl7.org/fhir/sid/icd-10-cm", diagnosis.Code, diagnosis.Display);
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteStartArray("insurance");
            w.WriteStartObject();
            w.WriteNumber("sequence", 1);
            w.WriteBoolean("focal", true);
            Reference(w, "coverage", coverageUrl);
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteStartArray("item");
            for (var i = 0; i < lines.Count; i++)
            {
                var line = lines[i];
                w.WriteStartObject();
                w.WriteNumber("sequence", i + 1);
                CodeableConcept(w, "revenue", FhirCodeSystems.RevenueCode, Services[line.Service].Revenue, null);
                CodeableConcept(w, "productOrService", "http://www.ama-assn.org/go/cpt", Services[line.Service].Code, null);
                w.WriteString("servicedDate", line.When.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
                w.WriteStartObject("quantity");
                w.WriteNumber("value", line.Quantity);
                w.WriteEndObject();
                Money(w, "net", line.Amount);
                w.WriteStartArray("encounter");
                w.WriteStartObject();
                w.WriteString("reference", encounterUrl);
                w.WriteEndObject();
                w.WriteEndArray();
                w.WriteEndObject();
            }

            w.WriteEndArray();
            Money(w, "total", total);
        });

        var allowed = Math.Round(total * 0.7m, 2);
        var copay = Math.Min(allowed, 25m);
        var paid = allowed - copay;
        var eobUrl = NewUrn();
        Entry(w, eobUrl, "ExplanationOfBenefit", () =>
        {
            w.WriteString("id", Uuid(eobUrl));
            Meta(w);
            w.WriteString("status", "active");
            CodeableConcept(w, "type", FhirCodeSystems.ClaimType, "institutional", null);
            w.WriteString("use", "claim");
            Reference(w, "patient", patientUrl);
            w.WriteString("created", Format(discharged.AddDays(14)));
            w.WriteStartObject("insurer");
            w.WriteString("reference", "Organization/" + payer);
            w.WriteEndObject();
            w.WriteStartObject("provider");
            w.WriteString("reference", "Organization/" + facility);
            w.WriteEndObject();
            Reference(w, "claim", claimUrl);
            w.WriteString("outcome", "complete");
            w.WriteStartArray("insurance");
            w.WriteStartObject();
            w.WriteBoolean("focal", true);
            Reference(w, "coverage", coverageUrl);
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteStartArray("total");
            Total(w, "submitted", total);
            Total(w, "eligible", allowed);
            Total(w, "copay", copay);
            Total(w, "benefit", paid);
            w.WriteEndArray();
            w.WriteStartObject("payment");
            CodeableConcept(w, "type", "http://terminology.hl7.org/CodeSystem/ex-paymenttype", "complete", null);
            w.WriteString("date", Format(discharged.AddDays(21)).AsSpan(0, 10));
            Money(w, "amount", paid);
            w.WriteEndObject();
        });

        remittance.Add((claimUrl, payer, paid));
    }

    private void WritePaymentReconciliation(Utf8JsonWriter w, List<(string ClaimUrl, string Payer, decimal Paid)> remittance)
    {
        var url = NewUrn();
        var sum = 0m;
        foreach (var item in remittance)
        {
            sum += item.Paid;
        }

        var paymentDate = _epoch.AddDays(320 + _random.Next(30));
        Entry(w, url, "PaymentReconciliation", () =>
        {
            w.WriteString("id", Uuid(url));
            Meta(w);
            w.WriteString("status", "active");
            w.WriteString("created", Format(paymentDate));
            w.WriteStartObject("paymentIssuer");
            w.WriteString("reference", "Organization/" + remittance[0].Payer);
            w.WriteEndObject();
            w.WriteString("outcome", "complete");
            w.WriteString("disposition", "Periodic settlement");
            w.WriteString("paymentDate", Format(paymentDate).AsSpan(0, 10));
            Money(w, "paymentAmount", sum);
            w.WriteStartObject("paymentIdentifier");
            w.WriteString("system", "urn:healthflow:eft-trace");
            w.WriteString("value", "EFT" + _random.Next(1_000_000, 9_999_999).ToString(CultureInfo.InvariantCulture));
            w.WriteEndObject();
            w.WriteStartArray("detail");
            foreach (var item in remittance)
            {
                w.WriteStartObject();
                CodeableConcept(w, "type", "http://terminology.hl7.org/CodeSystem/payment-type", "payment", null);
                Reference(w, "request", item.ClaimUrl);
                Money(w, "amount", item.Paid);
                w.WriteEndObject();
            }

            w.WriteEndArray();
        });
    }

    private static void Entry(Utf8JsonWriter w, string fullUrl, string resourceType, Action body)
    {
        w.WriteStartObject();
        w.WriteString("fullUrl", fullUrl);
        w.WriteStartObject("resource");
        w.WriteString("resourceType", resourceType);
        body();
        w.WriteEndObject();
        w.WriteStartObject("request");
        w.WriteString("method", "POST");
        w.WriteString("url", resourceType);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void Meta(Utf8JsonWriter w)
    {
        w.WriteStartObject("meta");
        w.WriteString("versionId", "1");
        w.WriteEndObject();
    }

    private static void Reference(Utf8JsonWriter w, string name, string reference)
    {
        w.WriteStartObject(name);
        w.WriteString("reference", reference);
        w.WriteEndObject();
    }

    private static void Period(Utf8JsonWriter w, string name, DateTimeOffset start, DateTimeOffset end)
    {
        w.WriteStartObject(name);
        w.WriteString("start", Format(start));
        w.WriteString("end", Format(end));
        w.WriteEndObject();
    }

    private static void Money(Utf8JsonWriter w, string name, decimal value)
    {
        w.WriteStartObject(name);
        w.WriteNumber("value", value);
        w.WriteString("currency", "USD");
        w.WriteEndObject();
    }

    private static void Total(Utf8JsonWriter w, string category, decimal amount)
    {
        w.WriteStartObject();
        CodeableConcept(w, "category", FhirCodeSystems.Adjudication, category, null);
        Money(w, "amount", amount);
        w.WriteEndObject();
    }

    private static void CodeableConcept(Utf8JsonWriter w, string name, string system, string code, string? display, (string System, string Code)? also = null)
    {
        w.WriteStartObject(name);
        w.WriteStartArray("coding");
        w.WriteStartObject();
        w.WriteString("system", system);
        w.WriteString("code", code);
        if (display is not null)
        {
            w.WriteString("display", display);
        }

        w.WriteEndObject();
        if (also is { } second)
        {
            w.WriteStartObject();
            w.WriteString("system", second.System);
            w.WriteString("code", second.Code);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static string Format(DateTimeOffset value) => value.ToString("yyyy-MM-dd'T'HH:mm:ss'+00:00'", CultureInfo.InvariantCulture);

    private string NewId() => NewGuid().ToString("N")[..16];

    private Guid NewGuid()
    {
        Span<byte> bytes = stackalloc byte[16];
        _random.NextBytes(bytes);
        bytes[7] = (byte)((bytes[7] & 0x0F) | 0x40); // version 4 shape
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes);
    }

    private string NewUrn() => "urn:uuid:" + NewGuid().ToString("D");

    private static string Uuid(string urn) => urn["urn:uuid:".Length..];
}
