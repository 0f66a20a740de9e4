using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Praison.Actors;

/// <summary>What a recipe's <c>runtime.background</c> section says; every key is honored.</summary>
public sealed record RecipeBackgroundSettings
{
    /// <summary><c>enabled: false</c> makes <see cref="IRecipeRunner.RunBackgroundAsync"/> refuse the recipe.</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>Runs of this recipe at once, inside the runner's global limit.</summary>
    public int? MaxConcurrent { get; init; }

    /// <summary>Seconds a finished run keeps its result; overrides the runner's default.</summary>
    public int? CleanupDelaySec { get; init; }

    /// <summary><c>on_restart: rerun</c> runs an interrupted run again after a restart (at-least-once).</summary>
    public bool RerunOnRestart { get; init; }
}

/// <summary>
/// What a recipe's <c>runtime.job</c> section says (PraisonAI's async-job settings). Parsed and validated here; the
/// jobs API and webhook delivery read them. Absent keys are null, so a reader can tell "not set" from a value.
/// </summary>
public sealed record RecipeJobSettings
{
    /// <summary>The events a webhook is sent for, in the canonical vocabulary of <see cref="Events"/>.</summary>
    public static readonly IReadOnlyList<string> KnownEvents = ["completed", "failed", "cancelled", "timeout"];

    /// <summary>The idempotency scopes: <c>none</c>, <c>session</c>, <c>global</c>.</summary>
    public static readonly IReadOnlyList<string> KnownIdempotencyScopes = ["none", "session", "global"];

    /// <summary><c>enabled</c>, when given.</summary>
    public bool? Enabled { get; init; }

    /// <summary><c>timeout_sec</c>: the default timeout of a job of this recipe.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>
    /// <c>webhook_url</c> with <c>${VAR}</c> expanded from the environment when the template was read. Null when absent,
    /// or when a variable it names is not set (a warning says so: templates written for PraisonAI load without it).
    /// </summary>
    public string? WebhookUrl { get; init; }

    /// <summary>
    /// <c>events</c>: the outcomes a webhook is sent for, each one of <see cref="KnownEvents"/> (<c>succeeded</c> is read
    /// as <c>completed</c>, <c>timed_out</c> as <c>timeout</c>). Null when absent.
    /// </summary>
    public IReadOnlyList<string>? Events { get; init; }

    /// <summary><c>idempotency_scope</c>: one of <see cref="KnownIdempotencyScopes"/>, lower case. Null when absent.</summary>
    public string? IdempotencyScope { get; init; }
}

/// <summary>
/// What a recipe's <c>runtime.schedule</c> section says (PraisonAI's scheduled runs). Parsed and validated here; the
/// scheduler reads them. Absent keys are null.
/// </summary>
public sealed record RecipeScheduleSettings
{
    /// <summary><c>enabled</c>, when given.</summary>
    public bool? Enabled { get; init; }

    /// <summary>
    /// <c>interval</c> as written: <c>hourly</c>, <c>daily</c>, <c>weekly</c>, <c>*/30m</c> (units s, m, h), a number of
    /// seconds, <c>cron:M H D M W</c> or <c>at:ISO-8601</c> (PraisonAI's grammar).
    /// </summary>
    public string? Interval { get; init; }

    /// <summary>The period of an every-N interval (keywords, <c>*/N</c>, seconds); null for <c>cron:</c>, <c>at:</c> or absent.</summary>
    public TimeSpan? Every { get; init; }

    /// <summary><c>max_retries</c>: retries of a failed scheduled run (0 or more).</summary>
    public int? MaxRetries { get; init; }

    /// <summary><c>run_immediately</c>: run once at start instead of after the first interval.</summary>
    public bool? RunImmediately { get; init; }

    /// <summary><c>timeout_sec</c>: the timeout of a scheduled run.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>
    /// <c>max_cost_usd</c>: the budget of a scheduled run, in US dollars (read as 0 or more; a host applying the schedule
    /// refuses 0), stored as the schedule's config key <c>max_cost_usd</c>.
    /// </summary>
    public decimal? MaxCostUsd { get; init; }
}

/// <summary>A TEMPLATE.yaml key this runtime does not know: it is ignored, and the warning says where it is.</summary>
/// <param name="File">The file (or source name) that holds the key.</param>
/// <param name="Line">1-based line of the key.</param>
/// <param name="Column">1-based column of the key.</param>
/// <param name="Key">The key's path, e.g. <c>runtime.job.retries</c>.</param>
/// <param name="Problem">What is ignored and why.</param>
public sealed record RecipeTemplateWarning(string File, int Line, int Column, string Key, string Problem)
{
    /// <summary><c>file:line:column: key: problem</c>, like a <see cref="RecipeTemplateException"/>'s message.</summary>
    public override string ToString() => $"{File}:{Line}:{Column}: {Key}: {Problem}";
}

/// <summary>A recipe's TEMPLATE.yaml: name, description, version, runtime settings.</summary>
public sealed partial record RecipeTemplate
{
    /// <summary><c>name</c>: how the recipe is run and listed.</summary>
    public required string Name { get; init; }
    /// <summary><c>description</c>, shown by listings.</summary>
    public string? Description { get; init; }
    /// <summary><c>version</c>, informational.</summary>
    public string? Version { get; init; }

    /// <summary><c>runtime.timeout_sec</c>: the default timeout of a run.</summary>
    public int? TimeoutSec { get; init; }

    /// <summary><c>runtime.background</c>: concurrency and other background settings.</summary>
    public RecipeBackgroundSettings Background { get; init; } = new();

    /// <summary>
    /// <c>runtime.retry</c> (or PraisonAI's <c>runtime.schedule.max_retries</c>, as max_attempts = max_retries + 1):
    /// the default retry policy of a run; null retries nothing.
    /// </summary>
    public RetryPolicy? Retry { get; init; }
    /// <summary><c>runtime.job</c>: async-job settings (timeout, webhook, events, idempotency scope).</summary>
    public RecipeJobSettings Job { get; init; } = new();

    /// <summary><c>runtime.schedule</c>: scheduled-run settings.</summary>
    public RecipeScheduleSettings Schedule { get; init; } = new();

    /// <summary>Keys the template holds that this runtime does not know, each with its line; they were ignored.</summary>
    public IReadOnlyList<RecipeTemplateWarning> Warnings { get; init; } = [];

    /// <summary>The file it was read from, when it came from one.</summary>
    public string? SourcePath { get; init; }

    /// <summary>The parsed document, for extensions that read more keys (e.g. <c>steps</c>).</summary>
    public YamlMappingNode? Document { get; init; }

    /// <summary>Reads and parses the TEMPLATE.yaml at <paramref name="path"/>; a <see cref="RecipeTemplateException"/> names a bad key and line.</summary>
    public static RecipeTemplate Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new RecipeTemplateException(path, 0, 0, "", $"cannot read the file: {ex.Message}");
        }
        return Parse(text, path);
    }

    /// <summary>Parses TEMPLATE.yaml text. Errors name the source, line, column and key.</summary>
    public static RecipeTemplate Parse(string yaml, string source = "TEMPLATE.yaml")
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException ex)
        {
            throw new RecipeTemplateException(source, (int)ex.Start.Line, (int)ex.Start.Column, "", $"invalid YAML: {Inner(ex).Message}");
        }

        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            var node = stream.Documents.Count > 0 ? stream.Documents[0].RootNode : null;
            throw new RecipeTemplateException(source, Line(node), Col(node), "", "the document must be a mapping with at least a 'name' key");
        }

        var reader = new Reader(source);
        var nameNode = reader.Scalar(root, "name", "name");
        if (nameNode is null)
            throw new RecipeTemplateException(source, Line(root), Col(root), "name", "the required key 'name' is missing");
        var name = nameNode.Value?.Trim() ?? "";
        if (name.Length == 0 || name.Any(c => char.IsWhiteSpace(c) || c is '/' or '\\'))
            throw reader.Error(nameNode, "name", $"'{nameNode.Value}' is not a valid recipe name (non-empty, no spaces or slashes)");

        // Keys PraisonAI's own templates carry that this runtime does not use (agents, workflow, metadata): accepted
        // quietly, so a PraisonAI template loads without a warning per key. Anything else at the top is a warning.
        reader.WarnUnknownKeys(root, "", [.. OwnTopLevelKeys, .. PraisonAITopLevelKeys], shown: OwnTopLevelKeys);

        int? timeout = null;
        RetryPolicy? retry = null;
        var background = new RecipeBackgroundSettings();
        var job = new RecipeJobSettings();
        var schedule = new RecipeScheduleSettings();
        if (reader.Mapping(root, "runtime", "runtime") is { } runtime)
        {
            reader.WarnUnknownKeys(runtime, "runtime", RuntimeKeys);
            timeout = reader.Int(runtime, "timeout_sec", "runtime.timeout_sec", min: 1);
            retry = RetryReader.Read(reader, runtime);
            if (reader.Mapping(runtime, "background", "runtime.background") is { } bg)
            {
                reader.WarnUnknownKeys(bg, "runtime.background", "enabled", "max_concurrent", "cleanup_delay_sec", "on_restart");
                background = new RecipeBackgroundSettings
                {
                    Enabled = reader.Bool(bg, "enabled", "runtime.background.enabled") ?? true,
                    MaxConcurrent = reader.Int(bg, "max_concurrent", "runtime.background.max_concurrent", min: 1),
                    CleanupDelaySec = reader.Int(bg, "cleanup_delay_sec", "runtime.background.cleanup_delay_sec", min: 0),
                    RerunOnRestart = reader.OnRestart(bg),
                };
            }
            if (reader.Mapping(runtime, "job", "runtime.job") is { } j)
            {
                reader.WarnUnknownKeys(j, "runtime.job", "enabled", "timeout_sec", "webhook_url", "events", "idempotency_scope");
                job = new RecipeJobSettings
                {
                    Enabled = reader.Bool(j, "enabled", "runtime.job.enabled"),
                    Timeout = Seconds(reader.Int(j, "timeout_sec", "runtime.job.timeout_sec", min: 1)),
                    WebhookUrl = reader.WebhookUrl(j, "webhook_url", "runtime.job.webhook_url"),
                    Events = reader.Events(j, "events", "runtime.job.events"),
                    IdempotencyScope = reader.OneOf(j, "idempotency_scope", "runtime.job.idempotency_scope", RecipeJobSettings.KnownIdempotencyScopes),
                };
            }
            if (reader.Mapping(runtime, "schedule", "runtime.schedule") is { } sc)
            {
                reader.WarnUnknownKeys(sc, "runtime.schedule", "enabled", "interval", "max_retries", "run_immediately", "timeout_sec", "max_cost_usd");
                var (interval, every) = reader.Interval(sc, "interval", "runtime.schedule.interval");
                schedule = new RecipeScheduleSettings
                {
                    Enabled = reader.Bool(sc, "enabled", "runtime.schedule.enabled"),
                    Interval = interval,
                    Every = every,
                    MaxRetries = reader.Int(sc, "max_retries", "runtime.schedule.max_retries", min: 0),
                    RunImmediately = reader.Bool(sc, "run_immediately", "runtime.schedule.run_immediately"),
                    Timeout = Seconds(reader.Int(sc, "timeout_sec", "runtime.schedule.timeout_sec", min: 1)),
                    MaxCostUsd = reader.Decimal(sc, "max_cost_usd", "runtime.schedule.max_cost_usd"),
                };
            }
        }

        return new RecipeTemplate
        {
            Name = name,
            Description = reader.Scalar(root, "description", "description")?.Value,
            Version = reader.Scalar(root, "version", "version")?.Value,
            TimeoutSec = timeout,
            Background = background,
            Retry = retry,
            Job = job,
            Schedule = schedule,
            Warnings = reader.Warnings,
            SourcePath = source,
            Document = root,
        };
    }

    /// <summary>The top-level keys this runtime reads (<c>steps</c> is read by folder recipes).</summary>
    private static readonly string[] OwnTopLevelKeys = ["name", "description", "version", "runtime", "steps"];

    /// <summary>Top-level keys of PraisonAI's TEMPLATE.yaml (its RecipeConfig and examples) that this runtime does not use.</summary>
    private static readonly string[] PraisonAITopLevelKeys =
    [
        "schema_version", "author", "license", "tags", "requires", "tools", "config", "config_schema", "defaults", "outputs",
        "governance", "data_policy", "workflow", "agents", "cli", "examples", "skills", "variables", "input", "output",
    ];

    /// <summary>
    /// The keys under <c>runtime</c>. <c>retry</c> is read by the retry policy (a later addition); listed so that a template
    /// using it does not warn.
    /// </summary>
    private static readonly string[] RuntimeKeys = ["timeout_sec", "background", "job", "schedule", "retry"];

    private static TimeSpan? Seconds(int? seconds) => seconds is { } s ? TimeSpan.FromSeconds(s) : null;

    private static Exception Inner(Exception ex) => ex.InnerException is YamlException inner ? Inner(inner) : ex;
    internal static int Line(YamlNode? n) => n is null ? 1 : (int)n.Start.Line;
    internal static int Col(YamlNode? n) => n is null ? 1 : (int)n.Start.Column;

    /// <summary>Typed, line-aware lookups; every failure names the key and where it is.</summary>
    internal sealed class Reader(string source)
    {
        public RecipeTemplateException Error(YamlNode node, string key, string problem) =>
            new(source, Line(node), Col(node), key, problem);

        public static YamlNode? Get(YamlMappingNode map, string key) =>
            map.Children.TryGetValue(new YamlScalarNode(key), out var v) ? v : null;

        public YamlScalarNode? Scalar(YamlMappingNode map, string key, string path) => Get(map, key) switch
        {
            null => null,
            YamlScalarNode { Value: null or "" or "~" or "null", Style: ScalarStyle.Plain } => null,
            YamlScalarNode s => s,
            var other => throw Error(other, path, "expected a single value, not a list or mapping"),
        };

        public YamlMappingNode? Mapping(YamlMappingNode map, string key, string path) => Get(map, key) switch
        {
            null => null,
            YamlScalarNode { Value: null or "" or "~" or "null", Style: ScalarStyle.Plain } => null,
            YamlMappingNode m => m,
            var other => throw Error(other, path, "expected a mapping of keys"),
        };

        public int? Int(YamlMappingNode map, string key, string path, int min)
        {
            if (Scalar(map, key, path) is not { } s) return null;
            if (!int.TryParse(s.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v))
                throw Error(s, path, $"expected a whole number, got '{s.Value}'");
            if (v < min)
                throw Error(s, path, min == 1 ? $"must be a positive whole number, got {v}" : $"must be at least {min}, got {v}");
            return v;
        }

        public bool? Bool(YamlMappingNode map, string key, string path)
        {
            if (Scalar(map, key, path) is not { } s) return null;
            return s.Value?.ToLowerInvariant() switch
            {
                "true" or "yes" or "on" => true,
                "false" or "no" or "off" => false,
                _ => throw Error(s, path, $"expected true or false, got '{s.Value}'"),
            };
        }

        public bool OnRestart(YamlMappingNode bg)
        {
            if (Scalar(bg, "on_restart", "runtime.background.on_restart") is not { } s) return false;
            return s.Value?.ToLowerInvariant() switch
            {
                "rerun" => true,
                "fail" => false,
                _ => throw Error(s, "runtime.background.on_restart", $"expected 'rerun' or 'fail', got '{s.Value}'"),
            };
        }

        private readonly List<RecipeTemplateWarning> _warnings = new();

        /// <summary>The warnings collected so far.</summary>
        public IReadOnlyList<RecipeTemplateWarning> Warnings => _warnings.ToArray();

        /// <summary>Every key of <paramref name="map"/> not in <paramref name="known"/> becomes a warning naming its line; nothing is refused.</summary>
        public void WarnUnknownKeys(YamlMappingNode map, string path, params string[] known) => WarnUnknownKeys(map, path, known, known);

        /// <summary>As above; the warning names <paramref name="shown"/> as the keys read here.</summary>
        public void WarnUnknownKeys(YamlMappingNode map, string path, string[] known, string[] shown)
        {
            foreach (var key in map.Children.Keys)
            {
                var k = (key as YamlScalarNode)?.Value ?? key.ToString();
                if (key is YamlScalarNode && known.Contains(k)) continue;
                _warnings.Add(new RecipeTemplateWarning(source, Line(key), Col(key), path.Length == 0 ? k : $"{path}.{k}",
                    $"unknown key, ignored; known here: {string.Join(", ", shown)}"));
            }
        }

        public string? OneOf(YamlMappingNode map, string key, string path, IReadOnlyList<string> allowed)
        {
            if (Scalar(map, key, path) is not { } s) return null;
            var value = s.Value!.Trim().ToLowerInvariant();
            return allowed.Contains(value) ? value
                : throw Error(s, path, $"expected one of {string.Join(", ", allowed)}, got '{s.Value}'");
        }

        public decimal? Decimal(YamlMappingNode map, string key, string path)
        {
            if (Scalar(map, key, path) is not { } s) return null;
            if (!decimal.TryParse(s.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var v))
                throw Error(s, path, $"expected a number, got '{s.Value}'");
            return v >= 0 ? v : throw Error(s, path, $"must be 0 or more, got {s.Value}");
        }

        /// <summary>An http(s) URL after <c>${VAR}</c> expansion; a variable that is not set leaves it unset, with a warning.</summary>
        public string? WebhookUrl(YamlMappingNode map, string key, string path)
        {
            if (Scalar(map, key, path) is not { } s) return null;
            var missing = new List<string>();
            var url = RecipeTemplate.ExpandEnvironment(s.Value!, missing);
            if (missing.Count > 0)
            {
                _warnings.Add(new RecipeTemplateWarning(source, Line(s), Col(s), path,
                    $"the environment variable {string.Join(", ", missing)} is not set, so there is no webhook"));
                return null;
            }
            if (!Uri.TryCreate(url.Trim(), UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
                throw Error(s, path, $"expected an http(s) URL, got '{url}'");
            return uri.ToString();
        }

        public IReadOnlyList<string>? Events(YamlMappingNode map, string key, string path)
        {
            if (Get(map, key) is not { } node) return null;
            if (node is YamlScalarNode { Value: null or "" or "~" or "null", Style: ScalarStyle.Plain }) return null;
            // One event may be written as a single value.
            IEnumerable<YamlNode> items = node switch
            {
                YamlSequenceNode list => list.Children,
                YamlScalarNode one => [one],
                _ => throw Error(node, path, $"expected a list of events: {string.Join(", ", RecipeJobSettings.KnownEvents)}"),
            };
            var events = new List<string>();
            foreach (var item in items)
            {
                if (item is not YamlScalarNode { Value: { } v })
                    throw Error(item, path, "expected an event name, not a list or mapping");
                var name = v.Trim().ToLowerInvariant() switch
                {
                    "succeeded" => "completed",
                    "timed_out" => "timeout",
                    var other => other,
                };
                if (!RecipeJobSettings.KnownEvents.Contains(name))
                    throw Error(item, path, $"unknown event '{v}'; expected one of: {string.Join(", ", RecipeJobSettings.KnownEvents)} (or succeeded, timed_out)");
                if (!events.Contains(name)) events.Add(name);
            }
            return events;
        }

        public (string? Interval, TimeSpan? Every) Interval(YamlMappingNode map, string key, string path)
        {
            if (Scalar(map, key, path) is not { } s) return (null, null);
            var text = s.Value!.Trim();
            return RecipeTemplate.TryParseInterval(text, out var every, out var problem)
                ? (text, every)
                : throw Error(s, path, problem!);
        }
    }

    /// <summary>Replaces <c>${VAR}</c> (only that form) with the variable's value; names that are not set go to <paramref name="missing"/> and stay as written.</summary>
    internal static string ExpandEnvironment(string text, List<string> missing) =>
        EnvReference().Replace(text, m =>
        {
            if (Environment.GetEnvironmentVariable(m.Groups[1].Value) is { } value) return value;
            missing.Add(m.Groups[1].Value);
            return m.Value;
        });

    [System.Text.RegularExpressions.GeneratedRegex(@"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")]
    private static partial System.Text.RegularExpressions.Regex EnvReference();

    [System.Text.RegularExpressions.GeneratedRegex(@"^\*?/?(\d+)\s*(s|sec|second|seconds|m|min|minute|minutes|h|hr|hour|hours)?$", System.Text.RegularExpressions.RegexOptions.IgnoreCase)]
    private static partial System.Text.RegularExpressions.Regex EveryN();

    /// <summary>
    /// PraisonAI's schedule grammar: <c>hourly|daily|weekly</c>, <c>*/N</c> with an optional unit (s, m, h; none is
    /// seconds), a whole number of seconds, <c>cron:</c> with five fields, <c>at:</c> an ISO-8601 time.
    /// <paramref name="every"/> is the period of the every-N forms.
    /// </summary>
    internal static bool TryParseInterval(string text, out TimeSpan? every, out string? problem)
    {
        every = null;
        problem = null;
        var lower = text.ToLowerInvariant();
        const string Forms = "use hourly, daily, weekly, */30m, */6h, */10s, a number of seconds, 'cron:M H D M W' or 'at:2026-03-01T09:00:00'";
        switch (lower)
        {
            case "hourly": every = TimeSpan.FromHours(1); return true;
            case "daily": every = TimeSpan.FromDays(1); return true;
            case "weekly": every = TimeSpan.FromDays(7); return true;
        }
        if (lower.StartsWith("cron:", StringComparison.Ordinal))
        {
            var fields = text[5..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length == 5) return true;
            problem = $"a cron expression has 5 fields (minute hour day month weekday), got {fields.Length} in '{text}'";
            return false;
        }
        if (lower.StartsWith("at:", StringComparison.Ordinal))
        {
            if (DateTimeOffset.TryParse(text[3..].Trim(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out _)) return true;
            problem = $"'{text[3..].Trim()}' after 'at:' is not an ISO-8601 time";
            return false;
        }
        if (EveryN().Match(text) is { Success: true } m && long.TryParse(m.Groups[1].Value, CultureInfo.InvariantCulture, out var n) && n > 0)
        {
            var unit = m.Groups[2].Value.ToLowerInvariant();
            var seconds = unit switch
            {
                "" or "s" or "sec" or "second" or "seconds" => n,
                "m" or "min" or "minute" or "minutes" => n * 60,
                _ => n * 3600,
            };
            every = TimeSpan.FromSeconds(seconds);
            return true;
        }
        problem = $"'{text}' is not a schedule; {Forms}";
        return false;
    }
}

/// <summary>A TEMPLATE.yaml is malformed or invalid; the message names the file, line, column and key.</summary>
public sealed class RecipeTemplateException(string source, int line, int column, string key, string problem)
    : RecipeException(key.Length == 0 ? $"{source}:{line}:{column}: {problem}" : $"{source}:{line}:{column}: {key}: {problem}")
{
    /// <summary>The file (or source name) that holds the problem.</summary>
    public string File { get; } = source;
    /// <summary>1-based line of the problem.</summary>
    public int Line { get; } = line;
    /// <summary>1-based column of the problem.</summary>
    public int Column { get; } = column;
    /// <summary>The key at fault, or empty when the problem is not one key's.</summary>
    public string Key { get; } = key;
    /// <summary>What is wrong.</summary>
    public string Problem { get; } = problem;
}
