using HealthFlow.Finance.Mapping;

namespace HealthFlow.Finance.Tests;

public sealed class MasterDataLoadingTests
{
    private static Dictionary<string, string> SampleFiles() => new(MasterData.EmbeddedFiles(), StringComparer.Ordinal);

    private static MasterDataLoadResult LoadWith(string file, Func<string, string> edit)
    {
        var files = SampleFiles();
        files[file] = edit(files[file]);
        return MasterData.Load(files);
    }

    [Fact]
    public void The_sample_master_data_loads_clean()
    {
        var result = MasterData.LoadEmbedded();

        Assert.True(result.Succeeded, string.Join("\n", result.Errors));
        var set = result.Value!;
        Assert.Equal("2026.11.0", set.Version);
        Assert.Equal(2, set.LegalEntities.Count);
        Assert.Equal(3, set.Facilities.Count);
        Assert.True(set.Payers.Count >= 6);
        Assert.Contains(set.PayerClasses.Keys, c => c == "MEDICARE");
        Assert.Contains(set.PayerClasses.Keys, c => c == "MEDICAID");
        Assert.Contains(set.PayerClasses.Keys, c => c == "COMMERCIAL");
        Assert.Contains(set.PayerClasses.Keys, c => c == "SELFPAY");
    }

    [Fact]
    public void The_config_folder_loads_clean_and_matches_the_embedded_copy()
    {
        var folder = Path.Combine(AppContext.BaseDirectory, "masterdata");

        var result = MasterData.LoadFolder(folder);

        Assert.True(result.Succeeded, string.Join("\n", result.Errors));
        foreach (var (name, text) in MasterData.EmbeddedFiles())
            Assert.Equal(File.ReadAllText(Path.Combine(folder, name)), text);
    }

    [Theory]
    [InlineData("1")]
    [InlineData("2")]
    [InlineData("3")]
    [InlineData("4")]
    [InlineData("5")]
    [InlineData("16")]
    [InlineData("18")]
    [InlineData("22")]
    [InlineData("23")]
    [InlineData("29")]
    [InlineData("45")]
    [InlineData("50")]
    [InlineData("96")]
    [InlineData("97")]
    [InlineData("109")]
    [InlineData("119")]
    [InlineData("197")]
    [InlineData("242")]
    [InlineData("253")]
    public void The_sample_maps_the_common_CARCs(string carc)
    {
        var set = TestData.Sample;

        var mapped = new[] { "CO", "PR", "OA" }.Any(g => set.FindAdjustmentRule(g, carc, []) is not null);

        Assert.True(mapped, $"CARC {carc} has no rule");
    }

    [Theory]
    [InlineData("L6")]
    [InlineData("WO")]
    [InlineData("FB")]
    [InlineData("72")]
    [InlineData("CS")]
    [InlineData("J1")]
    public void The_sample_maps_the_common_PLB_reasons(string reason) =>
        Assert.NotNull(TestData.Sample.FindProviderAdjustmentRule(reason));

    [Theory]
    [InlineData("0110")]
    [InlineData("0120")]
    [InlineData("0200")]
    [InlineData("0250")]
    [InlineData("0260")]
    [InlineData("0270")]
    [InlineData("0300")]
    [InlineData("0320")]
    [InlineData("0350")]
    [InlineData("0360")]
    [InlineData("0370")]
    [InlineData("0450")]
    [InlineData("0636")]
    [InlineData("0730")]
    [InlineData("0762")]
    [InlineData("0610")]
    public void The_sample_maps_common_UB04_revenue_codes(string code) =>
        Assert.NotNull(TestData.Sample.FindRevenueCode(code));

    [Fact]
    public void A_revenue_code_without_its_own_entry_falls_back_to_its_family()
    {
        var code = TestData.Sample.FindRevenueCode("0459");

        Assert.NotNull(code);
        Assert.Equal("045X", code.Code);
        Assert.Equal("EMERGENCY", code.ServiceLine);
    }

    [Fact]
    public void An_unknown_legal_entity_on_a_facility_is_reported_with_its_path()
    {
        var result = LoadWith("entities.json", text => text.Replace("\"legalEntity\": \"RHS-SOUTH\"", "\"legalEntity\": \"RHS-WEST\"", StringComparison.Ordinal));

        Assert.False(result.Succeeded);
        Assert.Contains(result.Errors, e => e.File == "entities.json" && e.Path == "$.facilities[2].legalEntity" && e.Message.Contains("RHS-WEST", StringComparison.Ordinal));
    }

    [Fact]
    public void An_account_missing_from_the_chart_is_reported_with_its_path()
    {
        var result = LoadWith("plb.json", text => text.Replace("\"account\": \"7100\"", "\"account\": \"7999\"", StringComparison.Ordinal));

        var error = Assert.Single(result.Errors, e => e.Message.Contains("7999", StringComparison.Ordinal) && e.Path == "$.reasons[0].account");
        Assert.Equal("plb.json", error.File);
    }

    [Fact]
    public void A_duplicate_key_is_reported_with_both_paths()
    {
        var result = LoadWith("payers.json", text => text.Replace("\"code\": \"BRM\"", "\"code\": \"ACME\"", StringComparison.Ordinal));

        Assert.Contains(result.Errors, e => e.Path == "$.payers[4]" && e.Message.Contains("duplicate payer \"ACME\"", StringComparison.Ordinal) && e.Message.Contains("$.payers[3]", StringComparison.Ordinal));
    }

    [Fact]
    public void Every_problem_is_reported_in_one_pass()
    {
        var files = SampleFiles();
        files["departments.json"] = files["departments.json"].Replace("\"costCenter\": \"N-ED-RMC\"", "\"costCenter\": \"N-ED-XXX\"", StringComparison.Ordinal);
        files["payers.json"] = files["payers.json"].Replace("\"payerClass\": \"MEDICAID\"", "\"payerClass\": \"MEDICAYD\"", StringComparison.Ordinal);
        files["adjustments.json"] = files["adjustments.json"].Replace("\"denial\": \"write-off\"", "\"denial\": \"shrug\"", StringComparison.Ordinal);
        files["batching.json"] = files["batching.json"].Replace("\"maxLinesPerBatch\": 5000", "\"maxLinesPerBatch\": 1", StringComparison.Ordinal);

        var result = MasterData.Load(files);

        Assert.Contains(result.Errors, e => e.File == "departments.json" && e.Path.EndsWith(".costCenter", StringComparison.Ordinal) && e.Message.Contains("N-ED-XXX", StringComparison.Ordinal));
        Assert.Contains(result.Errors, e => e.File == "payers.json" && e.Path == "$.payers[2].payerClass");
        Assert.Contains(result.Errors, e => e.File == "adjustments.json" && e.Path.EndsWith(".denial", StringComparison.Ordinal));
        Assert.Contains(result.Errors, e => e.File == "batching.json" && e.Path == "$.default.maxLinesPerBatch");
    }

    [Fact]
    public void A_cost_center_of_another_legal_entity_is_rejected()
    {
        var result = LoadWith("departments.json", text => text.Replace("{\"code\": \"ED\", \"facility\": \"SVH\", \"name\": \"Emergency department\", \"costCenter\": \"S-ED-SVH\"}", "{\"code\": \"ED\", \"facility\": \"SVH\", \"name\": \"Emergency department\", \"costCenter\": \"N-ED-RMC\"}", StringComparison.Ordinal));

        Assert.Contains(result.Errors, e => e.Message.Contains("belongs to legal entity RHS-NORTH, not RHS-SOUTH", StringComparison.Ordinal));
    }

    [Fact]
    public void A_misspelled_property_is_an_error_not_silently_ignored()
    {
        var result = LoadWith("entities.json", text => text.Replace("\"unappliedCashAccount\": \"2150\"", "\"unappliedCashAcount\": \"2150\"", StringComparison.Ordinal));

        Assert.Contains(result.Errors, e => e.Path == "$.legalEntities[0].unappliedCashAcount" && e.Message.StartsWith("unknown property", StringComparison.Ordinal));
        Assert.Contains(result.Errors, e => e.Path == "$.legalEntities[0].unappliedCashAccount" && e.Message == "required");
    }

    [Fact]
    public void Unreadable_json_and_a_missing_file_are_errors_not_exceptions()
    {
        var files = SampleFiles();
        files["accounts.json"] = "{ \"schemaVersion\": 1, \"accounts\": [ ";
        files.Remove("plb.json");

        var result = MasterData.Load(files);

        Assert.Contains(result.Errors, e => e.File == "accounts.json" && e.Message.StartsWith("not valid JSON", StringComparison.Ordinal));
        Assert.Contains(result.Errors, e => e.File == "plb.json" && e.Message == "file is missing");
    }

    [Fact]
    public void A_newer_schema_version_is_refused()
    {
        var result = LoadWith("manifest.json", text => text.Replace("\"schemaVersion\": 1", "\"schemaVersion\": 2", StringComparison.Ordinal));

        Assert.Contains(result.Errors, e => e.File == "manifest.json" && e.Path == "$.schemaVersion");
    }

    [Fact]
    public void Batching_overrides_apply_most_specific_last()
    {
        var set = TestData.Sample;

        Assert.True(set.BatchingFor("MCR-A", "RHS-NORTH").CashRealTime);
        Assert.False(set.BatchingFor("ACME", "RHS-NORTH").CashRealTime);
        Assert.Equal(2000, set.BatchingFor("ACME", "RHS-SOUTH").MaxLinesPerBatch);
        Assert.False(set.BatchingFor("SELFPAY", "RHS-NORTH").Enabled);
        Assert.True(set.BatchingFor("SELFPAY", "RHS-SOUTH").Enabled);
    }

    [Fact]
    public void Payers_resolve_by_code_name_or_id_ignoring_case()
    {
        var set = TestData.Sample;

        Assert.Equal("MCR-B", set.FindPayer("medicare part b ")?.Code);
        Assert.Equal("ACME", set.FindPayer("PAYER00")?.Code);
        Assert.Equal("MCD", set.FindPayer("MCD")?.Code);
        Assert.Null(set.FindPayer("NOBODY"));
    }
}
