using Akka.Actor;
using Akka.Dispatch;
using Akka.Event;

namespace Praison.Actors.Cli.Hosting;

/// <summary>Akka's log goes to stderr, so stdout stays clean for results and <c>--json</c>.</summary>
public sealed class StderrLogger : ReceiveActor, IRequiresMessageQueue<ILoggerMessageQueueSemantics>
{
    /// <summary>Answers the logger handshake and writes every log event it receives to stderr.</summary>
    public StderrLogger()
    {
        Receive<InitializeLogger>(_ => Sender.Tell(new LoggerInitialized()));
        Receive<LogEvent>(e =>
            Console.Error.WriteLine($"[{e.LogLevel().ToString().Replace("Level", "").ToLowerInvariant()}] {e.LogSource}: {e.Message}" +
                                    (e.Cause is null ? "" : $" ({e.Cause.GetBaseException().Message})")));
    }
}
