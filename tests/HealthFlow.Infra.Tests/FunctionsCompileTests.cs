using HealthFlow.Infra.Tests.Support;

namespace HealthFlow.Infra.Tests;

/// <summary>
/// functions/HealthFlow.Functions, compiled here without its Azure packages (<see cref="FunctionsCompileCheck"/>):
/// whatever it uses of HealthFlow binds, and the check fails on the kinds of drift it exists to catch.
/// </summary>
public sealed class FunctionsCompileTests
{
    private const string Folder = "functions/HealthFlow.Functions";

    [Fact]
    public void Every_HealthFlow_member_the_functions_app_uses_exists_with_the_signature_it_calls()
    {
        var errors = FunctionsCompileCheck.Errors(Directory.EnumerateFiles(Repository.PathOf(Folder), "*.cs"));

        Assert.True(errors.Count == 0, "functions/HealthFlow.Functions does not compile against HealthFlow.Pipeline:\n" + string.Join('\n', errors));
    }

    [Theory]
    [InlineData("WorkflowFunctions.cs", "readModels.CatchUpAsync(", "readModels.CatchUpEverythingAsync(", "CS1061")] // a renamed method
    [InlineData("ServiceBusTopicBus.cs", "IAsyncEnumerable<DeadLetteredMessage> ReadDeadLettersAsync(", "IAsyncEnumerable<DeadLetteredMessage> ReadDeadLettersOfAsync(", "CS0535")] // an interface member not implemented
    [InlineData("WorkflowFunctions.cs", "WorkflowReadModels readModels", "WorkflowReadModel readModels", "CS0246")] // a HealthFlow type that is not there
    public void A_use_of_HealthFlow_that_no_longer_binds_fails_the_check(string file, string find, string replace, string expectedError)
    {
        using var copy = new TemporaryFolder();
        foreach (var source in Directory.EnumerateFiles(Repository.PathOf(Folder), "*.cs"))
        {
            var text = File.ReadAllText(source);
            if (Path.GetFileName(source) == file)
            {
                Assert.Contains(find, text, StringComparison.Ordinal);
                text = text.Replace(find, replace, StringComparison.Ordinal);
            }

            copy.Write(Path.GetFileName(source), text);
        }

        var errors = FunctionsCompileCheck.Errors(Directory.EnumerateFiles(copy.Path, "*.cs"));

        Assert.Contains(errors, error => error.Contains(file, StringComparison.Ordinal) && error.Contains(expectedError, StringComparison.Ordinal));
    }
}
