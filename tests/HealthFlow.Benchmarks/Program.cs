using BenchmarkDotNet.Running;

// `dotnet run -c Release --project tests/HealthFlow.Benchmarks -- --filter '*X12*'` runs one family;
// see docs/PERFORMANCE.md for the commands behind each recorded figure.
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
