using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Configuration;
using Akka.Dispatch;
using Akka.Event;
using Microsoft.Extensions.Logging;
using AkkaLevel = Akka.Event.LogLevel;
using LogLevel = Microsoft.Extensions.Logging.LogLevel;

namespace Praison.Actors;

/// <summary>The <see cref="ILoggerFactory"/> an actor system started by <see cref="PraisonRuntime"/> or a cluster node logs to.</summary>
internal sealed class LoggerFactorySetup(ILoggerFactory factory) : Setup
{
    public ILoggerFactory Factory { get; } = factory;

    /// <summary>
    /// Akka's log to the bridge (INFO and above: the factory's own filters decide the rest); the
    /// caller's config, which goes first, may still choose another level.
    /// </summary>
    public static Config Config => ConfigurationFactory.ParseString($$"""
        akka.loglevel = INFO
        akka.stdout-loglevel = OFF
        akka.loggers = ["{{typeof(LoggerFactoryBridge).AssemblyQualifiedName}}"]
        """);

    /// <summary>The setup of an actor system with <paramref name="config"/>, bridged to <paramref name="factory"/> when there is one.</summary>
    public static ActorSystemSetup For(Config config, ILoggerFactory? factory) =>
        factory is null
            ? ActorSystemSetup.Create(BootstrapSetup.Create().WithConfig(config))
            : ActorSystemSetup.Create(BootstrapSetup.Create().WithConfig(config.WithFallback(Config)), new LoggerFactorySetup(factory));
}

/// <summary>
/// Akka's logger that writes every log event to an <see cref="ILoggerFactory"/> (from <see cref="LoggerFactorySetup"/>):
/// the category is the logging class (<c>Praison.Actors.Tasks.TaskSupervisor</c>), and a named template's values
/// (<c>{TaskId}</c>, <c>{Recipe}</c>, <c>{SessionId}</c>) become the entry's structured fields, beside
/// <c>{OriginalFormat}</c>, <c>LogSource</c> and the thread.
/// </summary>
internal sealed class LoggerFactoryBridge : ActorBase, IRequiresMessageQueue<ILoggerMessageQueueSemantics>
{
    private readonly ILoggerFactory _factory;
    private readonly Dictionary<Type, ILogger> _loggers = [];

    public LoggerFactoryBridge()
    {
        var setup = Context.System.Settings.Setup.Get<LoggerFactorySetup>();
        _factory = setup.HasValue
            ? setup.Value.Factory
            : throw new ConfigurationException($"{nameof(LoggerFactoryBridge)} needs a {nameof(LoggerFactorySetup)} in the actor system's setup.");
    }

    protected override bool Receive(object message)
    {
        switch (message)
        {
            case InitializeLogger:
                Sender.Tell(new LoggerInitialized());
                return true;
            case LogEvent e:
                Write(e);
                return true;
            default:
                return false;
        }
    }

    private void Write(LogEvent e)
    {
        var type = e.LogClass ?? typeof(ActorSystem);
        if (!_loggers.TryGetValue(type, out var logger)) _loggers[type] = logger = _factory.CreateLogger(type.FullName ?? type.Name);
        var level = Level(e.LogLevel());
        if (!logger.IsEnabled(level)) return;
        logger.Log(level, default, Fields(e), e.Cause, static (fields, _) => fields.Text);
    }

    private static LogLevel Level(AkkaLevel level) => level switch
    {
        AkkaLevel.DebugLevel => LogLevel.Debug,
        AkkaLevel.InfoLevel => LogLevel.Information,
        AkkaLevel.WarningLevel => LogLevel.Warning,
        _ => LogLevel.Error,
    };

    private static LogFields Fields(LogEvent e)
    {
        var list = new List<KeyValuePair<string, object?>>();
        if (e.TryGetProperties(out var properties))
            foreach (var (key, value) in properties!)
                if (!int.TryParse(key, out _)) list.Add(new(key, value)); // positional "{0}" holes are no field
        list.Add(new("LogSource", e.LogSource));
        list.Add(new("{OriginalFormat}", e.Message is LogMessage m ? m.Format : e.Message?.ToString()));
        return new LogFields(list, e.Message?.ToString() ?? "");
    }

    /// <summary>The entry's state: its fields (what M.E.Logging providers read as structure) and the formatted text.</summary>
    private sealed class LogFields(List<KeyValuePair<string, object?>> fields, string text) : IReadOnlyList<KeyValuePair<string, object?>>
    {
        public string Text { get; } = text;
        public KeyValuePair<string, object?> this[int index] => fields[index];
        public int Count => fields.Count;
        public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => fields.GetEnumerator();
        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
        public override string ToString() => Text;
    }
}
