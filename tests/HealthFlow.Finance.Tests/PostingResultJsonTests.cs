using System.Text.Json;
using HealthFlow.Finance.Events;
using HealthFlow.Finance.Posting;
using static HealthFlow.Finance.Tests.TestData;

namespace HealthFlow.Finance.Tests;

public sealed class PostingResultJsonTests
{
    [Fact]
    public void A_posting_result_survives_a_JSON_round_trip_with_its_issues()
    {
        var denied = Claim("PCN2", 0m, new Adjustment("CO", "50", 99m)) with { Status = "4" };
        var result = RemittanceRule.Build(Sample, Remittance("T1", [Claim("PCN1", 10m), denied, Claim("PCN9", 1m)]), Matches(("PCN1", "RMC", "ACME"), ("PCN2", "RMC", "ACME")), Today);

        var json = JsonSerializer.Serialize(result, EventJson.Options);
        var back = JsonSerializer.Deserialize<PostingResult>(json, EventJson.Options)!;

        Assert.Equal(json, JsonSerializer.Serialize(back, EventJson.Options));
        Assert.Contains(back.Issues, i => i is DenialRoutedToWorkQueue { Carc: "50", Amount: 99m });
        Assert.Contains(back.Issues, i => i is UnmatchedClaim { PatientControlNumber: "PCN9" });
        Assert.Equal(result.Journals.Select(j => j.JournalId), back.Journals.Select(j => j.JournalId));
        Assert.Contains("\"issue\":\"denial-work-queue\"", json, StringComparison.Ordinal);
        Assert.DoesNotContain("totalDebit", json, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_mapping_serializes_with_its_kind_and_key()
    {
        PostingIssue issue = new MissingMapping("department", "ER-9");

        var json = JsonSerializer.Serialize(issue, EventJson.Options);

        Assert.Contains("\"kind\":\"department\"", json, StringComparison.Ordinal);
        Assert.Contains("\"key\":\"ER-9\"", json, StringComparison.Ordinal);
        Assert.Equal(issue, JsonSerializer.Deserialize<PostingIssue>(json, EventJson.Options));
    }
}
