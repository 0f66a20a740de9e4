using Praison.Actors.TestSupport;

namespace Praison.Actors.Agents.Tests;

/// <summary>PraisonAI-style agents recipes: sequential tasks with context, substitution, progress, the built-in ask, folders.</summary>
public sealed class AgentRecipeTests : IAsyncLifetime
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private OpenAIStub _stub = null!;
    private PraisonRuntime _runtime = null!;
    private readonly RecipeRegistry _recipes = new();
    private readonly string _dir = Directory.CreateTempSubdirectory("agents-recipes-").FullName;

    private const string TwoAgents = """
        framework: praisonai
        topic: Artificial Intelligence
        roles:
          researcher:
            role: Research Analyst
            goal: Find facts about {topic}
            backstory: An expert researcher.
            llm: RESEARCH_MODEL
            tasks:
              research:
                description: Research {topic} for {{input.audience}}
                expected_output: Three facts
          writer:
            role: Writer
            goal: Write clearly
            instructions: Keep it short.
            llm:
              model: echo
            tasks:
              write:
                description: Write a paragraph for {{input.audience}}
                expected_output: One paragraph
        """;

    public async Task InitializeAsync()
    {
        _stub = await OpenAIStub.StartAsync();
        _recipes.AddAgentRecipes(Endpoint);
        _runtime = await PraisonRuntime.StartAsync(new PraisonRuntimeOptions { Runner = new BackgroundRunnerOptions { Recipes = _recipes } });
    }

    public async Task DisposeAsync()
    {
        await _runtime.DisposeAsync();
        await _stub.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private AgentEndpoint Endpoint()
    {
        var options = new AgentEndpointOptions { BaseUrl = _stub.BaseUrl, Model = "echo" };
        options.Prices["echo"] = new ModelPrice(0, 1000); // 0.001 USD an output token
        return new AgentEndpoint(options);
    }

    private AgentRecipe Register(string name, string agentsYaml)
    {
        var template = RecipeTemplate.Parse($"name: {name}\nruntime:\n  timeout_sec: 60\n");
        var recipe = new AgentRecipe(template, AgentsFile.Parse(agentsYaml), Endpoint) { ProgressInterval = TimeSpan.Zero };
        _recipes.Register(recipe);
        return recipe;
    }

    [Fact]
    public async Task Tasks_run_in_order_and_each_answer_is_the_next_task_s_context()
    {
        Register("team", TwoAgents.Replace("RESEARCH_MODEL", "echo"));

        var handle = await _runtime.Runner.RunBackgroundAsync("team", new RecipeRunOptions { Input = new { audience = "kids" } });
        var result = (System.Text.Json.JsonElement)(await handle.WaitAsync(Wait))!;
        var parsed = System.Text.Json.JsonSerializer.Deserialize<AgentRecipeResult>(result.GetRawText(), PraisonJson.Options)!;

        var requests = _stub.For("echo");
        Assert.Equal(2, requests.Count);
        var first = requests[0].Messages;
        Assert.Equal(("system", "You are Research Analyst. An expert researcher.\nYour goal: Find facts about Artificial Intelligence"), first[0]);
        Assert.Equal(("user", "Research Artificial Intelligence for kids\n\nExpected output: Three facts"), first[1]);
        var second = requests[1].Messages;
        Assert.Equal("You are Writer.\nYour goal: Write clearly\nKeep it short.", second[0].Text);
        Assert.Equal("Write a paragraph for kids\n\nExpected output: One paragraph\n\nContext from the previous task:\n" + parsed.Tasks[0].Result.Text, second[1].Text);

        Assert.Equal(["researcher.research", "writer.write"], parsed.Tasks.Select(t => $"{t.Agent}.{t.Task}"));
        Assert.StartsWith("ECHO: Research Artificial Intelligence for kids", parsed.Tasks[0].Result.Text);
        Assert.Equal(parsed.Tasks[1].Result.Text, parsed.Text);
        Assert.Equal(parsed.Tasks[0].Result.Usage.Add(parsed.Tasks[1].Result.Usage), parsed.Usage);
        Assert.Equal(parsed.Tasks.Sum(t => t.Result.CostUsd), parsed.CostUsd);
    }

    [Fact]
    public async Task Progress_is_reported_per_task_and_per_token_batch()
    {
        Register("gated-team", TwoAgents.Replace("RESEARCH_MODEL", "gated"));
        var handle = await _runtime.Runner.RunBackgroundAsync("gated-team", new RecipeRunOptions { Input = new { audience = "kids" } });

        // The first task's model holds after 5 tokens: progress must name the task and the tokens while it streams.
        await foreach (var update in handle.WatchAsync().WithCancellation(new CancellationTokenSource(Wait).Token))
        {
            if (update.Progress?.Message == "task 1/2 researcher.research: 5 tokens: t t t t t ")
            {
                Assert.Equal(0, update.Progress.Fraction);
                break;
            }
        }
        _stub.Gate.TrySetResult();
        await handle.WaitAsync(Wait);

        var status = await handle.StatusAsync();
        Assert.StartsWith("task 2/2 writer.write: ", status.Progress!.Message);
        Assert.Contains("tokens, done", status.Progress.Message);
        Assert.Equal(1, status.Progress.Fraction);
    }

    [Fact]
    public async Task A_missing_input_fails_the_run_naming_it_before_any_request()
    {
        Register("needs-input", TwoAgents.Replace("RESEARCH_MODEL", "echo"));

        var handle = await _runtime.Runner.RunBackgroundAsync("needs-input", new RecipeRunOptions { Input = new { other = 1 } });

        var ex = await Assert.ThrowsAsync<RecipeException>(() => handle.WaitAsync(Wait));
        Assert.Contains("input 'audience'", ex.Message);
        Assert.Empty(_stub.Requests);
    }

    [Fact]
    public async Task The_run_budget_spans_all_tasks()
    {
        Register("budgeted", TwoAgents.Replace("RESEARCH_MODEL", "echo"));

        // The first task's answer costs 0.009 USD (nine words at 0.001), so a 0.012 budget stops the second task.
        var handle = await _runtime.Runner.RunBackgroundAsync("budgeted", new RecipeRunOptions
        {
            Input = new { audience = "kids" },
            Config = new Dictionary<string, object?> { ["max_cost_usd"] = 0.012 },
        });

        var ex = await Assert.ThrowsAsync<RecipeException>(() => handle.WaitAsync(Wait));
        Assert.Equal(TaskErrorKind.BudgetExceeded, ex.Error!.Kind);
        Assert.Equal(2, _stub.For("echo").Count);
        Assert.True(_stub.For("echo")[0].Completed.Task.IsCompleted);
    }

    [Fact]
    public async Task The_built_in_ask_recipe_answers_the_prompt()
    {
        var handle = await _runtime.Runner.RunBackgroundAsync(AgentRecipes.DefaultName, new RecipeRunOptions { Input = new { prompt = "What is AI?" } });

        var result = (System.Text.Json.JsonElement)(await handle.WaitAsync(Wait))!;

        Assert.Equal("ECHO: What is AI?", result.GetProperty("text").GetString());
        Assert.Equal(("user", "What is AI?"), _stub.For("echo").Single().Messages[1]);
    }

    [Fact]
    public void A_missing_endpoint_is_refused_before_submit()
    {
        var ask = AgentRecipes.Ask(() => new AgentEndpoint(new AgentEndpointOptions()));
        var ex = Assert.Throws<AgentConfigurationException>(() => AgentRecipes.EnsureRunnable(ask));
        Assert.Contains("OPENAI_BASE_URL", ex.Message);

        AgentRecipes.EnsureRunnable(AgentRecipes.Ask(Endpoint)); // a usable endpoint passes
        AgentRecipes.EnsureRunnable(new DelegateRecipe(RecipeTemplate.Parse("name: other"), _ => Task.FromResult<object?>(null)));
    }

    [Fact]
    public void A_folder_is_an_agents_recipe_by_its_agents_yaml_or_roles_in_its_template()
    {
        var beside = Directory.CreateDirectory(Path.Combine(_dir, "beside")).FullName;
        File.WriteAllText(Path.Combine(beside, "agents.yaml"), TwoAgents);
        var byFile = AgentRecipes.TryLoadFolder(beside, RecipeTemplate.Parse("name: beside"), Endpoint);
        Assert.Equal(["researcher", "writer"], byFile!.Agents.Agents.Select(a => a.Key));
        Assert.Equal("Artificial Intelligence", byFile.Agents.Topic);
        Assert.Equal("praisonai", byFile.Agents.Framework);
        Assert.Equal("echo", byFile.Agents.Agents[1].Llm);

        var inline = AgentRecipes.TryLoadFolder(_dir, RecipeTemplate.Parse("name: inline\n" + TwoAgents), Endpoint);
        Assert.Equal(2, inline!.Agents.Steps.Count());

        Assert.Null(AgentRecipes.TryLoadFolder(_dir, RecipeTemplate.Parse("name: plain\nsteps: []"), Endpoint));
    }

    [Fact]
    public void A_malformed_agents_file_names_the_key_and_line()
    {
        var ex = Assert.Throws<RecipeTemplateException>(() => AgentsFile.Parse("""
            roles:
              writer:
                role: Writer
                tasks:
                  write:
                    expected_output: text
            """, "agents.yaml"));
        Assert.Equal("roles.writer.tasks.write.description", ex.Key);
        Assert.Equal(5, ex.Line);
        Assert.Contains("agents.yaml:5", ex.Message);

        var noRoles = Assert.Throws<RecipeTemplateException>(() => AgentsFile.Parse("topic: x\n"));
        Assert.Equal("agents", noRoles.Key);
    }

    [Fact]
    public void A_template_declaring_its_agents_warns_only_about_keys_nobody_reads()
    {
        Assert.Empty(AgentRecipes.Ask(Endpoint).Template.Warnings);

        var template = RecipeTemplate.Parse("name: inline\nframework: praisonai\ntopic: x\ncolour: blue\n" + TwoAgents[TwoAgents.IndexOf("roles:", StringComparison.Ordinal)..]);
        var recipe = new AgentRecipe(template, AgentsFile.Parse(template.Document!, "TEMPLATE.yaml"), Endpoint);
        Assert.Equal("colour", Assert.Single(recipe.Template.Warnings).Key);
    }
}
