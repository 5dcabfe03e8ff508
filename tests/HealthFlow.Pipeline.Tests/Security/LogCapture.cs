using System.Collections.Concurrent;
using System.Text;
using Microsoft.Extensions.Logging;

namespace HealthFlow.Pipeline.Tests.Security;

/// <summary>Every log entry a runtime writes, as text: message, structured values, scopes and exception.</summary>
internal sealed class LogCapture : ILoggerProvider, ISupportExternalScope
{
    private IExternalScopeProvider _scopes = new LoggerExternalScopeProvider();

    public ConcurrentQueue<string> Entries { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

    public void Dispose()
    {
    }

    private sealed class Logger(LogCapture owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => owner._scopes.Push(state);

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var text = new StringBuilder().Append(logLevel).Append(' ').Append(category).Append(": ").Append(formatter(state, exception));
            Append(text, state);
            owner._scopes.ForEachScope((scope, into) => Append(into.Append(" scope:"), scope), text);
            if (exception is not null)
                text.Append(' ').Append(exception);
            owner.Entries.Enqueue(text.ToString());
        }

        private static void Append(StringBuilder text, object? values)
        {
            if (values is IEnumerable<KeyValuePair<string, object?>> pairs)
            {
                foreach (var (key, value) in pairs)
                    text.Append(' ').Append(key).Append('=').Append(value);
            }
            else
            {
                text.Append(' ').Append(values);
            }
        }
    }
}
