using System.Text.Json;
using System.Text.Json.Serialization;
using Akka.Actor;
using System.Runtime.Serialization;
using Akka.Serialization;
using Praison.Actors.Messages;

namespace Praison.Actors.Serialization;

/// <summary>
/// System.Text.Json for every <see cref="IPraisonMessage"/>: stored events and messages between nodes.
/// Manifests are short fixed names, never CLR type names, so journals written now stay readable after
/// types move. A new shape of an event gets a new manifest; old manifests keep their old type.
/// </summary>
internal sealed class PraisonJsonSerializer : SerializerWithStringManifest
{
    /// <summary>Manifest ↔ type. Never change or reuse a manifest once released.</summary>
    private static readonly (string Manifest, Type Type)[] Types =
    {
        ("ts", typeof(TaskSubmitted)),
        ("tst", typeof(TaskStarted)),
        ("trq", typeof(TaskRequeued)),
        ("tc", typeof(TaskCompleted)),
        ("tf", typeof(TaskFailed)),
        ("tx", typeof(TaskCancelled)),
        ("c.create", typeof(CreateTask)),
        ("c.status", typeof(GetTaskStatus)),
        ("c.wait", typeof(WaitForTask)),
        ("c.cancel", typeof(CancelTask)),
        ("c.sub", typeof(SubscribeTask)),
        ("c.unsub", typeof(UnsubscribeTask)),
        ("c.start", typeof(StartTask)),
        ("c.remove", typeof(RemoveTask)),
        ("r.accepted", typeof(TaskAccepted)),
        ("r.rejected", typeof(TaskRejected)),
        ("r.notfound", typeof(TaskNotFound)),
        ("r.status", typeof(TaskStatusReply)),
        ("r.outcome", typeof(TaskOutcome)),
        ("r.cancel", typeof(CancelReply)),
        ("r.update", typeof(TaskUpdateNotice)),
        ("r.list", typeof(TaskList)),
        ("r.clear", typeof(ClearReply)),
        ("r.deleted", typeof(TaskDeleted)),
        ("s.list", typeof(ListTasks)),
        ("s.clear", typeof(ClearTasks)),
        ("s.enqueued", typeof(TaskEnqueued)),
        ("s.changed", typeof(TaskStatusChanged)),
        ("s.removed", typeof(TaskRemoved)),
        ("s.passivate", typeof(PassivateTask)),
        ("trs", typeof(TaskRetryScheduled)),
        ("trx", typeof(TaskRetriesExhausted)),
        ("c.spec", typeof(GetTaskSpec)),
        ("r.spec", typeof(TaskSpecReply)),
        ("sch.reload", typeof(ReloadSchedules)), // to a cluster's scheduler singleton through its proxy
        ("sch.changed", typeof(ScheduleChanged)), // the same, asked by a pause or an update
        ("sch.seen", typeof(ScheduleChangeSeen)), // its answer
        ("sch.ev", typeof(ScheduleEvent)), // a schedule's stored change (journal rows under "schedule|NAME", never replayed by a task)
    };

    private static readonly Dictionary<Type, string> ManifestByType = Types.ToDictionary(t => t.Type, t => t.Manifest);
    private static readonly Dictionary<string, Type> TypeByManifest = Types.ToDictionary(t => t.Manifest, t => t.Type);

    private readonly JsonSerializerOptions _options;

    public PraisonJsonSerializer(ExtendedActorSystem system) : base(system) =>
        _options = CreateOptions(new ActorRefConverter(system));

    /// <summary>Options for stored events, which hold no actor references: usable without an actor system.</summary>
    internal static readonly JsonSerializerOptions EventOptions = CreateOptions(null);

    private static JsonSerializerOptions CreateOptions(JsonConverter? actorRefs)
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        };
        if (actorRefs is not null) options.Converters.Add(actorRefs);
        return options;
    }

    /// <summary>Reads a stored task event straight from a journal row (used by the store reader, outside any actor system).</summary>
    internal static ITaskEvent? ReadEvent(byte[] bytes, string manifest) =>
        TypeByManifest.TryGetValue(manifest, out var type) && typeof(ITaskEvent).IsAssignableFrom(type)
            ? (ITaskEvent?)JsonSerializer.Deserialize(bytes, type, EventOptions)
            : null;

    public override int Identifier => 7201;

    public override string Manifest(object o) =>
        ManifestByType.TryGetValue(o.GetType(), out var m)
            ? m
            : throw new ArgumentException($"{o.GetType().FullName} has no manifest in {nameof(PraisonJsonSerializer)}; it cannot be stored or sent between nodes.");

    public override byte[] ToBinary(object obj) => JsonSerializer.SerializeToUtf8Bytes(obj, obj.GetType(), _options);

    public override object FromBinary(byte[] bytes, string manifest) =>
        TypeByManifest.TryGetValue(manifest, out var type)
            ? JsonSerializer.Deserialize(bytes, type, _options)!
            : throw new SerializationException($"Unknown Praison.Actors manifest '{manifest}'.");

    /// <summary>Actor references travel as their full path and are resolved on the receiving side.</summary>
    private sealed class ActorRefConverter(ExtendedActorSystem system) : JsonConverter<IActorRef>
    {
        public override bool CanConvert(Type typeToConvert) => typeof(IActorRef).IsAssignableFrom(typeToConvert);

        public override IActorRef Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            reader.GetString() is { } path ? system.Provider.ResolveActorRef(path) : ActorRefs.Nobody;

        public override void Write(Utf8JsonWriter writer, IActorRef value, JsonSerializerOptions options) =>
            writer.WriteStringValue(Akka.Serialization.Serialization.SerializedActorPath(value));
    }
}
