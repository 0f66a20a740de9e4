using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Praison.Actors.Testing;

/// <summary>One entry an <see cref="ILogger"/> received: its category, level, text, structured fields and exception.</summary>
public sealed record CapturedLog(string Category, LogLevel Level, string Message, IReadOnlyDictionary<string, object?> Fields, Exception? Exception);

/// <summary>
/// An <see cref="ILoggerFactory"/> that keeps every entry (all levels) in memory, so a test can assert what the
/// runtime logged and with which fields. Tests wait on <see cref="WaitForAsync"/>, never on a sleep.
/// </summary>
public sealed class CapturingLoggerFactory : ILoggerFactory
{
    private readonly ConcurrentQueue<CapturedLog> _entries = new();
    private readonly object _gate = new();
    private readonly List<(Func<CapturedLog, bool> Match, TaskCompletionSource<CapturedLog> Found)> _waiters = [];

    /// <summary>Every entry so far, in the order they were written.</summary>
    public IReadOnlyList<CapturedLog> Entries => _entries.ToArray();

    /// <summary>The first entry (past or future) matching <paramref name="match"/>; fails after <paramref name="timeout"/> naming what it saw.</summary>
    public async Task<CapturedLog> WaitForAsync(Func<CapturedLog, bool> match, TimeSpan timeout, string what)
    {
        var found = new TaskCompletionSource<CapturedLog>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            if (_entries.FirstOrDefault(match) is { } seen) return seen;
            _waiters.Add((match, found));
        }
        try
        {
            return await found.Task.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"No log entry {what} within {timeout}; saw:\n" +
                                       string.Join("\n", Entries.Select(e => $"  [{e.Level}] {e.Category}: {e.Message}")));
        }
    }

    private void Add(CapturedLog entry)
    {
        lock (_gate)
        {
            _entries.Enqueue(entry);
            foreach (var waiter in _waiters.Where(w => w.Match(entry)).ToList())
            {
                _waiters.Remove(waiter);
                waiter.Found.TrySetResult(entry);
            }
        }
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void AddProvider(ILoggerProvider provider) { }

    public void Dispose() { }

    private sealed class Logger(CapturingLoggerFactory owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var fields = new Dictionary<string, object?>();
            if (state is IEnumerable<KeyValuePair<string, object?>> pairs)
                foreach (var (key, value) in pairs) fields[key] = value;
            owner.Add(new CapturedLog(category, logLevel, formatter(state, exception), fields, exception));
        }
    }
}
