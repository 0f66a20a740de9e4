using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Praison.Actors.Cli.Recipes;

/// <summary>The recipes that ship with the tool: code recipes, each with its embedded TEMPLATE.yaml.</summary>
public static class BuiltInRecipes
{
    public static IEnumerable<IRecipe> All() =>
    [
        new CodeRecipe(Template("hello"), Hello),
        new CodeRecipe(Template("word-count"), WordCount),
        new CodeRecipe(Template("hash-files"), HashFiles),
        new CodeRecipe(Template("sleep"), Sleep),
    ];

    private static RecipeTemplate Template(string name)
    {
        var resource = $"praison-recipes/{name}/TEMPLATE.yaml";
        using var stream = typeof(BuiltInRecipes).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"The built-in recipe template {resource} is missing from the assembly.");
        using var reader = new StreamReader(stream);
        return RecipeTemplate.Parse(reader.ReadToEnd(), $"built-in:{name}/TEMPLATE.yaml");
    }

    private sealed class CodeRecipe(RecipeTemplate template, Func<RecipeContext, Task<object?>> run) : IRecipe
    {
        public RecipeTemplate Template { get; } = template;
        public Task<object?> RunAsync(RecipeContext context) => run(context);
    }

    private static async Task<object?> Hello(RecipeContext ctx)
    {
        var name = ctx.GetInputString("name") ?? "world";
        ctx.ReportProgress(0.5, $"greeting {name}");
        await Task.Yield();
        ctx.ReportProgress(1, "done");
        return new { greeting = $"Hello, {name}!" };
    }

    private const int ChunkChars = 64 * 1024;

    private static async Task<object?> WordCount(RecipeContext ctx)
    {
        var path = ctx.GetInputString("path");
        var text = ctx.GetInputString("text");
        if ((path is null) == (text is null))
            throw new ArgumentException("word-count needs exactly one of {\"path\": FILE} or {\"text\": TEXT} as input.");

        TextReader reader;
        long total;
        if (path is not null)
        {
            var full = Path.GetFullPath(path);
            if (!File.Exists(full)) throw new FileNotFoundException($"word-count: no file at '{full}'.", full);
            reader = new StreamReader(full, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
            total = Math.Max(1, new FileInfo(full).Length);
        }
        else
        {
            reader = new StringReader(text!);
            total = Math.Max(1, text!.Length);
        }

        long lines = 0, words = 0, chars = 0, chunks = 0;
        var inWord = false;
        var buffer = new char[ChunkChars];
        using (reader)
        {
            int read;
            while ((read = await reader.ReadAsync(buffer, ctx.CancellationToken)) > 0)
            {
                for (var i = 0; i < read; i++)
                {
                    var c = buffer[i];
                    if (c == '\n') lines++;
                    if (char.IsWhiteSpace(c)) inWord = false;
                    else if (!inWord) { inWord = true; words++; }
                }
                chars += read;
                chunks++;
                // Characters over bytes is close enough for a progress bar (exact for ASCII).
                ctx.ReportProgress(Math.Min(0.99, (double)chars / total), $"chunk {chunks}: {words:N0} words so far");
            }
        }
        ctx.ReportProgress(1, $"{words:N0} words");
        return new { source = path ?? "text", lines, words, characters = chars, chunks };
    }

    /// <summary>Folders hash-files skips: build output and version-control metadata.</summary>
    public static readonly string[] SkippedFolders = ["bin", "obj", ".git", "node_modules"];

    /// <summary>The most file entries listed in a hash-files result (the tree digest still covers every file).</summary>
    public const int MaxListedFiles = 2000;

    private static async Task<object?> HashFiles(RecipeContext ctx)
    {
        var root = Path.GetFullPath(ctx.GetInputString("path") ?? ".");
        if (!Directory.Exists(root)) throw new DirectoryNotFoundException($"hash-files: no directory at '{root}'.");

        ctx.ReportProgress(0, "listing files");
        var files = ListFiles(root, ctx.CancellationToken);
        var entries = new List<object>();
        var manifest = new StringBuilder();
        long bytes = 0;
        var unreadable = 0;
        for (var i = 0; i < files.Count; i++)
        {
            var rel = Path.GetRelativePath(root, files[i]).Replace('\\', '/');
            ctx.ReportProgress((double)i / files.Count, rel);
            string hash;
            long length;
            try
            {
                await using var stream = new FileStream(files[i], FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete,
                    81920, FileOptions.Asynchronous | FileOptions.SequentialScan);
                length = stream.Length;
                hash = Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, ctx.CancellationToken));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // A file that vanished or is locked is reported, not fatal: the rest of the tree is still hashed.
                unreadable++;
                if (entries.Count < MaxListedFiles) entries.Add(new { path = rel, error = ex.Message });
                continue;
            }
            bytes += length;
            manifest.Append(hash).Append("  ").Append(rel).Append('\n');
            if (entries.Count < MaxListedFiles) entries.Add(new { path = rel, sha256 = hash, bytes = length });
        }
        ctx.ReportProgress(1, $"{files.Count} files hashed");
        return new
        {
            path = root,
            fileCount = files.Count,
            totalBytes = bytes,
            unreadable,
            // One digest for the whole tree: SHA-256 of the sorted "hash  path" lines, as sha256sum prints them.
            treeSha256 = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(manifest.ToString()))),
            skippedFolders = SkippedFolders,
            filesListed = entries.Count,
            files = entries,
        };
    }

    private static List<string> ListFiles(string root, CancellationToken ct)
    {
        var files = new List<string>();
        var pending = new Stack<string>([root]);
        while (pending.Count > 0)
        {
            ct.ThrowIfCancellationRequested();
            var dir = pending.Pop();
            try
            {
                files.AddRange(Directory.EnumerateFiles(dir));
                foreach (var sub in Directory.EnumerateDirectories(dir))
                {
                    var info = new DirectoryInfo(sub);
                    if (SkippedFolders.Contains(info.Name) || info.LinkTarget is not null) continue; // no symlink loops
                    pending.Push(sub);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // An unreadable folder is skipped; its files simply do not appear.
            }
        }
        files.Sort(StringComparer.Ordinal);
        return files;
    }

    private static async Task<object?> Sleep(RecipeContext ctx)
    {
        var seconds = 5.0;
        if (ctx.Input.ValueKind == JsonValueKind.Object && ctx.Input.TryGetProperty("seconds", out var s))
        {
            if (s.ValueKind != JsonValueKind.Number || !s.TryGetDouble(out seconds) || seconds < 0)
                throw new ArgumentException($"sleep: 'seconds' must be a non-negative number, got {s.GetRawText()}.");
        }
        const int ticks = 10;
        for (var i = 0; i < ticks; i++)
        {
            ctx.ReportProgress((double)i / ticks, $"{seconds * i / ticks:0.#} of {seconds:0.#} s");
            await Task.Delay(TimeSpan.FromSeconds(seconds / ticks), ctx.CancellationToken);
        }
        ctx.ReportProgress(1, $"slept {seconds:0.#} s");
        return new { slept = seconds };
    }
}
