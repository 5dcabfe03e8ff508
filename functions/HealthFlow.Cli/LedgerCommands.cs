using System.CommandLine;
using HealthFlow.Ledger;
using HealthFlow.Ledger.Storage;

namespace HealthFlow.Cli;

/// <summary><c>healthflow ledger verify|repair</c>.</summary>
internal static class LedgerCommands
{
    public static Command Create()
    {
        var ledger = new Command("ledger", "Check and repair the hash-chained ledger.");
        ledger.Subcommands.Add(Verify());
        ledger.Subcommands.Add(Repair());
        return ledger;
    }

    private static Command Verify()
    {
        var data = CliOptions.Data();
        var command = new Command("verify", "Walk the hash chain from the first record and name the first record that does not verify. Exit 0 when whole, 2 when broken.") { data };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var store = FileBlobStore.OpenReadOnly(parse.GetValue(data)!);
            var result = await LedgerVerifier.VerifyAsync(store, cancellationToken: cancellationToken);
            foreach (var note in result.Notes)
                Console.WriteLine($"note: {note}");
            if (result.Fault is { } fault)
            {
                Console.WriteLine($"BROKEN after {result.Records} verified records: {fault}");
                return 2;
            }
            Console.WriteLine($"ok: {result.Records} records in {result.Segments} segments verify");
            return 0;
        });
        return command;
    }

    private static Command Repair()
    {
        var data = CliOptions.Data();
        var reason = new Option<string>("--reason") { Description = "Why the loss is accepted (recorded in the ledger).", Required = true };
        var command = new Command("repair",
            "Accept the loss of everything after the last good record and reopen the chain in a new segment that records the break and your reason. "
            + "The damaged bytes stay in place. Run only with the server stopped, after restoring from backup has been ruled out.") { data, reason };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var store = FileBlobStore.OpenWritable(parse.GetValue(data)!);
            var fault = await BlobLedger.RepairAsync(store, parse.GetValue(reason)!, cancellationToken: cancellationToken);
            Console.WriteLine(fault is null ? "nothing to repair: the chain verifies" : $"repaired: chain reopened after the break at {fault}");
            return 0;
        });
        return command;
    }
}
