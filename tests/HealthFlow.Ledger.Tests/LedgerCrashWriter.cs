using System.Diagnostics;
using System.Text;
using HealthFlow.Ledger;
using HealthFlow.Ledger.Storage;

namespace HealthFlow.Ledger.Tests;

/// <summary>
/// Entry point of the test assembly when run as a child process: <c>crash-writer DIR WRITERS</c> appends
/// records from several concurrent writers forever and prints "acked SEQ KEY" after each append returns.
/// The crash test kills it with SIGKILL and checks that every acknowledged record survived.
/// </summary>
public static class LedgerCrashWriter
{
    public static async Task<int> Main(string[] args)
    {
        if (args.Length < 3 || args[0] != "crash-writer")
            return 64;
        using var store = FileBlobStore.OpenWritable(args[1]);
        await using var ledger = await BlobLedger.OpenAsync(store, new LedgerOptions { SegmentMaxBytes = 256 * 1024 });
        var output = Console.Out;
        var gate = new Lock();
        var writers = Enumerable.Range(0, int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture)).Select(writer => Task.Run(async () =>
        {
            for (var i = 0; ; i++)
            {
                var key = $"w{writer}-{i}-{Environment.ProcessId}";
                var seq = await ledger.AppendAsync(new LedgerEntry("test", "Acked", key, key, "", Encoding.UTF8.GetBytes(new string('x', 200 + (i % 300)))));
                lock (gate)
                {
                    output.WriteLine($"acked {seq} {key}");
                    output.Flush();
                }
            }
        })).ToArray();
        await Task.WhenAll(writers);
        return 0;
    }

    /// <summary>Starts this assembly as a crash writer on <paramref name="folder"/>.</summary>
    public static Process Start(string folder, int writers)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("exec");
        start.ArgumentList.Add(typeof(LedgerCrashWriter).Assembly.Location);
        start.ArgumentList.Add("crash-writer");
        start.ArgumentList.Add(folder);
        start.ArgumentList.Add(writers.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return Process.Start(start) ?? throw new InvalidOperationException("Could not start the crash writer.");
    }
}
