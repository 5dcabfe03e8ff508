using HealthFlow.Pipeline.Orchestration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace HealthFlow.Pipeline.Tests.Orchestration;

/// <summary>The replay itself, on hand-written histories: what the code sees and what it is held to.</summary>
public sealed class Replaying_a_history
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 21, 9, 0, 0, TimeSpan.Zero);
    private static readonly IServiceProvider NoServices = new ServiceCollection().BuildServiceProvider();

    [Fact]
    public void gives_the_code_the_time_of_the_episode_that_first_processed_each_event()
    {
        var seen = new List<(DateTime Time, bool Replaying)>();
        var code = Code<int, int>(async (context, input) =>
        {
            seen.Add((context.CurrentUtcDateTime, context.IsReplaying));
            var x = await context.CallActivityAsync<int>("Add", input);
            seen.Add((context.CurrentUtcDateTime, context.IsReplaying));
            return await context.CallActivityAsync<int>("Add", x);
        });
        var history = new List<HistoryEvent>
        {
            Started("1"),
            Marker(T0),
            Scheduled(0, "Add", T0),
            Completed(0, "2", T0.AddMinutes(5)),
            // No marker after the completion: it is new, processed by this episode.
        };

        var outcome = OrchestrationReplay.Run("i", code, NoServices, history, T0.AddMinutes(7));

        Assert.Equal([(T0.UtcDateTime, true), (T0.AddMinutes(7).UtcDateTime, false)], seen);
        Assert.True(outcome.State == ReplayState.Waiting, outcome.Failure?.ToString());
        var action = Assert.Single(outcome.NewActions);
        Assert.Equal((HistoryEventType.TaskScheduled, 1, "Add", "2"), (action.Type, action.EventId, action.Name, action.Input));
    }

    [Fact]
    public void hands_buffered_events_out_one_per_wait_in_arrival_order()
    {
        var code = Code<int, string>(async (context, _) =>
        {
            var first = await context.WaitForExternalEvent<string>("Fix");
            var second = await context.WaitForExternalEvent<string>("fix");
            return $"{first},{second}";
        });
        var history = new List<HistoryEvent>
        {
            Started("0"),
            new(HistoryEventType.EventRaised, T0) { Name = "FIX", Input = "\"a\"" },
            new(HistoryEventType.EventRaised, T0) { Name = "fix", Input = "\"b\"" },
        };

        var outcome = OrchestrationReplay.Run("i", code, NoServices, history, T0);

        Assert.True(outcome.State == ReplayState.Completed, outcome.Failure?.ToString());
        Assert.Equal("\"a,b\"", outcome.Output);
    }

    [Fact]
    public void fails_as_non_deterministic_when_the_code_no_longer_makes_a_recorded_call()
    {
        var code = Code<int, int>((context, input) => context.CallActivityAsync<int>("Add", input));
        var history = new List<HistoryEvent>
        {
            Started("1"),
            Marker(T0),
            Scheduled(0, "Add", T0),
            Completed(0, "2", T0),
            Marker(T0),
            Scheduled(1, "Post", T0),
        };

        var outcome = OrchestrationReplay.Run("i", code, NoServices, history, T0);

        Assert.True(outcome.IsNonDeterministic);
        Assert.Contains("TaskScheduled 'Post' (#1)", outcome.Failure!.ErrorMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void fails_as_non_deterministic_when_the_code_makes_a_call_the_recorded_run_did_not()
    {
        var code = Code<int, int>(async (context, input) =>
        {
            var x = await context.CallActivityAsync<int>("Add", input);
            await context.CreateTimer(context.CurrentUtcDateTime.AddMinutes(1), CancellationToken.None);
            return await context.CallActivityAsync<int>("Add", x);
        });
        var history = new List<HistoryEvent>
        {
            Started("1"),
            Marker(T0),
            Scheduled(0, "Add", T0),
            Completed(0, "2", T0),
            // The recorded run went straight on to the second Add after the first; this code wants a timer.
            Marker(T0),
            Scheduled(1, "Add", T0),
        };

        var outcome = OrchestrationReplay.Run("i", code, NoServices, history, T0);

        Assert.True(outcome.IsNonDeterministic);
        Assert.Contains("history has TaskScheduled 'Add' (#1)", outcome.Failure!.ErrorMessage, StringComparison.Ordinal);
        Assert.Contains("now schedules TimerCreated (#1)", outcome.Failure.ErrorMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void keeps_the_replay_safe_logger_quiet_until_the_code_reaches_new_events()
    {
        var logger = new CollectingLogger();
        var code = Code<int, int>(async (context, input) =>
        {
            var log = context.CreateReplaySafeLogger(logger);
            log.LogInformation("before first");
            var x = await context.CallActivityAsync<int>("Add", input);
            log.LogInformation("after first");
            return await context.CallActivityAsync<int>("Add", x);
        });
        var history = new List<HistoryEvent> { Started("1"), Marker(T0), Scheduled(0, "Add", T0), Completed(0, "2", T0) };

        OrchestrationReplay.Run("i", code, NoServices, history, T0);

        Assert.Equal(["after first"], logger.Lines);
    }

    [Fact]
    public void produces_the_same_guids_on_every_replay()
    {
        var code = Code<int, string>(context => Task.FromResult($"{context.NewGuid()} {context.NewGuid()}"));
        var first = OrchestrationReplay.Run("i", code, NoServices, [Started("0")], T0);
        var second = OrchestrationReplay.Run("i", code, NoServices, [Started("0")], T0);
        var other = OrchestrationReplay.Run("j", code, NoServices, [Started("0")], T0);

        Assert.Equal(first.Output, second.Output);
        Assert.NotEqual(first.Output, other.Output);
        var guids = OrchestrationJson.Deserialize<string>(first.Output)!.Split(' ').Select(Guid.Parse).ToList();
        Assert.NotEqual(guids[0], guids[1]);
        Assert.All(guids, g => Assert.Equal(8, g.Version));
    }

    private static RegisteredOrchestrator Code<TIn, TOut>(Func<OrchestrationContext, TIn, Task<TOut>> run)
    {
        var registry = new OrchestrationRegistry().AddOrchestrator("Sample", _ => new Lambda<TIn, TOut>(run));
        return registry.FindOrchestrator("Sample")!;
    }

    private static RegisteredOrchestrator Code<TIn, TOut>(Func<OrchestrationContext, Task<TOut>> run) => Code<TIn, TOut>((context, _) => run(context));

    private static HistoryEvent Started(string input) => new(HistoryEventType.ExecutionStarted, T0) { Name = "Sample", Input = input };

    private static HistoryEvent Marker(DateTimeOffset at) => new(HistoryEventType.OrchestratorStarted, at);

    private static HistoryEvent Scheduled(int id, string name, DateTimeOffset at) => new(HistoryEventType.TaskScheduled, at) { EventId = id, Name = name };

    private static HistoryEvent Completed(int id, string result, DateTimeOffset at) => new(HistoryEventType.TaskCompleted, at) { TaskScheduledId = id, Result = result };

    private sealed class Lambda<TIn, TOut>(Func<OrchestrationContext, TIn, Task<TOut>> run) : IOrchestrator<TIn, TOut>
    {
        public Task<TOut> RunAsync(OrchestrationContext context, TIn input) => run(context, input);
    }

    private sealed class CollectingLogger : ILogger
    {
        public List<string> Lines { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Lines.Add(formatter(state, exception));
    }
}
