using System.Globalization;
using HealthFlow.LoadDriver;

// bench/ingest.sh drives this; run it directly against any server with:
//   dotnet bench/HealthFlow.LoadDriver/bin/Release/net10.0/HealthFlow.LoadDriver.dll run --url http://127.0.0.1:7071 --key KEY
//   ... free-port   prints a free loopback TCP port
if (args.Length > 0 && args[0] == "free-port")
{
    Console.WriteLine(LoadRun.FreeLoopbackPort().ToString(CultureInfo.InvariantCulture));
    return 0;
}
if (args.Length == 0 || args[0] != "run")
{
    Console.Error.WriteLine("usage: HealthFlow.LoadDriver run --url URL --key KEY [--rate 1000] [--open-seconds 10] [--connections 64] [--saturate-seconds 10] [--warmup-seconds 3] [--health-timeout-seconds 60] [--fsync-probe DIR]");
    Console.Error.WriteLine("       HealthFlow.LoadDriver free-port");
    return 2;
}
var settings = LoadSettings.Parse(args[1..]);
return await LoadRun.RunAsync(settings);
