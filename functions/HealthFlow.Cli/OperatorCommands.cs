using System.CommandLine;
using System.Globalization;
using System.Net.Http.Json;
using HealthFlow.Pipeline.Http;
using HealthFlow.Pipeline.Orchestration;
using HealthFlow.Pipeline.Runtime;
using HealthFlow.Pipeline.Workflows;

namespace HealthFlow.Cli;

/// <summary>
/// <c>healthflow orchestrations list</c> and <c>healthflow exceptions list|resolve</c>: an operator's view of a running
/// runtime. They call its HTTP API with the admin key rather than read the data folder, because resolving raises an
/// event on a live orchestration and only the process that owns the ledger may write to it.
/// </summary>
internal static class OperatorCommands
{
    public static Command Orchestrations()
    {
        var (url, adminKey) = (Url(), AdminKey());
        var status = new Option<string?>("--status") { Description = "Only these statuses, comma-separated (Pending, Running, Completed, Failed, Terminated)." };
        var prefix = new Option<string?>("--prefix") { Description = "Only instance ids that start with this, e.g. remit: or discharge:RMC:." };
        var top = new Option<int>("--top") { Description = "At most this many (1–1000).", DefaultValueFactory = _ => 100 };
        var list = new Command("list", "List orchestration instances, newest first as the runtime returns them.") { url, adminKey, status, prefix, top };
        list.SetAction(async (parse, cancellationToken) =>
        {
            var query = $"api/orchestrations?top={parse.GetValue(top).ToString(CultureInfo.InvariantCulture)}"
                + (parse.GetValue(status) is { } s ? "&status=" + Uri.EscapeDataString(s) : "")
                + (parse.GetValue(prefix) is { } p ? "&prefix=" + Uri.EscapeDataString(p) : "");
            using var http = Client(parse, url, adminKey);
            var instances = await GetAsync<List<OrchestrationStatusView>>(http, query, cancellationToken);
            if (instances is null)
                return 1;
            Console.WriteLine($"{"instance",-60} {"name",-30} {"status",-10} {"updated (UTC)",-19}");
            foreach (var i in instances)
                Console.WriteLine($"{i.InstanceId,-60} {i.Name,-30} {i.RuntimeStatus,-10} {Time(i.LastUpdatedAt)}");
            Console.WriteLine($"{instances.Count} instance(s)");
            return 0;
        });
        var command = new Command("orchestrations", "Orchestration instances of a running runtime (admin key).");
        command.Subcommands.Add(list);
        return command;
    }

    public static Command Exceptions()
    {
        var (url, adminKey) = (Url(), AdminKey());
        var status = new Option<string>("--status") { Description = "open, resolved or all.", DefaultValueFactory = _ => "open" };
        var list = new Command("list", "List exceptions with their reason, instance and the action that resumes them.") { url, adminKey, status };
        list.SetAction(async (parse, cancellationToken) =>
        {
            using var http = Client(parse, url, adminKey);
            var exceptions = await GetAsync<List<WorkflowException>>(http, "api/exceptions?status=" + Uri.EscapeDataString(parse.GetValue(status)!), cancellationToken);
            if (exceptions is null)
                return 1;
            foreach (var e in exceptions)
            {
                Console.WriteLine($"{e.Id}  {e.Kind,-20} {e.Reason,-22} {(e.Blocking ? "blocking" : "")}  raised {Time(e.RaisedAt)}{(e.ResolvedAt is { } at ? $"  resolved {Time(at)}" : "")}");
                Console.WriteLine($"    instance {e.InstanceId}  correlation {e.CorrelationId}");
                Console.WriteLine($"    action: {e.Action}");
            }
            Console.WriteLine($"{exceptions.Count} exception(s)");
            return 0;
        });

        var id = new Argument<string>("id") { Description = "The exception id (EX-...)." };
        var resolve = new Command("resolve", "Mark an exception resolved and raise its resume event (after fixing what it names).") { url, adminKey, id };
        resolve.SetAction(async (parse, cancellationToken) =>
        {
            using var http = Client(parse, url, adminKey);
            using var response = await http.PostAsync(new Uri($"api/exceptions/{Uri.EscapeDataString(parse.GetValue(id)!)}/resolve", UriKind.Relative), null, cancellationToken);
            if (!await SucceededAsync(response, cancellationToken))
                return 1;
            var answer = await response.Content.ReadFromJsonAsync<ResolveAnswer>(ApiJson.Options, cancellationToken);
            Console.WriteLine(answer?.ResumeEvent is { } resumeEvent
                ? $"resolved; {resumeEvent} raised on {answer.Exception.InstanceId}: {answer.Resumed}"
                : $"resolved; {answer?.Exception.InstanceId} has nothing to resume (the decision is recorded)");
            return 0;
        });

        var command = new Command("exceptions", "The exceptions workbench of a running runtime (admin key).");
        command.Subcommands.Add(list);
        command.Subcommands.Add(resolve);
        return command;
    }

    private sealed record ResolveAnswer(WorkflowException Exception, string? ResumeEvent, string? Resumed);

    internal static Option<string> Url() => new("--url")
    {
        Description = "The runtime's address (default: HEALTHFLOW_URL, else the address `healthflow serve` listens on).",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("HEALTHFLOW_URL") ?? LocalRuntime.DefaultUrls,
    };

    internal static Option<string?> AdminKey() => new("--admin-key")
    {
        Description = "The admin key (default: HEALTHFLOW_ADMIN_KEY; the runtime's Admin:Key setting).",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("HEALTHFLOW_ADMIN_KEY"),
    };

    internal static HttpClient Client(ParseResult parse, Option<string> url, Option<string?> adminKey)
    {
        var http = new HttpClient { BaseAddress = new Uri(parse.GetValue(url)!.TrimEnd('/') + "/"), Timeout = TimeSpan.FromSeconds(30) };
        if (parse.GetValue(adminKey) is { Length: > 0 } key)
            http.DefaultRequestHeaders.Add("x-functions-key", key);
        return http;
    }

    private static async Task<T?> GetAsync<T>(HttpClient http, string path, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync(new Uri(path, UriKind.Relative), cancellationToken);
        return await SucceededAsync(response, cancellationToken)
            ? await response.Content.ReadFromJsonAsync<T>(ApiJson.Options, cancellationToken)
            : default;
    }

    /// <summary>True on 2xx; otherwise prints the status and the problem's detail to stderr.</summary>
    internal static async Task<bool> SucceededAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
            return true;
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        await Console.Error.WriteLineAsync($"{(int)response.StatusCode} {response.ReasonPhrase}: {body}");
        return false;
    }

    private static string Time(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
}
