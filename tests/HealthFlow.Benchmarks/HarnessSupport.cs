using System.Globalization;

namespace HealthFlow.Benchmarks;

/// <summary>What every Stopwatch harness needs: its command-line options and the load average it ran under.</summary>
internal static class HarnessSupport
{
    /// <summary>The value after <paramref name="name"/> in <paramref name="args"/>, or <paramref name="fallback"/>.</summary>
    public static string Option(string[] args, string name, string fallback)
    {
        var at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? args[at + 1] : fallback;
    }

    public static int Option(string[] args, string name, int fallback) =>
        int.Parse(Option(args, name, fallback.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);

    /// <summary>The 1, 5 and 15 minute load averages (Linux), "n/a" elsewhere: every figure is recorded with it.</summary>
    public static string LoadAverage()
    {
        try
        {
            return File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ')[..3]) : "n/a";
        }
        catch (IOException)
        {
            return "n/a";
        }
    }
}
