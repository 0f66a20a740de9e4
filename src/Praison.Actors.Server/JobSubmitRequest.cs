using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Praison.Actors.Server;

/// <summary>One problem with a request body, in FastAPI's shape: <c>{"loc": ["body", field], "msg": ..., "type": ...}</c>.</summary>
public sealed record ValidationProblem(IReadOnlyList<string> Loc, string Msg, string Type);

/// <summary>
/// The body of <c>POST /api/v1/runs</c> (praisonai's <c>JobSubmitRequest</c>), read leniently where praisonai is
/// (unknown fields are ignored) and strictly where it validates (types, the idempotency scope). Besides theirs we
/// accept <c>input</c> (any JSON, used as the recipe's input as it is, instead of one made from <c>prompt</c>),
/// <c>recipe</c> for <c>recipe_name</c> and <c>timeout_sec</c> for <c>timeout</c>.
/// </summary>
internal sealed class JobSubmitRequest
{
    public string? Prompt { get; private init; }
    public string? RecipeName { get; private init; }
    public string? AgentFile { get; private init; }
    public string? AgentYaml { get; private init; }
    public JsonObject? RecipeConfig { get; private init; }
    public JsonObject? Config { get; private init; }
    public JsonElement? Input { get; private init; }
    public string? SessionId { get; private init; }
    public int? TimeoutSec { get; private init; }
    public string? IdempotencyKey { get; private init; }
    public string? IdempotencyScope { get; private init; }

    /// <summary>The one place <c>webhook_url</c> is read: the run's webhook (checked by the runtime's SSRF guard at submit).</summary>
    public string? WebhookUrl { get; private init; }

    /// <summary>
    /// Reads <paramref name="body"/>; the header key (when given) wins over the body's <c>idempotency_key</c>. A body
    /// without <c>recipe_name</c> (and without an agents file) runs <paramref name="defaultRecipe"/> when there is one.
    /// </summary>
    public static JobSubmitRequest Parse(JsonElement body, string? headerKey, out List<ValidationProblem> problems, string? defaultRecipe = null)
    {
        var found = new List<ValidationProblem>();
        problems = found;
        if (body.ValueKind != JsonValueKind.Object)
        {
            found.Add(new(["body"], $"Input should be a valid dictionary (a JSON object), got {body.ValueKind.ToString().ToLowerInvariant()}.", "dict_type"));
            return new JobSubmitRequest();
        }

        string? Text(params string[] names)
        {
            foreach (var name in names)
            {
                if (!body.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) continue;
                if (v.ValueKind == JsonValueKind.String) return v.GetString();
                found.Add(new(["body", name], $"'{name}' should be a valid string, got {Kind(v)}.", "string_type"));
                return null;
            }
            return null;
        }

        JsonObject? Object(string name)
        {
            if (!body.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
            if (v.ValueKind == JsonValueKind.Object) return JsonNode.Parse(v.GetRawText())!.AsObject();
            found.Add(new(["body", name], $"'{name}' should be a valid dictionary (a JSON object), got {Kind(v)}.", "dict_type"));
            return null;
        }

        var prompt = Text("prompt");
        JsonElement? input = body.TryGetProperty("input", out var i) && i.ValueKind != JsonValueKind.Null ? i.Clone() : null;
        if (prompt is null && input is null && !found.Any(p => p.Loc.Contains("prompt")))
            found.Add(new(["body", "prompt"], "'prompt' is required: the job's input text (or send 'input' with any JSON).", "missing"));

        var recipe = Text("recipe_name", "recipe", "recipeName");
        if (recipe is not null && TaskLimits.NameProblem(recipe, "'recipe_name'") is { } badName)
            found.Add(new(["body", "recipe_name"], badName, "value_error"));

        var session = Text("session_id", "sessionId");
        if (session is not null && TaskLimits.SessionIdProblem(session, "'session_id'") is { } badSession)
            found.Add(new(["body", "session_id"], badSession, "value_error"));

        int? timeout = null;
        foreach (var name in new[] { "timeout", "timeout_sec", "timeoutSec" })
        {
            if (!body.TryGetProperty(name, out var t) || t.ValueKind == JsonValueKind.Null) continue;
            // praisonai's timeout is an int; a float with no fraction (3600.0) is accepted as pydantic does.
            if (t.ValueKind != JsonValueKind.Number || !t.TryGetDouble(out var d) || d != Math.Floor(d) || d > int.MaxValue)
                found.Add(new(["body", name], $"'{name}' should be a whole number of seconds, got {t.GetRawText()}.", "int_type"));
            else if (d <= 0)
                found.Add(new(["body", name], $"'{name}' should be a positive number of seconds, got {t.GetRawText()}.", "greater_than"));
            else
                timeout = (int)d;
            break;
        }

        var bodyKey = Text("idempotency_key");
        var key = string.IsNullOrEmpty(headerKey) ? bodyKey : headerKey;
        if (key is { Length: > 256 })
            found.Add(new(["body", "idempotency_key"], $"The idempotency key is at most 256 characters, got {key.Length}.", "string_too_long"));
        var scope = Text("idempotency_scope");
        if (scope is not null && scope is not ("none" or "session" or "global"))
            found.Add(new(["body", "idempotency_scope"], $"'idempotency_scope' should be 'none', 'session' or 'global', got '{Clip(scope)}'.", "enum"));

        var request = new JobSubmitRequest
        {
            Prompt = prompt,
            // A prompt-only job runs the host's default (agent) recipe, when it has one.
            // agent_file / agent_yaml run the built-in 'agents' recipe with the file's text in the input (AgentsInput).
            RecipeName = !string.IsNullOrWhiteSpace(recipe) ? recipe
                : HasText(body, "agent_file") || HasText(body, "agent_yaml") ? AgentsYamlRecipe.Name : defaultRecipe,
            AgentFile = Text("agent_file"),
            AgentYaml = Text("agent_yaml"),
            RecipeConfig = Object("recipe_config"),
            Config = Object("config"),
            Input = input,
            SessionId = string.IsNullOrEmpty(session) ? null : session,
            TimeoutSec = timeout,
            IdempotencyKey = string.IsNullOrEmpty(key) ? null : key,
            IdempotencyScope = scope,
            WebhookUrl = Text("webhook_url"),
        };
        _ = Text("framework");
        if (request.AgentFile is not null && request.AgentYaml is not null)
            found.Add(new(["body", "agent_yaml"], "Send either 'agent_file' (a path on the server) or 'agent_yaml' (the file's text), not both.", "value_error"));
        if ((request.AgentFile ?? request.AgentYaml) is not null && !string.IsNullOrWhiteSpace(recipe))
            found.Add(new(["body", "recipe_name"], "A job runs either a recipe ('recipe_name') or an agents file ('agent_file' / 'agent_yaml'), not both.", "value_error"));
        if ((request.AgentFile ?? request.AgentYaml) is not null && input is { ValueKind: not JsonValueKind.Object })
            found.Add(new(["body", "input"], "With 'agent_file' or 'agent_yaml', 'input' must be a JSON object (the agents file's text is added to it).", "dict_type"));
        if (found.Count == 0 && request.RecipeName is null && request.AgentFile is null && request.AgentYaml is null)
            found.Add(new(["body", "recipe_name"],
                "This server has no default agent recipe, so a job without 'recipe_name' cannot run. Configure a model endpoint "
                + "(OPENAI_BASE_URL / OPENAI_API_KEY / OPENAI_MODEL_NAME) for `serve`'s built-in 'ask' recipe, or send "
                + "\"recipe_name\" with the name of a recipe this server has (the prompt becomes its input, as {\"prompt\": ...}).",
                "agents_not_configured"));
        return request;
    }

    /// <summary>
    /// The recipe's input: <c>input</c> as sent; otherwise an object with <c>prompt</c> (the text) plus the properties
    /// of the prompt when it is a JSON object or a Python dict repr (PraisonAI's <c>str(input)</c>).
    /// </summary>
    public JsonElement RecipeInput()
    {
        if (Input is { } given) return given;
        var obj = new JsonObject();
        var text = Prompt ?? "";
        var trimmed = text.AsSpan().Trim();
        if (trimmed.StartsWith("{") && trimmed.EndsWith("}"))
        {
            JsonNode? parsed = null;
            try
            {
                parsed = JsonNode.Parse(text);
            }
            catch (JsonException)
            {
                if (PythonLiteral.TryParse(text, out var py)) parsed = py;
            }
            if (parsed is JsonObject props)
                foreach (var (name, value) in props.ToList())
                {
                    props.Remove(name);
                    obj[name] = value;
                }
        }
        obj["prompt"] = text;
        return JsonSerializer.SerializeToElement(obj);
    }

    /// <summary>True when the job runs an agents file (<c>agent_file</c> or <c>agent_yaml</c>).</summary>
    public bool RunsAgentsFile => AgentFile is not null || AgentYaml is not null;

    /// <summary>
    /// The input of an agents-file job: <see cref="RecipeInput"/> plus the file's text (<c>agents_yaml</c>) and where it
    /// came from (<c>agents_source</c>), after checking the text parses. <c>agent_file</c> is read inside
    /// <paramref name="agentsRoot"/> only. Null with a problem naming the field when it cannot run.
    /// </summary>
    public JsonElement? AgentsInput(string? agentsRoot, out ValidationProblem? problem)
    {
        problem = null;
        string text, source;
        if (AgentFile is { } file)
        {
            if (agentsRoot is null)
            {
                problem = new(["body", "agent_file"],
                    "This server runs 'agent_file' only from a configured agents root, and none is configured: start serve with "
                    + $"--agents-root DIR (or set {AgentsRoot.Variable}) and put the file under DIR, or send the file's text as 'agent_yaml'.",
                    "agents_root_not_configured");
                return null;
            }
            try
            {
                (source, text) = AgentsRoot.Read(agentsRoot, file);
            }
            catch (ArgumentException ex)
            {
                problem = new(["body", "agent_file"], ex.Message, "value_error");
                return null;
            }
        }
        else
        {
            (source, text) = ("agent_yaml", AgentYaml!);
        }
        try
        {
            AgentsFile.Parse(text, source); // checked now, so a bad file is a 422 naming the line, not a failed run
        }
        catch (RecipeTemplateException ex)
        {
            problem = new(["body", AgentFile is not null ? "agent_file" : "agent_yaml"], ex.Message, "agents_file_invalid");
            return null;
        }
        var input = JsonNode.Parse(RecipeInput().GetRawText())!.AsObject();
        input[AgentsYamlRecipe.YamlInput] = text;
        input[AgentsYamlRecipe.SourceInput] = source;
        return JsonSerializer.SerializeToElement(input);
    }

    /// <summary><c>config</c> with <c>recipe_config</c> over it (recipe_config wins a shared key); null when neither was sent.</summary>
    public IReadOnlyDictionary<string, object?>? RecipeConfiguration()
    {
        if (Config is null && RecipeConfig is null) return null;
        var merged = new Dictionary<string, object?>();
        foreach (var source in new[] { Config, RecipeConfig })
            if (source is not null)
                foreach (var (name, value) in source)
                    merged[name] = value is null ? null : JsonSerializer.SerializeToElement(value);
        return merged;
    }

    /// <summary>
    /// The effective scope: none (no dedupe), session (the key within <c>session_id</c>) or global (the key alone). A key
    /// without a scope takes <paramref name="recipeScope"/> (the recipe's <c>runtime.job.idempotency_scope</c>), else global.
    /// </summary>
    public string EffectiveScope(string? recipeScope = null) => IdempotencyKey is null ? "none" : IdempotencyScope ?? recipeScope ?? "global";

    /// <summary>
    /// The job id of a keyed submission: <c>run_</c> + the first 24 hex digits (96 bits) of SHA-256 over scope, session
    /// (for the session scope) and key; null without a key or with scope none, so the same key always names the same job.
    /// </summary>
    public string? IdempotentJobId(string? recipeScope = null)
    {
        var scope = EffectiveScope(recipeScope);
        if (IdempotencyKey is null || scope == "none") return null;
        // Lengths keep the parts apart: no session/key pair can spell another's material.
        var session = scope == "session" ? SessionId ?? "" : "";
        var material = $"{scope}|{session.Length}|{session}|{IdempotencyKey}";
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(material));
        return "run_" + Convert.ToHexStringLower(hash)[..24];
    }

    /// <summary>A fresh id: <c>run_</c> + 12 random hex digits, as praisonai's ids.</summary>
    public static string NewJobId() => "run_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));

    private static bool HasText(JsonElement body, string name) => body.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String;

    private static string Kind(JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        JsonValueKind.String => "a string",
        _ => v.ValueKind.ToString().ToLowerInvariant(),
    };

    private static string Clip(string s) => s.Length <= 64 ? s : s[..64] + "…";
}
