using HealthFlow.Tests.Shared.Fuzz;

namespace HealthFlow.Fhir.Tests;

/// <summary>
/// A bounded slice of the FHIR fuzz target (bench/fuzz.sh runs it long): mutated resources and generated Bundles (removed and duplicated members, deep nesting, huge numbers, bad UTF-8)
/// never make the reader throw or hang, and bad input gets an OperationOutcome that says why. Failing inputs land in
/// tests/fixtures/fuzz-regressions/fhir, and every one there is replayed.
/// </summary>
public sealed class FuzzTests
{
    private static readonly FhirFuzzTarget Target = new();

    [Fact]
    public void Mutated_resources_never_throw_hang_or_go_without_an_OperationOutcome()
    {
        var summary = FuzzHarness.Run(Target, inputs: 3000);
        Assert.True(summary.Failures.Count == 0, string.Join("\n", summary.Failures.Select(f => $"{f.File}: {f.Problem}")));
    }

    [Fact]
    public void Every_saved_regression_input_reads_to_an_OperationOutcome()
    {
        var problems = FuzzHarness.Regressions(Target.Name)
            .Select(file => (file, problem: FuzzHarness.ProblemWith(Target, File.ReadAllBytes(file))))
            .Where(r => r.problem is not null)
            .Select(r => $"{Path.GetFileName(r.file)}: {r.problem}");
        Assert.Empty(problems);
    }
}
