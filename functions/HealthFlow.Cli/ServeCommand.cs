using System.CommandLine;
using HealthFlow.Pipeline.Runtime;

namespace HealthFlow.Cli;

/// <summary><c>healthflow serve</c>: the local runtime on http://127.0.0.1:7071 with the same routes as the Functions app.</summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var data = CliOptions.Data();
        var urls = new Option<string?>("--urls") { Description = $"Listen address (default {LocalRuntime.DefaultUrls}, or the HealthFlow:Urls setting)." };
        var mllp = new Option<string?>("--mllp") { Description = "Also accept HL7 v2 over MLLP on this address, e.g. 127.0.0.1:2575 (allow-list: Mllp:Sources settings)." };
        var command = new Command("serve", "Run the local runtime: HTTP ingestion, ledger and bus on this machine.") { data, urls, mllp };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var overrides = new Dictionary<string, string?>();
            // Command-line options win over local.settings.json and environment variables; --data only when given.
            if (parse.GetResult(data) is { Implicit: false })
                overrides["HealthFlow:Data"] = parse.GetValue(data);
            if (parse.GetValue(urls) is { } listen)
                overrides["HealthFlow:Urls"] = listen;
            if (parse.GetValue(mllp) is { } mllpEndpoint)
                overrides["Mllp:Endpoint"] = mllpEndpoint;
            var configuration = LocalSettings.Build(Environment.CurrentDirectory, overrides);
            await using var runtime = await LocalRuntime.StartAsync(configuration, cancellationToken);
            Console.WriteLine($"HealthFlow listening on {runtime.Address}");
            if (runtime.MllpEndpoint is { } endpoint)
                Console.WriteLine($"MLLP listening on {endpoint}");
            Console.WriteLine($"Data folder: {runtime.Data.Path}");
            Console.WriteLine($"Vendors: {string.Join(", ", runtime.Vendors.VendorNames)}");
            foreach (var note in runtime.Ledger.RecoveryNotes)
                Console.WriteLine($"Ledger recovery: {note}");
            if (runtime.Ledger.Fault is { } fault)
                Console.WriteLine($"LEDGER BROKEN at {fault}: appends refused; see `healthflow ledger repair`.");
            await runtime.WaitForShutdownAsync(cancellationToken);
            return 0;
        });
        return command;
    }
}
