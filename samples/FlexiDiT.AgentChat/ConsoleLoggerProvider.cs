using Microsoft.Extensions.Logging;

namespace FlexiDiT.AgentChat;

/// <summary>
/// Shows warnings and errors (refusals, stopped runs, budget alerts) on the console as they happen, without a logging
/// package: a chat sample should not print the framework's information chatter between the messages.
/// </summary>
internal sealed class ConsoleLoggerProvider : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new Logger(categoryName[(categoryName.LastIndexOf('.') + 1)..]);

    public void Dispose()
    {
    }

    private sealed class Logger(string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }

            var previous = Console.ForegroundColor;
            Console.ForegroundColor = logLevel >= LogLevel.Error ? ConsoleColor.Red : ConsoleColor.Yellow;
            Console.Error.WriteLine($"  [{logLevel.ToString().ToLowerInvariant()} {category}] {formatter(state, exception)}");
            Console.ForegroundColor = previous;
        }
    }
}
