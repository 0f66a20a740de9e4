using System.CommandLine;
using System.Text.Json;
using Praison.Actors.Cli.Recipes;
using Spectre.Console;

namespace Praison.Actors.Cli.Commands;

/// <summary><c>praison-actors recipes list|show</c>.</summary>
public static class RecipeCommands
{
    /// <summary>Builds the <c>recipes</c> command and its subcommands.</summary>
    public static Command Build()
    {
        var recipes = new Command("recipes", "The recipes this tool can run: built-ins and folders under --recipes (default ./recipes).");

        var list = new Command("list", """
            List the recipes: built-ins and every folder with a TEMPLATE.yaml under --recipes. Folders whose
            template has an error are listed with the error (file:line:column: key: problem).

            Examples:
              praison-actors recipes list
              praison-actors recipes list --recipes ./my-recipes --json
            """);
        list.SetAction((parse, ct) => Cli.RunAsync(parse, ct, (cli, _) =>
        {
            var catalog = cli.LoadRecipes();
            var recipes = catalog.Registry.List().Select(t => Describe(catalog, t.Name)).ToList();
            var errors = catalog.Broken.Select(b => new { folder = b.Key, error = b.Value.Message }).ToList();
            if (cli.Json)
            {
                cli.WriteJson(new { recipes, errors });
                return Task.FromResult(ExitCodes.Ok);
            }
            var table = new Table().AddColumns("NAME", "KIND", "DESCRIPTION");
            foreach (var r in recipes) table.AddRow(Markup.Escape(r.Name), r.Kind, Markup.Escape(r.Description ?? ""));
            AnsiConsole.Write(table);
            foreach (var e in errors) Cli.Note($"warning: recipe folder '{e.folder}' cannot be used: {e.error}");
            foreach (var w in recipes.SelectMany(r => r.Warnings)) Cli.Note($"warning: {w}");
            return Task.FromResult(ExitCodes.Ok);
        }));

        var name = new Argument<string>("name") { Description = "The recipe's name." };
        var show = new Command("show", """
            Show one recipe: its TEMPLATE.yaml settings and, for a folder recipe, its steps.

            Examples:
              praison-actors recipes show hash-files
              praison-actors recipes show my-build --json
            """) { name };
        show.SetAction((parse, ct) => Cli.RunAsync(parse, ct, (cli, _) =>
        {
            var catalog = cli.LoadRecipes();
            catalog.Get(parse.GetValue(name)!); // unknown or broken: a clear error, exit code 2
            var info = Describe(catalog, parse.GetValue(name)!);
            foreach (var w in info.Warnings) Cli.Note($"warning: {w}");
            if (cli.Json)
            {
                cli.WriteJson(info);
                return Task.FromResult(ExitCodes.Ok);
            }
            var grid = new Grid().AddColumn().AddColumn();
            void Row(string k, object? v) { if (v is not null) grid.AddRow(new Text(k, new Style(Color.Grey)), new Text(v.ToString()!)); }
            Row("name", info.Name);
            Row("kind", info.Kind);
            Row("description", info.Description);
            Row("version", info.Version);
            Row("timeout_sec", info.TimeoutSec);
            Row("background", $"enabled: {info.Background.Enabled}, max_concurrent: {info.Background.MaxConcurrent?.ToString() ?? "-"}, " +
                              $"cleanup_delay_sec: {info.Background.CleanupDelaySec?.ToString() ?? "-"}, on_restart: {(info.Background.RerunOnRestart ? "rerun" : "fail")}");
            Row("job", Settings(info.Job));
            Row("schedule", Settings(info.Schedule));
            Row("source", info.Source);
            AnsiConsole.Write(grid);
            foreach (var (step, i) in (info.Steps ?? []).Select((s, i) => (s, i)))
                Console.Out.WriteLine($"  {i + 1}. {step.Name}: {step.Command} {string.Join(' ', step.Args.Select(Quote))}" +
                                      (step.TimeoutSec is { } t ? $"  (timeout {t} s)" : ""));
            return Task.FromResult(ExitCodes.Ok);
        }));

        recipes.Subcommands.Add(list);
        recipes.Subcommands.Add(show);
        return recipes;
    }

    /// <summary>The keys a template set, as <c>key: value</c> pairs; null when it set none.</summary>
    private static string? Settings(object settings)
    {
        var set = JsonSerializer.SerializeToElement(settings, Cli.Indented).EnumerateObject()
            .Where(p => p.Value.ValueKind != JsonValueKind.Null)
            .Select(p => $"{p.Name}: {(p.Value.ValueKind == JsonValueKind.Array ? string.Join(", ", p.Value.EnumerateArray()) : p.Value.ToString())}")
            .ToList();
        return set.Count == 0 ? null : string.Join(", ", set);
    }

    private static string Quote(string arg) => arg.Length > 0 && !arg.Any(char.IsWhiteSpace) && !arg.Contains('\'') ? arg : $"'{arg.Replace("'", "'\\''")}'";

    /// <summary>What <c>recipes show</c> prints about one recipe.</summary>
    /// <param name="Name">The recipe's name.</param>
    /// <param name="Kind"><c>built-in</c> or <c>steps</c>.</param>
    /// <param name="Description">Its description, if any.</param>
    /// <param name="Version">Its version, if any.</param>
    /// <param name="TimeoutSec">Its default timeout in seconds (<c>runtime.timeout_sec</c>), if any.</param>
    /// <param name="Background">Its background settings.</param>
    /// <param name="Source">The TEMPLATE.yaml it was read from, if any.</param>
    /// <param name="Steps">Its steps, for a steps recipe.</param>
    /// <param name="Job">Its <c>runtime.job</c> settings.</param>
    /// <param name="Schedule">Its <c>runtime.schedule</c> settings.</param>
    /// <param name="Warnings">Keys of its TEMPLATE.yaml that were ignored, each <c>file:line:column: key: why</c>.</param>
    public sealed record RecipeInfo(string Name, string Kind, string? Description, string? Version, int? TimeoutSec,
        RecipeBackgroundSettings Background, string? Source, IReadOnlyList<StepDefinition>? Steps,
        RecipeJobSettings Job, RecipeScheduleSettings Schedule, IReadOnlyList<string> Warnings);

    private static RecipeInfo Describe(RecipeCatalog catalog, string name)
    {
        var recipe = catalog.Get(name);
        var t = recipe.Template;
        var steps = recipe is StepRecipe s ? s.Steps : null;
        return new RecipeInfo(t.Name, steps is null ? "built-in" : "steps", t.Description, t.Version, t.TimeoutSec, t.Background,
            t.SourcePath, steps, t.Job, t.Schedule, t.Warnings.Select(w => w.ToString()).ToList());
    }
}
