using HealthFlow.Finance;
using HealthFlow.Ledger.Storage;
using HealthFlow.Pipeline.Reconciliation;
using HealthFlow.Pipeline.Tests.Support;
using HealthFlow.Pipeline.Workflows;
using Microsoft.Extensions.DependencyInjection;
using static HealthFlow.Pipeline.Tests.Workflows.WorkflowSamples;

namespace HealthFlow.Pipeline.Tests.Reconciliation;

/// <summary>
/// The reporting tables in a blob container, as in Azure: instances with their own passing disks reconcile different
/// days into one container, and neither overwrites the other's rows, even when they write at the same moment.
/// </summary>
public sealed class ReportingContainerTests
{
    private static readonly DateOnly PaymentDay = new(2026, 11, 21);
    private static readonly DateOnly DischargeDay = DateOnly.FromDateTime(DischargedAt.UtcDateTime);

    [Fact]
    public async Task Days_reconciled_on_different_instances_add_up_in_the_container_even_when_they_race()
    {
        await using var host = await RuntimeHost.StartAsync(new Dictionary<string, string?> { ["Workflows:QuietPeriodSeconds"] = "0.3" });
        await ReconciliationRunnerTests.PostDayAsync(host, withDischarge: true);
        using var blobs = FileBlobStore.OpenWritable(Path.Combine(host.Folder, "reporting-container"));
        using var otherContainer = new ReportingContainer(blobs);
        var other = Instance(host, otherContainer);
        // The other instance writes the discharge day just after this one pulled, before it puts: its first put conflicts.
        var racing = new RacingStore(blobs, () => other.RunAsync(DischargeDay));
        using var firstContainer = new ReportingContainer(racing);
        var first = Instance(host, firstContainer);

        await first.RunAsync(PaymentDay);
        using var fresh = new ReportingContainer(blobs);
        var folder = Path.Combine(RuntimeHost.NewFolder(), ReportingTables.Folder);
        await fresh.PullAsync(folder);

        Assert.True(racing.Raced);
        Assert.Equal(["20261120", "20261121"], ReportingTables.Read(folder, ReportingTables.Dates).Select(r => r[0]));
        Assert.Equal(["20261120", "20261121"], ReportingTables.Read(folder, ReportingTables.Totals).Select(r => r[0]).Distinct().Order(StringComparer.Ordinal));
        foreach (var table in ReportingTables.All)
            Assert.Equal((await blobs.GetAsync(table.FileName))!.Data.ToArray(), await File.ReadAllBytesAsync(Path.Combine(folder, table.FileName)));
        Directory.Delete(Path.GetDirectoryName(folder)!, recursive: true);
    }

    /// <summary>A runner of another instance: the same ledger, its own data folder.</summary>
    private static ReconciliationRunner Instance(RuntimeHost host, ReportingContainer container)
    {
        var services = host.Runtime.Services;
        return new ReconciliationRunner(host.Runtime.Ledger, Path.Combine(host.Folder, "instance-" + Guid.NewGuid().ToString("N")), services.GetRequiredService<MasterDataSource>().Current,
            services.GetRequiredService<PatientTokenizer>(), services.GetRequiredService<ReconciliationOptions>(), TimeProvider.System, container);
    }

    /// <summary>A store that lets another writer in once, between the first pull and the first put.</summary>
    private sealed class RacingStore(IBlobStore inner, Func<Task> otherWriter) : IBlobStore
    {
        public bool Raced { get; private set; }

        public async Task<PutResult> PutAsync(string name, ReadOnlyMemory<byte> data, string? ifMatch, CancellationToken cancellationToken = default)
        {
            if (!Raced)
            {
                Raced = true;
                await otherWriter();
            }

            return await inner.PutAsync(name, data, ifMatch, cancellationToken);
        }

        public Task<bool> CreateIfAbsentAsync(string name, CancellationToken cancellationToken = default) => inner.CreateIfAbsentAsync(name, cancellationToken);

        public Task<AppendResult> AppendAsync(string name, long expectedOffset, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default) =>
            inner.AppendAsync(name, expectedOffset, data, cancellationToken);

        public Task<int> ReadAsync(string name, long offset, Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReadAsync(name, offset, buffer, cancellationToken);

        public Task<BlobInfo?> GetInfoAsync(string name, CancellationToken cancellationToken = default) => inner.GetInfoAsync(name, cancellationToken);

        public IAsyncEnumerable<BlobInfo> ListAsync(string prefix, CancellationToken cancellationToken = default) => inner.ListAsync(prefix, cancellationToken);

        public Task<BlobContent?> GetAsync(string name, CancellationToken cancellationToken = default) => inner.GetAsync(name, cancellationToken);

        public Task<DeleteStatus> DeleteAsync(string name, string? ifMatch = null, CancellationToken cancellationToken = default) => inner.DeleteAsync(name, ifMatch, cancellationToken);
    }
}
