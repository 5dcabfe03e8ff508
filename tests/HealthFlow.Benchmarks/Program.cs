using BenchmarkDotNet.Running;
using HealthFlow.Benchmarks;
using HealthFlow.Pipeline.Runtime;

// `dotnet run -c Release --project tests/HealthFlow.Benchmarks -- --filter '*X12*'` runs one family;
// `... -- ledger` runs the ledger group-commit harness (LedgerThroughput.cs says why it is not a BenchmarkDotNet class);
// see docs/PERFORMANCE.md for the commands behind each recorded figure.
if (args.Length > 0 && args[0] == "ledger")
    return await LedgerThroughput.RunAsync(args[1..]);
// `... -- ledger-turnaround` prints the ledger's turnaround between two group commits on a store that sleeps instead of writing (LedgerTurnaround.cs).
if (args.Length > 0 && args[0] == "ledger-turnaround")
    return await LedgerTurnaround.RunAsync(args[1..]);
// `... -- ledger-fsync` compares write+fsync back to back with write+fsync after a pause as long as the turnaround (LedgerFsyncGap.cs).
if (args.Length > 0 && args[0] == "ledger-fsync")
    return await LedgerFsyncGap.RunAsync(args[1..]);
// `... -- x12-throughput [rounds]` prints the X12 scan/typed-read MB/s and ratio in CPU time (X12ThroughputHarness.cs);
// `... -- x12-canonical [rounds]` the same for issue 4's goal: parse + canonicalize, as POST /api/x12 does.
if (args.Length > 0 && args[0] is "x12-throughput" or "x12-canonical")
    return X12ThroughputHarness.Run(args[1..], canonical: args[0] == "x12-canonical");
// `... -- x12-streaming [MB]` prints the peak working set streaming a generated 835 from disk (X12StreamingHarness.cs).
if (args.Length > 0 && args[0] == "x12-streaming")
    return X12StreamingHarness.Run(args[1..]);
if (args.Length > 1 && args[0] == "x12-streaming-parse")
    return X12StreamingHarness.Parse(args[1..]);
// `... -- fhir-throughput [rounds]` prints the FHIR token-scan baseline MB/s, read + validate + event facts MB/s and
// their ratio in CPU time (FhirThroughputHarness.cs).
if (args.Length > 0 && args[0] == "fhir-throughput")
    return FhirThroughputHarness.Run(args[1..]);
// `... -- workflows [--encounters N] [--claims N] [--engine-rounds N]` prints discharge-to-bill orchestrations/s and remittance claim
// payments/s on the embedded runtime with durability on (WorkflowThroughput.cs).
if (args.Length > 0 && args[0] == "workflows")
    return await WorkflowThroughput.RunAsync(args[1..]);
// `... -- fuzz x12|fhir [inputs]` runs a reader's fuzz target long (bench/fuzz.sh; FuzzRun.cs).
if (args.Length > 0 && args[0] == "fuzz")
    return FuzzRun.Run(args[1..]);
// `... -- reconciliation [--claims N]` prints seconds and peak memory to reconcile one day of N claim payments (ReconciliationHarness.cs).
if (args.Length > 0 && args[0] == "reconciliation")
    return await ReconciliationHarness.RunAsync(args[1..]);
// `reconciliation-run DIR` is `healthflow reconcile`'s process, with the batch settings (BatchProcess); with `--serve`, the
// process keeps the runtime's defaults, as `healthflow serve`'s daily schedule has them.
if (args.Length > 1 && args[0] == "reconciliation-run")
    return args.Contains("--serve") || BatchProcess.HasSettings
        ? await ReconciliationHarness.RunChildAsync(args[1..])
        : await BatchProcess.RunAgainAsync(args);
// `... -- rebuild [--records N] [--rounds 3]` prints the full read-model rebuild rate in records/s (RebuildHarness.cs).
// It runs as `healthflow rebuild` does, with the batch settings.
if (args.Length > 0 && args[0] == "rebuild")
    return BatchProcess.HasSettings ? await RebuildHarness.RunAsync(args[1..]) : await BatchProcess.RunAgainAsync(args);
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
