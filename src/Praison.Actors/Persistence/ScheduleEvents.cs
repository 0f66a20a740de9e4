using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Praison.Actors.Messages;

namespace Praison.Actors.Persistence;

/// <summary>
/// A schedule's changes as events, and back: <see cref="Between(ScheduleRecord?, ScheduleRecord?)"/> describes the change from one stored record to the
/// next as a JSON merge patch (RFC 7396) of the record's JSON, with a kind inferred from what changed, and
/// <see cref="Apply"/> folds it, so <c>Apply(before, Between(before, after))</c> is <c>after</c>. Generic over the record's
/// JSON: a field added to <see cref="ScheduleRecord"/> is carried without a change here.
/// </summary>
/// <remarks>
/// One extension to RFC 7396, because a look prepends runs and trims the oldest (and a request is appended): an array
/// that keeps a run of the old one is written as <c>{"$keep": [from, count], "$head": [...], "$tail": [...]}</c> —
/// the new array is head + old[from, from + count) + tail — so a fired slot stores its new run, not all fifty. The
/// record's JSON has no keys starting with <c>$</c> (user JSON is held as strings), so the form cannot be mistaken.
/// As in RFC 7396, a field set to null is removed and reads back as its default (null for every nullable field).
/// </remarks>
internal static class ScheduleEvents
{
    public const string Created = "created", Updated = "updated", Paused = "paused", Resumed = "resumed", Fired = "fired",
        Requested = "requested", Skipped = "skipped", Deleted = "deleted", Changed = "changed";

    private const string Keep = "$keep", Head = "$head", Tail = "$tail";

    /// <summary>
    /// Every this many versions a change also stores the whole record (<see cref="ScheduleEvent.Record"/>): a fold reads at
    /// most this many events, and retention may drop everything older. 100 because a full record with its 50 runs is about
    /// 7 KB of event against about 130 bytes for a typical change (measured by the ScheduleRetention integration test): a
    /// snapshot every 100 adds about 70 bytes per event on average, while a restart's fold stays at most 100 small
    /// patches; snapshots ten times rarer would save little more and make the fold and the kept tail ten times longer.
    /// </summary>
    public const int SnapshotEvery = 100;

    /// <summary>Whether the change to <paramref name="version"/> stores the whole record too (see <see cref="SnapshotEvery"/>).</summary>
    public static bool IsSnapshotPoint(long? version, int every) => version is { } v && every > 0 && v % every == 0;

    /// <summary>A fold may start at <paramref name="e"/>: it holds the whole state after it (a snapshot, a creation or a deletion).</summary>
    public static bool IsStart(ScheduleEvent e) => e.Record is not null || e.Kind is Created or Deleted;

    /// <summary><paramref name="e"/> carrying the whole record of the stored <paramref name="body"/> (its computed properties and nulls left out).</summary>
    public static ScheduleEvent WithRecord(ScheduleEvent e, string body)
    {
        var json = (JsonObject)JsonNode.Parse(body)!;
        foreach (var key in json.Where(p => p.Value is null || Computed.Contains(p.Key)).Select(p => p.Key).ToList()) json.Remove(key);
        return e with { Record = json };
    }

    /// <summary>The settings a user changes (<c>schedule update</c>); the other fields are the scheduler's own state.</summary>
    private static readonly HashSet<string> Settings = new(StringComparer.Ordinal)
    {
        "recipe", "expression", "timeZone", "inputJson", "configJson", "sessionId", "timeoutMs", "catchUp", "catchUpWindowMs",
        "overlap", "jitterMs", "retry", "anchoredAt", "createdAt",
    };

    // The body's JSON without the computed, get-only properties (LastTaskId, CatchUpWindow, ...): they follow from the rest.
    private static readonly JsonSerializerOptions Json = new(ScheduleTable.JsonOptions) { IgnoreReadOnlyProperties = true };

    /// <summary>The record's JSON as stored in its row's body, less its computed properties.</summary>
    public static JsonObject ToJson(ScheduleRecord record) => (JsonObject)JsonSerializer.SerializeToNode(record, Json)!;

    public static ScheduleRecord FromJson(JsonNode json) => json.Deserialize<ScheduleRecord>(Json)!;

    /// <summary>The JSON names of the record's computed properties, left out of events (as <see cref="Json"/> leaves them out).</summary>
    private static readonly HashSet<string> Computed = typeof(ScheduleRecord).GetProperties()
        .Where(p => !p.CanWrite && p.GetIndexParameters().Length == 0)
        .Select(p => JsonNamingPolicy.CamelCase.ConvertName(p.Name)).ToHashSet(StringComparer.Ordinal);

    /// <summary>The change from <paramref name="before"/> (null: none yet) to <paramref name="after"/> (null: deleted).</summary>
    public static ScheduleEvent Between(ScheduleRecord? before, ScheduleRecord? after) =>
        after is null ? new ScheduleEvent(Deleted, null, null)
        : before is null ? new ScheduleEvent(Created, after.Version, ToJson(after))
        : Between(ScheduleTable.Serialize(before), ScheduleTable.Serialize(after), after.Version);

    /// <summary>
    /// <see cref="Between(ScheduleRecord?, ScheduleRecord?)"/> on two stored bodies (<see cref="ScheduleTable.Serialize"/>),
    /// diffed as parsed documents (no records, no node trees but the patch's): the store's write path has both as text,
    /// and a look stores a thousand changes at once.
    /// </summary>
    public static ScheduleEvent Between(string beforeBody, string afterBody, long afterVersion)
    {
        using var from = JsonDocument.Parse(beforeBody);
        using var to = JsonDocument.Parse(afterBody);
        var patch = Diff(from.RootElement, to.RootElement, top: true) as JsonObject ?? new JsonObject();
        return new ScheduleEvent(KindOf(patch), afterVersion, patch);
    }
    /// <summary>The record after <paramref name="e"/> happened to <paramref name="record"/> (null: none yet, or deleted).</summary>
    public static ScheduleRecord? Apply(ScheduleRecord? record, ScheduleEvent e) =>
        (e.Record ?? Merge(record is null ? null : ToJson(record), e.Patch)) is JsonObject json ? FromJson(json) : null;

    /// <summary>
    /// The fold of a schedule's events, oldest first. It starts at the latest event that holds the whole state
    /// (<see cref="IsStart"/>), so the events before it may be missing (retention); an event without a record (every
    /// event written before snapshots existed) is a plain patch.
    /// </summary>
    public static ScheduleRecord? Fold(IEnumerable<ScheduleEvent> events)
    {
        var list = events as IReadOnlyList<ScheduleEvent> ?? events.ToList();
        var start = list.Count - 1;
        while (start > 0 && !IsStart(list[start])) start--;
        JsonNode? json = null;
        for (var i = Math.Max(start, 0); i < list.Count; i++)
            json = list[i] switch
            {
                { Record: { } record } => record.DeepClone(),
                { Kind: Created or Deleted } e => Merge(null, e.Patch), // a creation follows no record, a deletion leaves none
                var e => Merge(json, e.Patch),
            };
        return json is JsonObject o ? FromJson(o) : null;
    }

    private static string KindOf(JsonObject patch)
    {
        if (patch.Any(p => Settings.Contains(p.Key))) return Updated;
        if (patch.ContainsKey("paused")) return patch["paused"]?.GetValue<bool>() == true ? Paused : Resumed;
        if (patch["runs"] is { } runs && NewEntries(runs).Count > 0) return Fired;
        if (patch["requests"] is { } requests && NewEntries(requests).Count > 0) return Requested;
        if (patch.ContainsKey("nextFireAt") || patch.ContainsKey("bufferedSlot") || patch.ContainsKey("requests")) return Skipped;
        return Changed;
    }

    /// <summary>The entries an array patch adds (its head and tail; all of a replaced array).</summary>
    private static List<JsonNode?> NewEntries(JsonNode patch) => patch switch
    {
        JsonArray all => [.. all],
        JsonObject o when o.ContainsKey(Keep) => [.. (o[Head] as JsonArray ?? new JsonArray()), .. (o[Tail] as JsonArray ?? new JsonArray())],
        _ => [],
    };

    /// <summary>The merge patch that turns <paramref name="from"/> into <paramref name="to"/> (the record's computed properties left out at the top).</summary>
    private static JsonNode? Diff(JsonElement from, JsonElement to, bool top = false)
    {
        if (from.ValueKind == JsonValueKind.Object && to.ValueKind == JsonValueKind.Object)
        {
            var patch = new JsonObject();
            foreach (var p in from.EnumerateObject())
                if (!(top && Computed.Contains(p.Name)) && !to.TryGetProperty(p.Name, out _)) patch[p.Name] = null;
            foreach (var p in to.EnumerateObject())
            {
                if (top && Computed.Contains(p.Name)) continue;
                var had = from.TryGetProperty(p.Name, out var old);
                if (had ? JsonElement.DeepEquals(old, p.Value) : p.Value.ValueKind == JsonValueKind.Null) continue;
                patch[p.Name] = p.Value.ValueKind == JsonValueKind.Null ? null : had ? Diff(old, p.Value) : Node(p.Value);
            }
            return patch;
        }
        if (from.ValueKind == JsonValueKind.Array && to.ValueKind == JsonValueKind.Array) return Splice(from, to);
        return Node(to);
    }

    private static JsonNode? Node(JsonElement e) => JsonNode.Parse(e.GetRawText());

    /// <summary><paramref name="to"/> as new entries around a kept run of <paramref name="from"/> when it keeps one, else whole.</summary>
    private static JsonNode Splice(JsonElement from, JsonElement to)
    {
        var (f, t) = (from.GetArrayLength(), to.GetArrayLength());
        if (f > 0)
        {
            var first = from[0];
            // Prepended (and trimmed): to = head + a prefix of from (a look's new runs, newest first).
            for (var h = 0; h < t; h++)
            {
                if (!JsonElement.DeepEquals(to[h], first)) continue;
                var count = t - h;
                if (count > f || !Same(to, h, from, 0, count)) continue;
                return new JsonObject { [Keep] = new JsonArray(0, count), [Head] = Slice(to, 0, h) };
            }
            // Appended: to = from + tail (a request).
            if (t > f && Same(to, 0, from, 0, f))
                return new JsonObject { [Keep] = new JsonArray(0, f), [Tail] = Slice(to, f, t - f) };
        }
        return Node(to)!;
    }

    private static JsonArray Slice(JsonElement array, int start, int count)
    {
        var slice = new JsonArray();
        for (var i = start; i < start + count; i++) slice.Add(Node(array[i]));
        return slice;
    }

    private static bool Same(JsonElement a, int ai, JsonElement b, int bi, int count)
    {
        for (var i = 0; i < count; i++)
            if (!JsonElement.DeepEquals(a[ai + i], b[bi + i])) return false;
        return true;
    }

    /// <summary>RFC 7396 merge of <paramref name="patch"/> onto <paramref name="target"/>, with the array form above.</summary>
    private static JsonNode? Merge(JsonNode? target, JsonNode? patch)
    {
        if (patch is not JsonObject p) return patch?.DeepClone();
        if (p.ContainsKey(Keep))
        {
            var range = p[Keep]!.AsArray();
            var (start, count) = (range[0]!.GetValue<int>(), range[1]!.GetValue<int>());
            var old = target as JsonArray ?? new JsonArray();
            var result = new JsonArray();
            foreach (var n in p[Head] as JsonArray ?? new JsonArray()) result.Add(n?.DeepClone());
            for (var i = start; i < start + count && i < old.Count; i++) result.Add(old[i]?.DeepClone());
            foreach (var n in p[Tail] as JsonArray ?? new JsonArray()) result.Add(n?.DeepClone());
            return result;
        }
        var merged = target is JsonObject t ? (JsonObject)t.DeepClone() : new JsonObject();
        foreach (var (key, value) in p)
        {
            if (value is null) merged.Remove(key);
            else merged[key] = Merge(merged[key], value);
        }
        return merged;
    }

    /// <summary>A short line for a person: "paused", "fired slot 12:00:00 → task sch-…", "updated expression */5m".</summary>
    public static string Summarize(ScheduleEvent e, DateTimeOffset at)
    {
        var patch = e.Patch as JsonObject;
        var runs = patch?["runs"];
        var requests = patch?["requests"];
        switch (e.Kind)
        {
            case Created when patch is not null:
                return $"created: {Text(patch["expression"])} running {Text(patch["recipe"])}" +
                       (patch["paused"]?.GetValue<bool>() == true ? ", paused" : "");
            case Deleted:
                return "deleted";
            case Paused:
            case Resumed:
                return e.Kind + Next(patch, at, e.Kind == Resumed);
            case Fired when runs is not null:
                var fired = NewEntries(runs).OfType<JsonObject>().Reverse().ToList(); // oldest first
                var lines = fired.Take(3).Select(r =>
                    $"{Verb(Text(r["reason"]))} {Time(r["slotAt"], at)} → task {Text(r["taskId"])}");
                return string.Join("; ", lines) + (fired.Count > 3 ? $"; and {fired.Count - 3} more" : "") + Next(patch, at, false);
            case Requested when requests is not null:
                return "requested " + string.Join(", ", NewEntries(requests).OfType<JsonObject>().Select(r =>
                    Text(r["kind"]) == "backfill" ? $"backfill {Time(r["from"], at)} … {Time(r["to"], at)}" : Text(r["kind"])));
            case Skipped when patch is not null:
                return patch["bufferedSlot"] is { } buffered ? $"buffered slot {Time(buffered, at)}"
                    : patch.ContainsKey("nextFireAt") && patch["nextFireAt"] is null ? "done: no next slot"
                    : "skipped" + Next(patch, at, true);
            case Updated when patch is not null:
                var parts = new List<string>();
                foreach (var (key, value) in patch)
                {
                    if (Settings.Contains(key) && key is not ("anchoredAt" or "createdAt"))
                        parts.Add(value is null ? $"cleared {key}" : $"{key} {Text(value)}");
                }
                if (patch["paused"] is { } p) parts.Add(p.GetValue<bool>() ? "paused" : "resumed");
                return "updated " + string.Join(", ", parts);
            default:
                return e.Kind;
        }
    }

    private static string Verb(string reason) => reason switch
    {
        "manual" => "ran now, at",
        "slot" => "fired slot",
        _ => $"fired slot ({reason})",
    };

    private static string Next(JsonObject? patch, DateTimeOffset at, bool show) =>
        show && patch?["nextFireAt"] is { } next ? $", next {Time(next, at)}" : "";

    private static string Text(JsonNode? node) => node switch
    {
        null => "null",
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        _ => node.ToJsonString(),
    };

    /// <summary>A time in UTC: only the time of day when it is on the day of <paramref name="at"/>.</summary>
    private static string Time(JsonNode? node, DateTimeOffset at)
    {
        if (node is not JsonValue v || !v.TryGetValue<string>(out var s)
            || !DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var t)) return Text(node);
        var utc = t.ToUniversalTime();
        var sb = new StringBuilder();
        sb.Append(utc.Date == at.UtcDateTime.Date ? utc.ToString("HH:mm:ss", CultureInfo.InvariantCulture)
            : utc.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture));
        if (utc.Millisecond != 0) sb.Append(CultureInfo.InvariantCulture, $".{utc.Millisecond:D3}");
        return sb.Append('Z').ToString();
    }
}
