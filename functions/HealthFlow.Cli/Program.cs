using System.CommandLine;
using HealthFlow.Cli;
using HealthFlow.Pipeline.Runtime;

// A batch job runs with the runtime settings of one (BatchProcess says why), which only a new process can have.
if (args is ["reconcile" or "rebuild", ..] && !BatchProcess.HasSettings)
    return await BatchProcess.RunAgainAsync(args);

var root = new RootCommand("HealthFlow: hospital billing events (X12, FHIR, HL7 v2) to the ERP general ledger, with a hash-chained ledger.");
root.Subcommands.Add(ServeCommand.Create());
root.Subcommands.Add(DemoCommand.Create());
root.Subcommands.Add(LedgerCommands.Create());
root.Subcommands.Add(OperatorCommands.Orchestrations());
root.Subcommands.Add(OperatorCommands.Exceptions());
root.Subcommands.Add(ReconcileCommand.Create());
root.Subcommands.Add(ReplayCommands.Replay());
root.Subcommands.Add(ReplayCommands.Rebuild());
root.Subcommands.Add(InspectCommands.X12());
root.Subcommands.Add(InspectCommands.Fhir());
root.Subcommands.Add(InspectCommands.Hl7());
return await root.Parse(args).InvokeAsync();
