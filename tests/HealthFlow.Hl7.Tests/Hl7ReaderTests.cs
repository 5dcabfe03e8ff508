namespace HealthFlow.Hl7.Tests;

public class Hl7ReaderTests
{
    private static Hl7ReadResult Accepted(string fixture, Hl7ReadOptions? options = null)
    {
        var result = Fixtures.Read(fixture, options);
        Assert.True(result.IsAccepted, string.Join("; ", result.Errors.Select(e => $"{(int)e.Code} {e.Location} {e.Diagnostic}")));
        return result;
    }

    [Fact]
    public void Epic_v251_A01_becomes_EncounterAdmitted_with_visit_facts()
    {
        var result = Accepted("adt_a01_epic_v251.hl7");
        var adt = Assert.IsType<Hl7AdtMessage>(result.Message);
        Assert.Equal(Hl7AdtEvent.A01, adt.Event);
        Assert.Equal("STMARYS|EP000101", result.IdempotencyKey);
        Assert.Equal("2.16.840.1.113883.3.1234", adt.Header.SendingFacility.UniversalId);
        Assert.Equal("V2026000101", adt.Visit.EncounterId);
        Assert.Equal("STMARYS", adt.Visit.Facility);
        Assert.Equal("I", adt.Visit.PatientClass);
        Assert.Equal("4WEST", adt.Visit.AssignedLocation.PointOfCare);
        Assert.Equal("1234567890", adt.Visit.AttendingProvider!.Id);
        Assert.Equal("NPI", adt.Visit.AttendingProvider.AssigningAuthority);
        Assert.Equal("MED", adt.Visit.HospitalService);
        Assert.Equal("PRI", adt.Visit.AccommodationCode);

        var fact = Assert.IsType<Hl7EncounterFact>(Assert.Single(result.Facts));
        Assert.Equal(Hl7FactType.EncounterAdmitted, fact.Type);
        Assert.Equal("STMARYS|EP000101", fact.IdempotencyKey);
        Assert.Equal(new DateTimeOffset(2026, 1, 5, 8, 2, 0, TimeSpan.FromHours(-5)), fact.OccurredAt);
        Assert.Equal("V2026000101", fact.EncounterId);
    }

    [Fact]
    public void Repeated_PID_3_identifiers_each_become_a_token_keyed_by_assigning_authority()
    {
        var result = Accepted("adt_a01_epic_v251.hl7");
        var tokens = result.Message!.PatientTokens;
        Assert.Equal(3, tokens.Count);
        Assert.Equal(["STMARYS", "EPI", "SSA"], tokens.Select(t => t.AssigningAuthority));
        Assert.Equal(["MR", "PI", "SS"], tokens.Select(t => t.IdentifierTypeCode));
        Assert.Equal(Fixtures.Tokenize("STMARYS|MRN4455667"), tokens[0].Token);
        Assert.DoesNotContain(tokens, t => t.Token.Contains("MRN4455667", StringComparison.Ordinal));
    }

    [Fact]
    public void The_tokenizer_sees_only_PID_3_identifiers_never_names_birth_dates_or_addresses()
    {
        var seen = new List<string>();
        var result = Hl7Reader.Read(Fixtures.Bytes("adt_a01_epic_v251.hl7"), value => { seen.Add(value); return "t" + seen.Count; });
        Assert.True(result.IsAccepted);
        Assert.Equal(["STMARYS|MRN4455667", "EPI|E10293847", "SSA|999-88-7777"], seen);
    }

    [Fact]
    public void A02_transfer_is_accepted_with_no_money_event()
    {
        var result = Accepted("adt_a02_transfer_v251.hl7");
        var adt = Assert.IsType<Hl7AdtMessage>(result.Message);
        Assert.Equal(Hl7AdtEvent.A02, adt.Event);
        Assert.Equal("ICU", adt.Visit.AssignedLocation.PointOfCare);
        Assert.Equal("4WEST", adt.Visit.PriorLocation.PointOfCare);
        Assert.Empty(result.Facts);
    }

    [Fact]
    public void Cerner_v23_A03_with_CRLF_becomes_EncounterDischarged()
    {
        var result = Accepted("adt_a03_cerner_v23_crlf.hl7");
        var fact = Assert.IsType<Hl7EncounterFact>(Assert.Single(result.Facts));
        Assert.Equal(Hl7FactType.EncounterDischarged, fact.Type);
        Assert.Equal("55001234", fact.EncounterId);
        Assert.Equal("RIVERSIDE", fact.Facility);
        Assert.Equal("01", fact.DischargeDisposition);
        Assert.Equal("0044321", fact.AttendingProviderId);
        Assert.Equal("CAR", fact.HospitalService);
        // No offset in v2.3 timestamps: the assumed offset (UTC by default) applies.
        Assert.Equal(new DateTimeOffset(2026, 1, 9, 14, 0, 0, TimeSpan.Zero), fact.OccurredAt);
        Assert.Equal(new DateTimeOffset(2026, 1, 4, 10, 30, 0, TimeSpan.Zero), fact.AdmittedAt);
        Assert.Equal(2, fact.PatientTokens.Count);
        Assert.Equal("RIVERSIDE|CRN7781230", fact.IdempotencyKey);
    }

    [Fact]
    public void The_assumed_offset_applies_to_timestamps_sent_without_one()
    {
        var result = Accepted("adt_a03_cerner_v23_crlf.hl7", new Hl7ReadOptions { AssumedUtcOffset = TimeSpan.FromHours(-8) });
        Assert.Equal(new DateTimeOffset(2026, 1, 9, 14, 0, 0, TimeSpan.FromHours(-8)), result.Facts[0].OccurredAt);
    }

    [Fact]
    public void A_sender_time_zone_applies_daylight_saving_per_timestamp()
    {
        var chicago = TimeZoneInfo.FindSystemTimeZoneById("America/Chicago");
        var result = Accepted("adt_a03_cerner_v23_crlf.hl7", new Hl7ReadOptions { SenderTimeZone = chicago });
        var fact = (Hl7EncounterFact)result.Facts[0];
        Assert.Equal(new DateTimeOffset(2026, 1, 9, 14, 0, 0, TimeSpan.FromHours(-6)), fact.OccurredAt);

        var summer = Fixtures.Text("adt_a03_cerner_v23_crlf.hl7").Replace("202601091400", "202607091400", StringComparison.Ordinal);
        var summerFact = Fixtures.ReadText(summer, new Hl7ReadOptions { SenderTimeZone = chicago }).Facts[0];
        Assert.Equal(new DateTimeOffset(2026, 7, 9, 14, 0, 0, TimeSpan.FromHours(-5)), summerFact.OccurredAt);
    }

    [Fact]
    public void A04_registration_admits_an_outpatient_encounter()
    {
        var result = Accepted("adt_a04_register_v25.hl7");
        var fact = Assert.IsType<Hl7EncounterFact>(Assert.Single(result.Facts));
        Assert.Equal(Hl7FactType.EncounterAdmitted, fact.Type);
        Assert.Equal("O", fact.PatientClass);
        Assert.Equal("OV778899001", fact.EncounterId);
        Assert.Equal("NORTHCLINIC", fact.Facility);
        Assert.Equal(new DateTimeOffset(2026, 1, 7, 10, 10, 0, TimeSpan.Zero), fact.OccurredAt);
    }

    [Theory]
    [InlineData("adt_a06_v24.hl7", Hl7AdtEvent.A06, "I")]
    [InlineData("adt_a07_v26.hl7", Hl7AdtEvent.A07, "O")]
    [InlineData("adt_a08_update_escapes_v251.hl7", Hl7AdtEvent.A08, "I")]
    public void Class_changes_and_updates_are_accepted_without_facts(string fixture, Hl7AdtEvent expected, string patientClass)
    {
        var result = Accepted(fixture);
        var adt = Assert.IsType<Hl7AdtMessage>(result.Message);
        Assert.Equal(expected, adt.Event);
        Assert.Equal(patientClass, adt.Visit.PatientClass);
        Assert.Empty(result.Facts);
    }

    [Fact]
    public void Escape_sequences_in_read_fields_are_decoded()
    {
        var result = Accepted("adt_a08_update_escapes_v251.hl7");
        Assert.Equal("MED\\ONC", result.Message!.Visit.HospitalService);
    }

    [Fact]
    public void A11_cancel_admit_becomes_EncounterCancelled()
    {
        var result = Accepted("adt_a11_cancel_admit_v231.hl7");
        var fact = Assert.Single(result.Facts);
        Assert.Equal(Hl7FactType.EncounterCancelled, fact.Type);
        Assert.Equal("55009999", fact.EncounterId);
        Assert.Equal(new DateTimeOffset(2026, 1, 12, 7, 55, 0, TimeSpan.Zero), fact.OccurredAt);
    }

    [Fact]
    public void A13_cancel_discharge_v28_with_truncation_character_becomes_DischargeCancelled()
    {
        var result = Accepted("adt_a13_cancel_discharge_v28.hl7");
        Assert.Equal('#', result.Parsed!.Delimiters.Truncation);
        var fact = Assert.Single(result.Facts);
        Assert.Equal(Hl7FactType.DischargeCancelled, fact.Type);
        Assert.Equal("V2026000101", fact.EncounterId);
        Assert.Equal(new DateTimeOffset(2026, 1, 12, 9, 10, 0, TimeSpan.FromHours(-5)), fact.OccurredAt);
    }

    [Fact]
    public void Epic_DFT_charges_and_credits_become_facts_and_payments_do_not()
    {
        var result = Accepted("dft_p03_epic_v251.hl7");
        var dft = Assert.IsType<Hl7DftMessage>(result.Message);
        Assert.Equal(4, dft.Transactions.Count);
        Assert.Equal(
            [Hl7TransactionType.Charge, Hl7TransactionType.Charge, Hl7TransactionType.Credit, Hl7TransactionType.Payment],
            dft.Transactions.Select(t => t.Type));

        var facts = result.Facts.Cast<Hl7ChargeFact>().ToList();
        Assert.Equal([Hl7FactType.ChargePosted, Hl7FactType.ChargePosted, Hl7FactType.ChargeCredited], facts.Select(f => f.Type));
        Assert.Equal(["STMARYS|EPB0003001|FT1|1", "STMARYS|EPB0003001|FT1|2", "STMARYS|EPB0003001|FT1|3"], facts.Select(f => f.IdempotencyKey));

        var lab = facts[0];
        Assert.Equal(48.60m, lab.Amount);
        Assert.Equal("USD", lab.Currency);
        Assert.Equal(1m, lab.Quantity);
        Assert.Equal("LAB", lab.DepartmentCode);
        Assert.Equal("0300", lab.RevenueCode);
        Assert.Equal("80053", lab.ProcedureCode);
        Assert.Equal("CPT", lab.Transaction.ProcedureCodeSystem);
        Assert.Equal("TX900001", lab.Transaction.TransactionId);
        Assert.Equal("1234567890", lab.Transaction.PerformingProvider!.Id);
        Assert.Equal(new DateTimeOffset(2026, 1, 6, 8, 30, 0, TimeSpan.FromHours(-5)), lab.OccurredAt);
        Assert.Equal("V2026000101", lab.EncounterId);
        Assert.Equal("I", lab.PatientClass);

        Assert.Equal(42.75m, facts[1].Amount);
        Assert.Equal(3m, facts[1].Quantity);
        Assert.Equal(14.25m, facts[1].Transaction.UnitAmount);
        Assert.Equal(14.25m, facts[2].Amount);
    }

    [Fact]
    public void Meditech_v23_DFT_takes_the_encounter_from_PID_18_and_revenue_codes_from_a_configured_Z_segment()
    {
        var result = Accepted("dft_p03_meditech_v23_zft_lf.hl7", new Hl7ReadOptions { RevenueCodeZField = "ZFT-2" });
        var facts = result.Facts.Cast<Hl7ChargeFact>().ToList();
        Assert.Equal(2, facts.Count);
        Assert.All(facts, f => Assert.Equal("VG20260108001", f.EncounterId));
        Assert.All(facts, f => Assert.Equal("VALLEYGEN", f.Facility));
        Assert.Equal(["0360", "0320"], facts.Select(f => f.RevenueCode));
        Assert.Equal(["CDM4410023", "CDM2200145"], facts.Select(f => f.ChargeCode));
        Assert.Equal([12480.00m, 310m], facts.Select(f => f.Amount));
        Assert.Equal(["OR", "RAD"], facts.Select(f => f.DepartmentCode));
    }

    [Fact]
    public void Without_the_Z_field_option_a_chargemaster_FT1_7_is_not_taken_for_a_revenue_code()
    {
        var result = Accepted("dft_p03_meditech_v23_zft_lf.hl7");
        Assert.All(result.Facts.Cast<Hl7ChargeFact>(), f => Assert.Equal(string.Empty, f.RevenueCode));
    }

    [Fact]
    public void Unit_amount_times_quantity_gives_the_extended_amount_when_FT1_11_is_empty()
    {
        var text = "MSH|^~\\&|B|F|H|F|20260106||DFT^P03|Q1|P|2.5\rPID|1||M1^^^F^MR\rPV1|1|O|||||||||||||||||V1\r" +
                   "FT1|1|||20260106||CG|0300^Lab^NUBC|||3||12.34\r";
        var result = Fixtures.ReadText(text);
        Assert.True(result.IsAccepted);
        Assert.Equal(37.02m, ((Hl7ChargeFact)result.Facts[0]).Amount);
    }

    [Fact]
    public void Redelivering_a_message_gives_the_same_idempotency_keys()
    {
        var first = Accepted("dft_p03_epic_v251.hl7");
        var second = Accepted("dft_p03_epic_v251.hl7");
        Assert.Equal(first.Facts.Select(f => f.IdempotencyKey), second.Facts.Select(f => f.IdempotencyKey));
    }

    [Fact]
    public void Missing_MSH_is_rejected_with_no_header()
    {
        var result = Fixtures.Read("bad/missing_msh.hl7");
        Assert.Equal(Hl7AckCode.ApplicationReject, result.AckCode);
        Assert.Null(result.Header);
        var error = Assert.Single(result.Errors);
        Assert.Equal(Hl7ErrorCode.SegmentSequenceError, error.Code);
    }

    [Fact]
    public void A_wrong_field_separator_is_rejected_as_a_data_type_error_on_MSH_1()
    {
        var result = Fixtures.Read("bad/wrong_field_separator.hl7");
        Assert.Equal(Hl7AckCode.ApplicationReject, result.AckCode);
        var error = Assert.Single(result.Errors);
        Assert.Equal(Hl7ErrorCode.DataTypeError, error.Code);
        Assert.Equal(new Hl7ErrorLocation("MSH", 1, 1), error.Location);
    }

    [Fact]
    public void An_unterminated_escape_in_a_read_field_is_an_AE_naming_the_field()
    {
        var result = Fixtures.Read("bad/unterminated_escape.hl7");
        Assert.Equal(Hl7AckCode.ApplicationError, result.AckCode);
        Assert.Contains(result.Errors, e => e.Code == Hl7ErrorCode.DataTypeError && e.Location == new Hl7ErrorLocation("PID", 1, 3, 1, 1));
        Assert.Empty(result.Facts);
        Assert.Null(result.Message);
    }

    [Fact]
    public void Binary_junk_is_rejected_but_the_NAK_still_knows_the_sender()
    {
        var result = Fixtures.Read("bad/binary_junk.hl7");
        Assert.Equal(Hl7AckCode.ApplicationReject, result.AckCode);
        Assert.Equal("EPBAD02", result.Header!.ControlId);
        var error = Assert.Single(result.Errors);
        Assert.Equal(Hl7ErrorCode.DataTypeError, error.Code);
        Assert.Equal(new Hl7ErrorLocation("PID", 1, 5), error.Location);
    }

    [Fact]
    public void An_unsupported_message_type_is_rejected_with_200()
    {
        var result = Fixtures.Read("bad/unsupported_type_oru.hl7");
        Assert.Equal(Hl7AckCode.ApplicationReject, result.AckCode);
        Assert.Equal(Hl7ErrorCode.UnsupportedMessageType, Assert.Single(result.Errors).Code);
    }

    [Theory]
    [InlineData("ADT^A05", Hl7ErrorCode.UnsupportedEventCode)]
    [InlineData("DFT^P11", Hl7ErrorCode.UnsupportedEventCode)]
    [InlineData("ACK^A01", Hl7ErrorCode.UnsupportedMessageType)]
    public void Unsupported_triggers_are_rejected(string type, Hl7ErrorCode expected)
    {
        var result = Fixtures.ReadText($"MSH|^~\\&|A|F|H|F|20260101||{type}|C1|P|2.5\rPID|1||M1\rPV1|1|I|||||||||||||||||V1\r");
        Assert.Equal(Hl7AckCode.ApplicationReject, result.AckCode);
        Assert.Equal(expected, Assert.Single(result.Errors).Code);
    }

    [Theory]
    [InlineData("MSH|^~\\&|A|F|H|F|20260101||ADT^A01||P|2.5\r", 10, Hl7ErrorCode.RequiredFieldMissing)]
    [InlineData("MSH|^~\\&|A|F|H|F|20260101|||C1|P|2.5\r", 9, Hl7ErrorCode.RequiredFieldMissing)]
    [InlineData("MSH|^~\\&|A|F|H|F|20260101||ADT^A01|C1|P\r", 12, Hl7ErrorCode.RequiredFieldMissing)]
    [InlineData("MSH|^~\\&|A|F|H|F|20260101||ADT^A01|C1|P|2.2\r", 12, Hl7ErrorCode.UnsupportedVersionId)]
    [InlineData("MSH|^~\\&|A|F|H|F|20260101||ADT^A01|C1|P|3.0\r", 12, Hl7ErrorCode.UnsupportedVersionId)]
    [InlineData("MSH|^~\\&|A|F|H|F|20260101||ADT^A01|C1|X|2.5\r", 11, Hl7ErrorCode.UnsupportedProcessingId)]
    [InlineData("MSH|^~\\&|A||H|F|20260101||ADT^A01|C1|P|2.5\r", 4, Hl7ErrorCode.RequiredFieldMissing)]
    public void Header_problems_are_rejected_naming_the_MSH_field(string text, int field, Hl7ErrorCode expected)
    {
        var result = Fixtures.ReadText(text + "PID|1||M1\rPV1|1|I|||||||||||||||||V1\r");
        Assert.Equal(Hl7AckCode.ApplicationReject, result.AckCode);
        var error = Assert.Single(result.Errors);
        Assert.Equal(expected, error.Code);
        Assert.Equal("MSH", error.Location!.Value.SegmentId);
        Assert.Equal(field, error.Location.Value.Field);
    }

    [Fact]
    public void Missing_identifiers_class_and_visit_number_are_all_reported_as_101()
    {
        var result = Fixtures.Read("bad/missing_pid3_and_visit.hl7");
        Assert.Equal(Hl7AckCode.ApplicationError, result.AckCode);
        Assert.All(result.Errors, e => Assert.Equal(Hl7ErrorCode.RequiredFieldMissing, e.Code));
        Assert.Equal(["PID^1^3", "PV1^1^2", "PV1^1^19"], result.Errors.Select(e => e.Location.ToString()));
    }

    [Fact]
    public void Missing_PID_or_PV1_segments_are_segment_sequence_errors()
    {
        var result = Fixtures.ReadText("MSH|^~\\&|A|F|H|F|20260101||ADT^A01|C1|P|2.5\rEVN|A01|20260101\r");
        Assert.Equal(Hl7AckCode.ApplicationError, result.AckCode);
        Assert.Equal(["PID", "PV1"], result.Errors.Select(e => e.Location!.Value.SegmentId));
        Assert.All(result.Errors, e => Assert.Equal(Hl7ErrorCode.SegmentSequenceError, e.Code));
    }

    [Fact]
    public void Bad_FT1_amounts_types_and_dates_are_reported_per_segment()
    {
        var result = Fixtures.Read("bad/dft_bad_amount_and_type.hl7");
        Assert.Equal(Hl7AckCode.ApplicationError, result.AckCode);
        Assert.Contains(result.Errors, e => e.Code == Hl7ErrorCode.DataTypeError && e.Location == new Hl7ErrorLocation("FT1", 1, 11, 0, 1, 1));
        Assert.Contains(result.Errors, e => e.Code == Hl7ErrorCode.TableValueNotFound && e.Location == new Hl7ErrorLocation("FT1", 2, 6));
        Assert.Contains(result.Errors, e => e.Code == Hl7ErrorCode.RequiredFieldMissing && e.Location == new Hl7ErrorLocation("FT1", 3, 4));
        Assert.Empty(result.Facts);
    }

    [Fact]
    public void A_DFT_without_FT1_is_an_error()
    {
        var result = Fixtures.ReadText("MSH|^~\\&|A|F|H|F|20260101||DFT^P03|C1|P|2.5\rPID|1||M1\rPV1|1|I|||||||||||||||||V1\r");
        Assert.Equal(Hl7AckCode.ApplicationError, result.AckCode);
        Assert.Equal(new Hl7ErrorLocation("FT1", 1), Assert.Single(result.Errors).Location);
    }

    [Fact]
    public void A_50_MB_message_is_rejected_without_being_decoded()
    {
        var payload = new byte[50 * 1024 * 1024];
        "MSH|^~\\&|A|F|H|F|20260101||ADT^A01|C1|P|2.5\r"u8.CopyTo(payload);
        payload.AsSpan(60).Fill((byte)'X');
        var result = Hl7Reader.Read(payload, Fixtures.Tokenize);
        Assert.Equal(Hl7AckCode.ApplicationReject, result.AckCode);
        Assert.Equal(Hl7ErrorCode.ApplicationInternalError, Assert.Single(result.Errors).Code);
        Assert.Contains("maximum", result.Errors[0].Diagnostic, StringComparison.Ordinal);
    }

    [Fact]
    public void Error_diagnostics_never_quote_patient_data()
    {
        foreach (var file in Directory.EnumerateFiles(Path.Combine(Fixtures.Directory, "bad")))
        {
            var result = Hl7Reader.Read(File.ReadAllBytes(file), Fixtures.Tokenize);
            foreach (var error in result.Errors)
            {
                Assert.DoesNotContain("Puddingstone", error.Diagnostic, StringComparison.Ordinal);
                Assert.DoesNotContain("Sparrowhawke", error.Diagnostic, StringComparison.Ordinal);
                Assert.DoesNotContain("MRN", error.Diagnostic, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public void An_A08_demographics_update_without_a_visit_number_is_still_accepted()
    {
        var result = Fixtures.ReadText("MSH|^~\\&|A|F|H|F|20260101||ADT^A08^ADT_A01|C1|P|2.5.1\rEVN|A08|20260101\rPID|1||M1^^^F^MR\rPV1|1|N\r");
        Assert.True(result.IsAccepted);
        Assert.Equal(string.Empty, result.Message!.Visit.EncounterId);
        Assert.Empty(result.Facts);
    }

    [Fact]
    public void An_A03_without_a_visit_number_is_an_error_because_it_would_post()
    {
        var result = Fixtures.ReadText("MSH|^~\\&|A|F|H|F|20260101||ADT^A03|C1|P|2.5.1\rEVN|A03|20260101\rPID|1||M1^^^F^MR\rPV1|1|I\r");
        Assert.Equal(Hl7AckCode.ApplicationError, result.AckCode);
        Assert.Equal(new Hl7ErrorLocation("PV1", 1, 19), Assert.Single(result.Errors).Location);
    }
}
