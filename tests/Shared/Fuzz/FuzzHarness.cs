using System.Diagnostics;
using System.Security.Cryptography;
using FsCheck;
using FsCheck.Fluent;

namespace HealthFlow.Tests.Shared.Fuzz;

/// <summary>A reader under fuzzing: mutated inputs, and the property every input must hold.</summary>
internal interface IFuzzTarget
{
    /// <summary>"x12" or "fhir": names the regressions folder and the harness mode.</summary>
    string Name { get; }

    /// <summary>Extension of saved failing inputs.</summary>
    string Extension { get; }

    /// <summary>Mutations of the real fixtures and generated messages.</summary>
    Gen<byte[]> Inputs { get; }

    /// <summary>Reads the input as the pipeline would; returns what is wrong with the answer, or null. May throw (a failure).</summary>
    string? Violation(byte[] input);
}

/// <summary>A failing input: saved under tests/fixtures/fuzz-regressions/{target}/ so a test replays it.</summary>
internal sealed record FuzzFailure(string File, string Problem);

/// <summary>What a run did.</summary>
internal sealed record FuzzSummary(string Target, long Inputs, TimeSpan Elapsed, IReadOnlyList<FuzzFailure> Failures);

/// <summary>
/// Runs a target over FsCheck-generated inputs. Each input is read on a worker with a time bound, so a hang is a
/// failure and not a stuck run; an exception, a hang or a wrong answer saves the input and the run goes on.
/// </summary>
internal static class FuzzHarness
{
    /// <summary>Generous on purpose (the machines are shared): inputs are at most a few hundred KB and read in milliseconds; only a hang takes this long.</summary>
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    /// <summary>Where a target's failing inputs are saved.</summary>
    public static string RegressionsFolder(string target) => SourceTree.PathOf($"tests/fixtures/fuzz-regressions/{target}");

    /// <summary>Checks <paramref name="inputs"/> generated inputs (FsCheck picks a fresh seed each run: CI covers new ground every time).</summary>
    public static FuzzSummary Run(IFuzzTarget target, int inputs, Action<long>? progress = null)
    {
        var failures = new List<FuzzFailure>();
        var checkedInputs = 0L;
        var clock = Stopwatch.StartNew();
        var config = Config.Quick.WithMaxTest(inputs).WithQuietOnSuccess(true);
        var property = Prop.ForAll(Arb.From(target.Inputs), input =>
        {
            if (ProblemWith(target, input) is { } problem)
                failures.Add(Save(target, input, problem));
            if (++checkedInputs % 100_000 == 0)
                progress?.Invoke(checkedInputs);
            return true; // failures are collected, so one bad input does not end a long run
        });
        Check.One(config, property);
        return new FuzzSummary(target.Name, checkedInputs, clock.Elapsed, failures);
    }

    /// <summary>Null when the input reads within the bound and the answer holds; else why not.</summary>
    public static string? ProblemWith(IFuzzTarget target, byte[] input)
    {
        var read = Task.Run(() => target.Violation(input));
        try
        {
            return read.Wait(Bound) ? read.Result : $"no answer within {Bound.TotalSeconds:0} s (hang)";
        }
        catch (AggregateException exception)
        {
            return $"threw {exception.InnerException}";
        }
    }

    /// <summary>Every saved failing input (they must all pass once the bug is fixed).</summary>
    public static IEnumerable<string> Regressions(string target) =>
        Directory.Exists(RegressionsFolder(target))
            ? Directory.EnumerateFiles(RegressionsFolder(target)).Order(StringComparer.Ordinal)
            : [];

    private static FuzzFailure Save(IFuzzTarget target, byte[] input, string problem)
    {
        var folder = RegressionsFolder(target.Name);
        Directory.CreateDirectory(folder);
        var file = Path.Combine(folder, Convert.ToHexStringLower(SHA256.HashData(input))[..16] + target.Extension);
        File.WriteAllBytes(file, input);
        return new FuzzFailure(file, problem);
    }
}
