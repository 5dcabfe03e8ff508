using HealthFlow.Finance;
using HealthFlow.Pipeline.Orchestration;
using HealthFlow.Pipeline.Workflows;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using static HealthFlow.Pipeline.Tests.Workflows.WorkflowSamples;
using HealthFlow.Tests.Shared;

namespace HealthFlow.Pipeline.Tests.Workflows;

/// <summary>Waiting, cancelling and the exceptions the workflows raise instead of posting.</summary>
public sealed class WorkflowExceptionTests
{
    [Fact]
    public async Task An_unbalanced_835_raises_an_exception_and_posts_nothing()
    {
        await using var f = await WorkflowFixture.StartAsync();
        await f.PublishAsync(Claim("PCN-7001", "ENC-7001", 1000m));
        await UntilClaimAsync(f, "PCN-7001");
        await f.PublishAsync(Remittance("TRN-7001", "PCN-7001") with { PaymentAmount = new Money(690m, "USD") });

        var done = await f.WaitAsync(WorkflowInstanceIds.Remittance("ACME", "TRN-7001"));

        Assert.Equal(RemittanceToGlResult.Unbalanced, done.ReadOutputAs<RemittanceToGlResult>()!.Outcome);
        Assert.Empty(f.ErpJournals());
        var exception = Assert.Single(f.Services.GetRequiredService<ExceptionBook>().List(open: true));
        Assert.Equal("unbalanced-remittance", exception.Reason);
        Assert.Null(exception.ResumeEvent);
        Assert.Equal(Remittance("TRN-7001", "PCN-7001").CorrelationId, exception.CorrelationId);
    }

    [Fact]
    public async Task An_unmatched_claim_posts_its_cash_to_unapplied_and_raises_a_non_blocking_exception()
    {
        await using var f = await WorkflowFixture.StartAsync();
        await f.PublishAsync(Remittance("TRN-7101", "PCN-UNKNOWN"));

        var done = await f.WaitAsync(WorkflowInstanceIds.Remittance("ACME", "TRN-7101"));

        var result = done.ReadOutputAs<RemittanceToGlResult>()!;
        Assert.Equal(RemittanceToGlResult.Posted, result.Outcome);
        Assert.Equal(1, result.Exceptions);
        Assert.NotEmpty(f.ErpJournals());
        var exception = Assert.Single(f.Services.GetRequiredService<ExceptionBook>().List(open: true));
        Assert.Equal("unmatched-claim", exception.Reason);
        Assert.False(exception.Blocking);
        Assert.Equal("PCN-UNKNOWN", exception.ClaimId);
    }

    [Fact]
    public async Task A_discharge_cancelled_before_posting_stops_the_bill()
    {
        await using var f = await WorkflowFixture.StartAsync(quietPeriod: TimeSpan.FromMinutes(10));
        await f.PublishAsync(Charge("ENC-7201", "C1", 100m, "0450"));
        await f.PublishAsync(Discharge("ENC-7201"));
        var instance = WorkflowInstanceIds.Discharge("RMC", "ENC-7201");
        await Poll.UntilAsync(async () => (await f.Engine.GetInstanceAsync(instance, false))?.RuntimeStatus == OrchestrationRuntimeStatus.Running, "the instance to wait");

        await f.PublishAsync(CancelDischarge("ENC-7201"));
        var done = await f.WaitAsync(instance);

        Assert.Equal(DischargeToBillResult.Cancelled, done.ReadOutputAs<DischargeToBillResult>()!.Outcome);
        Assert.Empty(f.ErpJournals());
    }

    [Fact]
    public async Task The_sla_raises_discharged_not_final_billed_and_coding_complete_bills_at_once()
    {
        await using var f = await WorkflowFixture.StartAsync(slaPeriod: TimeSpan.FromMilliseconds(300), quietPeriod: TimeSpan.FromMinutes(10));
        await f.PublishAsync(Charge("ENC-7301", "C1", 100m, "0450"));
        await UntilChargesAsync(f, "ENC-7301", 1);
        await f.PublishAsync(Discharge("ENC-7301"));
        var instance = WorkflowInstanceIds.Discharge("RMC", "ENC-7301");
        var book = f.Services.GetRequiredService<ExceptionBook>();
        await Poll.UntilAsync(() => Task.FromResult(book.List(open: true).Any(e => e.Reason == "discharged-not-final-billed")), "the SLA exception");
        Assert.Empty(f.ErpJournals());

        await f.Engine.RaiseEventAsync(instance, WorkflowEvents.CodingComplete);
        var done = await f.WaitAsync(instance);

        Assert.Equal(DischargeToBillResult.Posted, done.ReadOutputAs<DischargeToBillResult>()!.Outcome);
        Assert.Single(f.ErpJournals());
        Assert.Single(book.List(open: true), e => e.InstanceId == instance);
        Assert.True((await f.Engine.VerifyReplayAsync(instance)).IsDeterministic);
    }

    [Fact]
    public async Task The_exceptions_endpoints_need_the_admin_key()
    {
        await using var f = await WorkflowFixture.StartAsync();
        var endpoints = f.Services.GetRequiredService<ExceptionEndpoints>();
        var anonymous = new DefaultHttpContext();
        var admin = new DefaultHttpContext();
        admin.Request.Headers["x-functions-key"] = WorkflowFixture.AdminKey;

        Assert.Equal(StatusCodes.Status401Unauthorized, await StatusOf(await endpoints.ListAsync(anonymous.Request), anonymous));
        Assert.Equal(StatusCodes.Status200OK, await StatusOf(await endpoints.ListAsync(admin.Request), admin));
        Assert.Equal(StatusCodes.Status404NotFound, await StatusOf(await endpoints.ResolveAsync(admin.Request, "EX-NONE"), admin));
    }

    private static async Task<int> StatusOf(IResult result, HttpContext context)
    {
        context.RequestServices = new ServiceCollection().AddLogging().BuildServiceProvider();
        context.Response.Body = new MemoryStream();
        await result.ExecuteAsync(context);
        return context.Response.StatusCode;
    }

    private static Task UntilChargesAsync(WorkflowFixture f, string encounter, int count) =>
        Poll.UntilAsync(() => Task.FromResult(f.Services.GetRequiredService<WorkflowReadModels>().ChargesOf("RMC", encounter).Count >= count), $"{count} charges");

    private static Task UntilClaimAsync(WorkflowFixture f, string claimId) =>
        Poll.UntilAsync(() => Task.FromResult(f.Services.GetRequiredService<WorkflowReadModels>().FindClaim(claimId) is not null), "the claim index");
}
