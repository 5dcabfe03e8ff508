using System.Globalization;
using System.Text;

namespace HealthFlow.Hl7.Generation;

/// <summary>Settings for <see cref="Hl7Generator"/>.</summary>
public sealed record Hl7GeneratorOptions
{
    /// <summary>MSH-12; "2.3" writes timestamps without UTC offsets and no MSH-9.3, like older interfaces.</summary>
    public string Version { get; init; } = "2.5.1";

    /// <summary>MSH-3.</summary>
    public string SendingApplication { get; init; } = "EPICADT";

    /// <summary>MSH-4 and PV1-3.4: the facility part of every idempotency key.</summary>
    public string SendingFacility { get; init; } = "STMARYS";

    /// <summary>MSH-5.</summary>
    public string ReceivingApplication { get; init; } = "HEALTHFLOW";

    /// <summary>MSH-6.</summary>
    public string ReceivingFacility { get; init; } = "FINANCE";

    /// <summary>Clock start of the generated traffic; each message advances it by a few minutes.</summary>
    public DateTimeOffset Start { get; init; } = new(2026, 1, 5, 8, 0, 0, TimeSpan.FromHours(-5));

    /// <summary>Segment terminator: "\r" as the standard says; "\r\n" or "\n" to imitate file-based senders.</summary>
    public string SegmentTerminator { get; init; } = "\r";

    /// <summary>Prefix of MSH-10 control ids (keep control ids at most 20 characters).</summary>
    public string ControlIdPrefix { get; init; } = "G";
}

/// <summary>
/// One generated message and what a test needs to know about it. The fake patient name is here so that tests can
/// prove it never appears in facts, ACKs or reports.
/// </summary>
public sealed record Hl7GeneratedMessage(string Text, string MessageType, string ControlId, string Facility, string EncounterId, string PatientFamilyName, string PatientGivenName)
{
    /// <summary>The message as UTF-8 bytes (what an MLLP frame or HTTP body carries).</summary>
    public byte[] ToBytes() => Encoding.UTF8.GetBytes(Text);
}

/// <summary>
/// Seeded generator of realistic ADT and DFT^P03 traffic with fake patients, for the demo, benchmarks and tests.
/// The same seed and options give byte-identical messages (System.Random with a seed is stable across runs).
/// </summary>
/// <remarks>
/// Patients get names from <see cref="FamilyNames"/> and <see cref="GivenNames"/>: deliberately unusual, so that a
/// search of any downstream output for them finds only leaks. Revenue codes are written in FT1-7 with coding system
/// NUBC (read as revenue code by <see cref="Hl7Reader"/>), a ZPV Z-segment follows PV1, PID-3 repeats (MRN and
/// enterprise id). Not thread-safe.
/// </remarks>
public sealed class Hl7Generator
{
    /// <summary>Fake family names used for generated patients.</summary>
    public static IReadOnlyList<string> FamilyNames { get; } =
    [
        "Quillfeather", "Brambleworth", "Thistlewick", "Marrowdale", "Fernsby", "Oakhollow", "Puddingstone", "Wrenfield",
        "Larkspurr", "Hobbleton", "Mossgrove", "Kettlebury", "Nettlefold", "Sparrowhawke", "Dunmarrow", "Glimmerdew",
    ];

    /// <summary>Fake given names used for generated patients.</summary>
    public static IReadOnlyList<string> GivenNames { get; } =
    [
        "Ottoline", "Peregrine", "Wilhelmina", "Barnaby", "Clementine", "Ignatius", "Philippa", "Horatio",
        "Seraphina", "Cornelius", "Evangeline", "Thaddeus",
    ];

    private static readonly string[] Streets = ["Lark Lane", "Heron Row", "Juniper Close", "Willow Mews", "Kestrel Way"];
    private static readonly string[] Units = ["4WEST", "5EAST", "ICU", "ED", "OBS", "3NORTH"];
    private static readonly string[] Services = ["MED", "SUR", "CAR", "ORT", "OBS", "EMR"];
    private static readonly string[] Dispositions = ["01", "02", "03", "06", "20"];
    private static readonly (string Code, string Department, string Procedure, decimal Price)[] ChargeItems =
    [
        ("0120", "MEDSURG", "99223", 2150.00m),
        ("0250", "PHARM", "J1100", 14.25m),
        ("0300", "LAB", "80053", 48.60m),
        ("0320", "RAD", "71046", 310.00m),
        ("0450", "ED", "99284", 875.50m),
        ("0360", "OR", "27447", 12480.00m),
        ("0730", "CARD", "93000", 95.75m),
    ];

    private readonly Random _random;
    private readonly Hl7GeneratorOptions _options;
    private readonly bool _legacy;
    private DateTimeOffset _clock;
    private long _controlNumber;
    private long _encounterNumber;

    /// <summary>A generator whose output is fixed by <paramref name="seed"/> and <paramref name="options"/>.</summary>
    public Hl7Generator(int seed, Hl7GeneratorOptions? options = null)
    {
        _random = new Random(seed);
        _options = options ?? new Hl7GeneratorOptions();
        _legacy = _options.Version == "2.3";
        _clock = _options.Start;
        _encounterNumber = 100_000 + (seed & 0xFFFF) * 1_000L;
    }

    /// <summary>
    /// A whole inpatient or outpatient encounter: A01 (or A04), sometimes A08 and A02, one to three DFT^P03 with
    /// one to four FT1 each (now and then a CD credit), then A03; occasionally A13 after the discharge, or A11
    /// instead of everything after the admission.
    /// </summary>
    public IReadOnlyList<Hl7GeneratedMessage> NextEncounter()
    {
        var visit = NewVisit();
        var messages = new List<Hl7GeneratedMessage> { Adt(visit, visit.Inpatient ? "A01" : "A04") };
        if (_random.Next(20) == 0)
        {
            messages.Add(Adt(visit, "A11"));
            return messages;
        }

        if (_random.Next(3) == 0)
        {
            messages.Add(Adt(visit, "A08"));
        }

        if (visit.Inpatient && _random.Next(4) == 0)
        {
            visit.Unit = Pick(Units);
            messages.Add(Adt(visit, "A02"));
        }

        var dftCount = 1 + _random.Next(3);
        for (var i = 0; i < dftCount; i++)
        {
            messages.Add(Dft(visit));
        }

        visit.DischargedAt = Advance(30, 600);
        messages.Add(Adt(visit, "A03"));
        if (_random.Next(15) == 0)
        {
            messages.Add(Adt(visit, "A13"));
        }

        return messages;
    }

    /// <summary>One ADT message of <paramref name="adtEvent"/> for a new patient and encounter (benchmarks, tests).</summary>
    public Hl7GeneratedMessage NextAdt(Hl7AdtEvent adtEvent)
    {
        var visit = NewVisit();
        if (adtEvent is Hl7AdtEvent.A03 or Hl7AdtEvent.A13)
        {
            visit.DischargedAt = Advance(30, 600);
        }

        return Adt(visit, adtEvent.ToString());
    }

    /// <summary>One DFT^P03 with one to four FT1 for a new patient and encounter.</summary>
    public Hl7GeneratedMessage NextDft() => Dft(NewVisit());

    private Visit NewVisit()
    {
        var inpatient = _random.Next(3) != 0;
        var admitted = Advance(1, 30);
        _encounterNumber++;
        return new Visit
        {
            Family = Pick(FamilyNames),
            Given = Pick(GivenNames),
            Mrn = "MRN" + _random.Next(1_000_000, 9_999_999).ToString(CultureInfo.InvariantCulture),
            EnterpriseId = "E" + _random.Next(10_000_000, 99_999_999).ToString(CultureInfo.InvariantCulture),
            BirthDate = new DateTime(1935, 1, 1).AddDays(_random.Next(0, 365 * 85)),
            Street = $"{_random.Next(1, 999)} {Pick(Streets)}",
            EncounterId = "V" + _encounterNumber.ToString(CultureInfo.InvariantCulture),
            Inpatient = inpatient,
            Unit = inpatient ? Pick(Units) : "ED",
            Service = Pick(Services),
            AttendingNpi = _random.Next(1_000_000_000, int.MaxValue).ToString(CultureInfo.InvariantCulture),
            AdmittedAt = admitted,
            Disposition = Pick(Dispositions),
        };
    }

    private Hl7GeneratedMessage Adt(Visit visit, string trigger)
    {
        var now = Advance(1, 20);
        var occurred = trigger switch
        {
            "A01" or "A04" => visit.AdmittedAt,
            "A03" => visit.DischargedAt ?? now,
            _ => now,
        };
        var controlId = NextControlId();
        var builder = new StringBuilder(768);
        AppendMsh(builder, "ADT", trigger, StructureOf(trigger), controlId, now);
        Segment(builder, "EVN", trigger, Ts(now), string.Empty, string.Empty, "OP1234^Ops^Olive", Ts(occurred));
        AppendPid(builder, visit);
        AppendPv1(builder, visit, trigger is "A03" or "A13" ? visit.DischargedAt : null);
        Segment(builder, "PV2", string.Empty, visit.Inpatient ? "PRI^Private" : string.Empty);
        Segment(builder, "ZPV", "1", "LOYALTY-" + _random.Next(100, 999).ToString(CultureInfo.InvariantCulture));
        return new Hl7GeneratedMessage(builder.ToString(), "ADT^" + trigger, controlId, _options.SendingFacility, visit.EncounterId, visit.Family, visit.Given);
    }

    private Hl7GeneratedMessage Dft(Visit visit)
    {
        var now = Advance(5, 120);
        var controlId = NextControlId();
        var builder = new StringBuilder(1024);
        AppendMsh(builder, "DFT", "P03", "DFT_P03", controlId, now);
        Segment(builder, "EVN", "P03", Ts(now));
        AppendPid(builder, visit);
        AppendPv1(builder, visit, null);
        var lines = 1 + _random.Next(4);
        for (var i = 1; i <= lines; i++)
        {
            var item = ChargeItems[_random.Next(ChargeItems.Length)];
            var quantity = 1 + _random.Next(3);
            var credit = _random.Next(12) == 0;
            var extended = item.Price * quantity;
            Segment(
                builder,
                "FT1",
                i.ToString(CultureInfo.InvariantCulture),
                "T" + _random.Next(100_000, 999_999).ToString(CultureInfo.InvariantCulture),
                "B" + now.ToString("yyyyMMdd", CultureInfo.InvariantCulture),
                Ts(now.AddMinutes(-_random.Next(0, 240))),
                Ts(now),
                credit ? "CD" : "CG",
                item.Code + "^" + item.Department + " service^NUBC",
                string.Empty,
                string.Empty,
                quantity.ToString(CultureInfo.InvariantCulture),
                Money(extended),
                Money(item.Price),
                item.Department + "^" + item.Department,
                string.Empty,
                string.Empty,
                $"{visit.Unit}^^^{_options.SendingFacility}",
                string.Empty,
                string.Empty,
                string.Empty,
                visit.AttendingNpi,
                visit.AttendingNpi,
                string.Empty,
                string.Empty,
                string.Empty,
                item.Procedure + "^^" + (item.Procedure.StartsWith('J') ? "HCPCS" : "CPT"));
        }

        return new Hl7GeneratedMessage(builder.ToString(), "DFT^P03", controlId, _options.SendingFacility, visit.EncounterId, visit.Family, visit.Given);
    }

    // HL7 v2.5 message structures: several triggers share one structure.
    private static string StructureOf(string trigger) => trigger switch
    {
        "A01" or "A04" or "A08" or "A13" => "ADT_A01",
        "A06" or "A07" => "ADT_A06",
        "A11" => "ADT_A09",
        _ => "ADT_" + trigger,
    };

    private void AppendMsh(StringBuilder builder, string code, string trigger, string structure, string controlId, DateTimeOffset now)
    {
        var type = _legacy ? $"{code}^{trigger}" : $"{code}^{trigger}^{structure}";
        builder.Append("MSH|^~\\&|");
        Segment(builder, null, _options.SendingApplication, _options.SendingFacility, _options.ReceivingApplication, _options.ReceivingFacility, Ts(now), string.Empty, type, controlId, "P", _options.Version, string.Empty, string.Empty, "AL", "NE");
    }

    private void AppendPid(StringBuilder builder, Visit visit)
    {
        Segment(
            builder,
            "PID",
            "1",
            string.Empty,
            $"{visit.Mrn}^^^{_options.SendingFacility}^MR~{visit.EnterpriseId}^^^EPI^PI",
            string.Empty,
            $"{visit.Family}^{visit.Given}^Q^^^^L",
            string.Empty,
            visit.BirthDate.ToString("yyyyMMdd", CultureInfo.InvariantCulture),
            _random.Next(2) == 0 ? "F" : "M",
            string.Empty,
            string.Empty,
            $"{visit.Street}^^Springfield^IL^62704^USA^H",
            string.Empty,
            "(217)555-0" + _random.Next(100, 199).ToString(CultureInfo.InvariantCulture),
            string.Empty,
            string.Empty,
            string.Empty,
            string.Empty,
            "A" + visit.EncounterId);
    }

    private void AppendPv1(StringBuilder builder, Visit visit, DateTimeOffset? dischargedAt)
    {
        var fields = new string[45];
        Array.Fill(fields, string.Empty);
        fields[0] = "1";
        fields[1] = visit.Inpatient ? "I" : "E";
        fields[2] = $"{visit.Unit}^{_random.Next(100, 499)}^{(char)('A' + _random.Next(2))}^{_options.SendingFacility}^^^MAIN^{_random.Next(1, 6)}";
        fields[3] = visit.Inpatient ? "E" : "U";
        fields[6] = $"{visit.AttendingNpi}^Welby^Marcus^^^Dr^^^NPI";
        fields[9] = visit.Service;
        fields[18] = visit.EncounterId;
        fields[19] = _random.Next(2) == 0 ? "BC" : "MC";
        if (dischargedAt is not null)
        {
            fields[35] = visit.Disposition;
        }

        fields[43] = Ts(visit.AdmittedAt);
        fields[44] = dischargedAt is { } discharged ? Ts(discharged) : string.Empty;
        Segment(builder, "PV1", fields);
    }

    private void Segment(StringBuilder builder, string? id, params string[] fields)
    {
        var last = fields.Length - 1;
        while (last >= 0 && fields[last].Length == 0)
        {
            last--;
        }

        if (id is not null)
        {
            builder.Append(id);
            for (var i = 0; i <= last; i++)
            {
                builder.Append('|').Append(fields[i]);
            }
        }
        else
        {
            // MSH: the caller already wrote "MSH|^~\&|", so fields start at MSH-3 with no leading separator.
            for (var i = 0; i <= last; i++)
            {
                if (i > 0)
                {
                    builder.Append('|');
                }

                builder.Append(fields[i]);
            }
        }

        builder.Append(_options.SegmentTerminator);
    }

    private string Ts(DateTimeOffset value) =>
        _legacy ? value.ToString("yyyyMMddHHmm", CultureInfo.InvariantCulture) : Hl7Timestamp.Format(value);

    private static string Money(decimal amount) => amount.ToString("0.00", CultureInfo.InvariantCulture);

    private string NextControlId()
    {
        _controlNumber++;
        return _options.ControlIdPrefix + _controlNumber.ToString("D8", CultureInfo.InvariantCulture);
    }

    private DateTimeOffset Advance(int minMinutes, int maxMinutes)
    {
        _clock = _clock.AddMinutes(_random.Next(minMinutes, maxMinutes));
        return _clock;
    }

    private T Pick<T>(IReadOnlyList<T> items) => items[_random.Next(items.Count)];

    private sealed class Visit
    {
        public required string Family { get; init; }

        public required string Given { get; init; }

        public required string Mrn { get; init; }

        public required string EnterpriseId { get; init; }

        public required DateTime BirthDate { get; init; }

        public required string Street { get; init; }

        public required string EncounterId { get; init; }

        public required bool Inpatient { get; init; }

        public required string Unit { get; set; }

        public required string Service { get; init; }

        public required string AttendingNpi { get; init; }

        public required DateTimeOffset AdmittedAt { get; init; }

        public required string Disposition { get; init; }

        public DateTimeOffset? DischargedAt { get; set; }
    }
}
