using HealthFlow.Tests.Shared.Fuzz;

namespace HealthFlow.X12.Tests;

/// <summary>
/// A bounded slice of the X12 fuzz target (bench/fuzz.sh runs it long): mutated fixtures and generated interchanges
/// never make the reader throw or hang, and bad input gets its 999/TA1. Failing inputs land in
/// tests/fixtures/fuzz-regressions/x12, and every one there is replayed.
/// </summary>
public sealed class FuzzTests
{
    private static readonly X12FuzzTarget Target = new();

    [Fact]
    public void Mutated_interchanges_never_throw_hang_or_go_unacknowledged()
    {
        var summary = FuzzHarness.Run(Target, inputs: 3000);
        Assert.True(summary.Failures.Count == 0, string.Join("\n", summary.Failures.Select(f => $"{f.File}: {f.Problem}")));
    }

    [Fact]
    public void Every_saved_regression_input_reads_and_is_acknowledged()
    {
        var problems = FuzzHarness.Regressions(Target.Name)
            .Select(file => (file, problem: FuzzHarness.ProblemWith(Target, File.ReadAllBytes(file))))
            .Where(r => r.problem is not null)
            .Select(r => $"{Path.GetFileName(r.file)}: {r.problem}");
        Assert.Empty(problems);
    }
}
