using HealthFlow.Finance;
using HealthFlow.Finance.Events;
using HealthFlow.Ledger;
using HealthFlow.Ledger.Storage;
using HealthFlow.Pipeline.Bus;
using HealthFlow.Pipeline.Tests.Support;
using HealthFlow.Pipeline.Workflows;

namespace HealthFlow.Pipeline.Tests.Workflows;

/// <summary>
/// The claim index's catch-up reads only the claims its router has not delivered: a routed claim is not read again, and
/// every other claim the ledger holds, a replacement of a routed one included, is found after it. The routed ids are not
/// kept for the life of the process.
/// </summary>
public sealed class ClaimIndexCatchUpTests : FileLedgerTest
{
    [Fact]
    public async Task A_replacement_claim_not_yet_routed_replaces_the_routed_one_after_the_catch_up()
    {
        var models = new WorkflowReadModels(Ledger, new PatientTokenizer(new byte[32]));
        await models.StartAsync();
        var original = Claim("claim-1", 100m);
        var replacement = Claim("claim-1-replacement", 120m);
        var routedAt = await AppendAsync("m1", original);
        models.AddClaim(original, routedAt, "m1");
        await AppendAsync("m2", replacement);

        await models.CatchUpSourcesAsync();

        Assert.Equal(("claim-1-replacement", 120m), (models.FindClaim("PCN1")?.IdempotencyKey, models.FindClaim("PCN1")?.TotalCharge.Amount));
    }

    [Fact]
    public async Task A_routed_claim_is_still_found_after_the_catch_up_and_an_unrouted_one_is_added()
    {
        var models = new WorkflowReadModels(Ledger, new PatientTokenizer(new byte[32]));
        await models.StartAsync();
        var routed = Claim("claim-1", 100m);
        models.AddClaim(routed, await AppendAsync("m1", routed), "m1");
        await AppendAsync("m2", Claim("claim-2", 50m, "PCN2"));

        await models.CatchUpSourcesAsync();

        Assert.Equal(("claim-1", "claim-2"), (models.FindClaim("PCN1")?.IdempotencyKey, models.FindClaim("PCN2")?.IdempotencyKey));
    }

    [Fact]
    public async Task Routed_message_ids_are_forgotten_once_the_catch_up_passes_their_records()
    {
        var models = new WorkflowReadModels(Ledger, new PatientTokenizer(new byte[32]));
        await models.StartAsync();
        foreach (var (messageId, claim) in new[] { ("m1", Claim("claim-1", 100m)), ("m2", Claim("claim-2", 50m, "PCN2")) })
            models.AddClaim(claim, await AppendAsync(messageId, claim), messageId);
        Assert.Equal(2, models.RoutedCount);

        await models.CatchUpSourcesAsync();

        Assert.Equal((0, "claim-2"), (models.RoutedCount, models.FindClaim("PCN2")?.IdempotencyKey));
    }

    [Fact]
    public async Task Message_ids_routed_after_the_catch_up_passed_their_records_age_out()
    {
        var models = new WorkflowReadModels(Ledger, new PatientTokenizer(new byte[32]));
        await models.StartAsync();

        // A lagging router: the catch-up never meets these ids again, so only their generations bound them.
        for (var i = 0; i < 3 * WorkflowReadModels.RoutedGeneration; i++)
            models.AddClaim(Claim($"claim-{i}", 1m, $"PCN{i}"), i, $"m{i}");

        Assert.Equal(2 * WorkflowReadModels.RoutedGeneration, models.RoutedCount);
    }

    private async Task<long> AppendAsync(string messageId, ClaimSubmitted claim) =>
        await Ledger.AppendAsync(TopicRecords.For("claims", new BusMessage(messageId, nameof(ClaimSubmitted), EventJson.Serialize(claim))));

    private static ClaimSubmitted Claim(string key, decimal total, string claimId = "PCN1") => new()
    {
        IdempotencyKey = key, CorrelationId = "c1", CausationId = "c1", ClaimId = claimId, ClaimKind = "837P",
        Payer = "ACME HEALTH PLAN", TotalCharge = new Money(total, "USD"),
    };
}
