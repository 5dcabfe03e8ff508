using System.Text;

namespace HealthFlow.Fhir.Tests;

/// <summary>Bad input gets a clear OperationOutcome and never an exception.</summary>
public sealed class BadInputTests
{
    private static OperationOutcomeIssue OnlyError(FhirReadResult result)
    {
        Assert.False(result.Accepted);
        return Assert.Single(result.Outcome.Issues, i => i.IsError);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("{")]
    [InlineData("{\"resourceType\":\"Claim\",}")]
    [InlineData("[1,2,3]")]
    [InlineData("\"Claim\"")]
    [InlineData("{\"resourceType\":\"Encounter\",\"status\":\"finished\",\"class\":{\"code\":\"AMB\"}} trailing")]
    [InlineData("{\"resourceType\":\"Encounter\",\"status\":NaN}")]
    [InlineData("{\"resourceType\":\"Encounter\" /* comment */}")]
    public void Malformed_json_is_one_fatal_structure_issue(string json)
    {
        var issue = OnlyError(TestSupport.Read(json));

        Assert.Equal(IssueSeverity.Fatal, issue.Severity);
        Assert.Equal(IssueType.Structure, issue.Code);
    }

    [Fact]
    public void Invalid_json_diagnostics_give_line_and_byte()
    {
        var issue = OnlyError(TestSupport.Read("{\n  \"resourceType\": \"Claim\",\n  \"status\": tru\n}"));

        Assert.Contains("line 3", issue.Diagnostics, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_resourceType_is_required()
    {
        var issue = OnlyError(TestSupport.Read("""{"id":"x","status":"active"}"""));

        Assert.Equal(IssueType.Required, issue.Code);
        Assert.Equal("resourceType", issue.Expression);
    }

    [Theory]
    [InlineData("Observation")]
    [InlineData("Invoice")]
    [InlineData("NoSuchThing")]
    public void Unmapped_or_unknown_resourceType_is_not_supported(string type)
    {
        var issue = OnlyError(TestSupport.Read($$"""{"resourceType":"{{type}}","id":"x"}"""));

        Assert.Equal(IssueType.NotSupported, issue.Code);
        Assert.Contains(type, issue.Diagnostics, StringComparison.Ordinal);
    }

    [Fact]
    public void Deeply_nested_json_is_too_costly()
    {
        var json = "{\"resourceType\":\"Encounter\",\"x\":" + new string('[', 5000) + new string(']', 5000) + "}";
        var issue = OnlyError(TestSupport.Read(json));

        Assert.Equal(IssueSeverity.Fatal, issue.Severity);
        Assert.Equal(IssueType.TooCostly, issue.Code);
    }

    [Fact]
    public void Huge_string_is_too_long()
    {
        var json = "{\"resourceType\":\"Encounter\",\"status\":\"finished\",\"class\":{\"code\":\"AMB\"},\"text\":{\"div\":\"" + new string('a', 2_000_000) + "\"}}";
        var issue = OnlyError(TestSupport.Read(json));

        Assert.Equal(IssueType.TooLong, issue.Code);
        Assert.Equal("Encounter.text", issue.Expression);
    }

    [Fact]
    public void Input_over_the_size_limit_is_too_costly()
    {
        var issue = OnlyError(TestSupport.Read("""{"resourceType":"Encounter","status":"finished","class":{"code":"AMB"}}""", new FhirReaderOptions { MaxInputBytes = 10 }));

        Assert.Equal(IssueType.TooCostly, issue.Code);
    }

    [Fact]
    public void Duplicate_key_is_rejected_with_its_path()
    {
        var result = TestSupport.Read("""
            {"resourceType":"Claim","status":"active","type":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/claim-type","code":"oral"}]},
             "use":"claim","patient":{"reference":"Patient/1"},"created":"2026-01-01","provider":{"reference":"Organization/1"},
             "priority":{"coding":[{"code":"normal"}]},"insurance":[{"sequence":1,"focal":true,"coverage":{"reference":"Coverage/1"}}],
             "item":[{"sequence":1,"productOrService":{"text":"x"},"net":{"value":10,"currency":"USD","value":1000}}],"total":{"value":10,"currency":"USD"}}
            """);
        var issue = OnlyError(result);

        Assert.Equal(IssueType.Duplicate, issue.Code);
        Assert.Equal("Claim.item[0].net.value", issue.Expression);
    }

    [Fact]
    public void Duplicate_key_inside_an_ignored_element_is_still_rejected()
    {
        var issue = OnlyError(TestSupport.Read("""{"resourceType":"Encounter","status":"finished","class":{"code":"AMB"},"text":{"div":"a","div":"b"}}"""));

        Assert.Equal(IssueType.Duplicate, issue.Code);
        Assert.Equal("Encounter.text.div", issue.Expression);
    }

    [Fact]
    public void Escaped_duplicate_key_is_still_a_duplicate()
    {
        var issue = OnlyError(TestSupport.Read("""{"resourceType":"Encounter","status":"finished","st\u0061tus":"planned","class":{"code":"AMB"}}"""));

        Assert.Equal(IssueType.Duplicate, issue.Code);
    }

    [Theory]
    [InlineData("\"125.00\"", "not strings")]
    [InlineData("1.25e2", "exponent")]
    [InlineData("true", "JSON number")]
    [InlineData("123456789012345678901234567890.5", "28 significant digits")]
    public void Money_value_that_is_not_a_plain_decimal_number_is_rejected(string value, string diagnostic)
    {
        var issue = OnlyError(TestSupport.Read($$$"""
            {"resourceType":"ChargeItem","status":"billable","code":{"text":"x"},"subject":{"reference":"Patient/1"},"priceOverride":{"value":{{{value}}},"currency":"USD"}}
            """));

        Assert.Equal("ChargeItem.priceOverride.value", issue.Expression);
        Assert.Contains(diagnostic, issue.Diagnostics, StringComparison.Ordinal);
    }

    [Fact]
    public void Money_without_currency_is_an_error_unless_a_default_is_configured()
    {
        const string Json = """{"resourceType":"ChargeItem","status":"billable","code":{"text":"x"},"subject":{"reference":"Patient/1"},"priceOverride":{"value":40}}""";

        var issue = OnlyError(TestSupport.Read(Json));
        Assert.Equal("ChargeItem.priceOverride.currency", issue.Expression);

        var lenient = TestSupport.Read(Json, new FhirReaderOptions { DefaultCurrency = "EUR" });
        Assert.True(lenient.Accepted);
        Assert.Equal(new FhirMoney(40m, "EUR"), Assert.IsType<FhirChargeItem>(lenient.Entries[0].Resource).Amount);
    }

    [Fact]
    public void Modifier_extension_rejects_the_resource_even_deep_inside()
    {
        var top = OnlyError(TestSupport.Read("""{"resourceType":"Encounter","status":"finished","class":{"code":"AMB"},"modifierExtension":[{"url":"http://x","valueBoolean":true}]}"""));
        Assert.Equal(IssueType.Extension, top.Code);
        Assert.Equal("Encounter.modifierExtension", top.Expression);

        var deep = OnlyError(TestSupport.Read("""{"resourceType":"Encounter","status":"finished","class":{"code":"AMB"},"participant":[{"modifierExtension":[{"url":"http://x"}]}]}"""));
        Assert.Equal(IssueType.Extension, deep.Code);
    }

    [Fact]
    public void Numeric_id_is_a_structure_error()
    {
        var issue = OnlyError(TestSupport.Read("""{"resourceType":"Encounter","id":1,"status":"finished","class":{"code":"AMB"}}"""));

        Assert.Equal(IssueType.Structure, issue.Code);
        Assert.Equal("Encounter.id", issue.Expression);
    }

    [Fact]
    public void Claim_total_that_is_not_the_sum_of_item_net_is_an_invariant_error()
    {
        var json = Encoding.UTF8.GetString(TestSupport.Fixture("claim-institutional.json")).Replace("688.5", "688.49", StringComparison.Ordinal);
        var issue = OnlyError(TestSupport.Read(json));

        Assert.Equal(IssueType.Invariant, issue.Code);
        Assert.Equal("Claim.total", issue.Expression);
        Assert.Contains("688.49", issue.Diagnostics, StringComparison.Ordinal);
        Assert.Contains("688.5", issue.Diagnostics, StringComparison.Ordinal);
    }

    [Fact]
    public void Claim_type_outside_the_claim_type_code_system_is_code_invalid()
    {
        var json = Encoding.UTF8.GetString(TestSupport.Fixture("claim-institutional.json")).Replace("\"institutional\"", "\"hospital\"", StringComparison.Ordinal);
        var issue = OnlyError(TestSupport.Read(json));

        Assert.Equal(IssueType.CodeInvalid, issue.Code);
        Assert.Equal("Claim.type.coding[0].code", issue.Expression);
    }

    [Fact]
    public void Adjudication_category_outside_the_adjudication_code_system_is_code_invalid()
    {
        var json = Encoding.UTF8.GetString(TestSupport.Fixture("explanationofbenefit-complete.json")).Replace("\"copay\"", "\"copayment\"", StringComparison.Ordinal);
        var result = TestSupport.Read(json);

        Assert.False(result.Accepted);
        Assert.Contains(result.Outcome.Issues, i => i.Code == IssueType.CodeInvalid && i.Expression == "ExplanationOfBenefit.item[0].adjudication[1].category.coding[0].code");
    }

    [Fact]
    public void Missing_required_claim_elements_are_each_reported_with_their_path()
    {
        var result = TestSupport.Read("""{"resourceType":"Claim","id":"c","item":[{"net":{"value":1,"currency":"USD"}}]}""");

        var paths = result.Outcome.Issues.Where(i => i.Code == IssueType.Required).Select(i => i.Expression).ToHashSet();
        Assert.Superset(
            new HashSet<string?> { "Claim.status", "Claim.type", "Claim.use", "Claim.patient", "Claim.created", "Claim.provider", "Claim.priority", "Claim.insurance", "Claim.item[0].sequence", "Claim.item[0].productOrService" },
            paths);
    }

    [Fact]
    public void Two_choice_type_variants_are_a_structure_error()
    {
        var issue = OnlyError(TestSupport.Read("""
            {"resourceType":"ChargeItem","status":"billable","code":{"text":"x"},"subject":{"reference":"Patient/1"},
             "occurrenceDateTime":"2026-01-01","occurrencePeriod":{"start":"2026-01-01"}}
            """));

        Assert.Equal("ChargeItem.occurrence[x]", issue.Expression);
    }

    [Theory]
    [InlineData("2026-13-01")]
    [InlineData("2026-01-01T10:00:00")]
    [InlineData("yesterday")]
    public void Malformed_dateTime_is_a_value_error(string value)
    {
        var issue = OnlyError(TestSupport.Read($$$"""{"resourceType":"Encounter","status":"finished","class":{"code":"AMB"},"period":{"start":"{{{value}}}"}}"""));

        Assert.Equal(IssueType.Value, issue.Code);
        Assert.Equal("Encounter.period.start", issue.Expression);
    }

    [Fact]
    public void Issue_count_is_capped_but_acceptance_still_counts_every_error()
    {
        var entries = string.Join(",", Enumerable.Range(0, 50).Select(_ => """{"resource":{"resourceType":"Encounter"},"request":{"method":"POST","url":"Encounter"}}"""));
        var result = TestSupport.Read($$"""{"resourceType":"Bundle","type":"transaction","entry":[{{entries}}]}""", new FhirReaderOptions { MaxIssues = 10 });

        Assert.False(result.Accepted);
        Assert.True(result.Outcome.Issues.Length <= 12);
        Assert.Contains(result.Outcome.Issues, i => i.Code == IssueType.TooCostly && i.Diagnostics.Contains("further issues", StringComparison.Ordinal));
    }

    [Fact]
    public void Utf8_byte_order_mark_is_tolerated()
    {
        var bytes = new byte[] { 0xEF, 0xBB, 0xBF }.Concat(TestSupport.Fixture("encounter-emergency-in-progress.json")).ToArray();

        Assert.True(FhirReader.Read(bytes, TestSupport.Tokenize).Accepted);
    }

    [Fact]
    public void Invalid_utf8_in_a_string_is_a_value_error_not_an_exception()
    {
        var bytes = Encoding.UTF8.GetBytes("""{"resourceType":"Encounter","status":"finished","class":{"code":"AMB","display":"XX"}}""");
        var at = Array.IndexOf(bytes, (byte)'X');
        bytes[at] = 0xC3;
        bytes[at + 1] = 0x28;

        var result = FhirReader.Read(bytes, TestSupport.Tokenize);

        Assert.False(result.Accepted);
    }
}
