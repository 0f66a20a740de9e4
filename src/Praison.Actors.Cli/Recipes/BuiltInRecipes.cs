using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Praison.Actors.Cli.Recipes;

/// <summary>
/// The recipes that ship with the tool: code recipes, each with its embedded TEMPLATE.yaml. The ones that read
/// files (<c>word-count</c>, <c>hash-files</c>) read only under a root folder (the host's <c>--root</c>): a relative
/// path is taken from the root, and <c>..</c> or a symlink that leads out of it is refused. word-count reads regular
/// files of at most <see cref="MaxWordCountBytes"/>.
/// </summary>
public static class BuiltInRecipes
{
    /// <summary>The largest file word-count reads: /dev/zero and friends are refused, a huge file is not read for minutes.</summary>
    public const long MaxWordCountBytes = 64L * 1024 * 1024;

    /// <summary>The built-ins reading under <paramref name="root"/>.</summary>
    public static IEnumerable<IRecipe> All(string root)
    {
        root = Path.GetFullPath(root);
        return
        [
            new CodeRecipe(Template("hello"), Hello),
            new CodeRecipe(Template("word-count"), ctx => WordCount(ctx, root)),
            new CodeRecipe(Template("hash-files"), ctx => HashFiles(ctx, root)),
            new CodeRecipe(Template("sleep"), Sleep),
        ];
    }

    /// <summary>The input properties of the built-ins that name paths.</summary>
    private static readonly Dictionary<string, string> PathInputs = new(StringComparer.Ordinal)
    {
        ["word-count"] = "path",
        ["hash-files"] = "path",
    };

    /// <summary>
    /// The input with a relative path made absolute against <paramref name="callerDir"/>: a client handing a run to
    /// a host elsewhere means its own directory, not the host's. hash-files' default (".") becomes the caller's directory.
    /// </summary>
    public static JsonElement? WithAbsolutePaths(string recipe, JsonElement? input, string callerDir)
    {
        if (!PathInputs.TryGetValue(recipe, out var property)) return input;
        if (input is { ValueKind: not JsonValueKind.Object } || (input is null && recipe != "hash-files")) return input;
        var fields = input is { } obj
            ? obj.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.Clone(), StringComparer.Ordinal)
            : new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        if (fields.TryGetValue(property, out var value))
        {
            if (value.ValueKind != JsonValueKind.String || Path.IsPathRooted(value.GetString()!)) return input;
            fields[property] = JsonSerializer.SerializeToElement(Path.Combine(callerDir, value.GetString()!)); // ".." kept: errors show what was asked
        }
        else if (recipe == "hash-files" && !fields.ContainsKey("text"))
            fields[property] = JsonSerializer.SerializeToElement(callerDir);
        else
            return input;
        return JsonSerializer.SerializeToElement(fields);
    }

    /// <summary>
    /// Refuses, before anything is stored, a path input the recipe would refuse anyway: one outside
    /// <paramref name="root"/>, a non-regular file or one too large for word-count. A missing file is left to the run.
    /// </summary>
    public static void CheckInput(string recipe, JsonElement? input, string root)
    {
        if (!PathInputs.TryGetValue(recipe, out var property) || input is not { ValueKind: JsonValueKind.Object } obj ||
            !obj.TryGetProperty(property, out var value) || value.ValueKind != JsonValueKind.String) return;
        var real = InsideRoot(recipe, value.GetString()!, root);
        if (recipe == "word-count" && File.Exists(real)) CheckReadable(real);
    }

    private static string InsideRoot(string recipe, string path, string root) =>
        PathGuard.ResolveInside(path, root, root, $"{recipe}: path", " (the host's root; start it with --root to choose another)");

    private static void CheckReadable(string real)
    {
        if (!PathGuard.IsRegularFile(real))
            throw new ArgumentException($"word-count: '{real}' is not a regular file (a device, FIFO or socket); only regular files are read.");
        if (new FileInfo(real).Length is var length and > MaxWordCountBytes)
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"word-count: '{real}' is {length:N0} bytes, more than the limit of {MaxWordCountBytes:N0} bytes (64 MiB)."));
    }

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

    private static async Task<object?> WordCount(RecipeContext ctx, string root)
    {
        var path = ctx.GetInputString("path");
        var text = ctx.GetInputString("text");
        if ((path is null) == (text is null))
            throw new ArgumentException("word-count needs exactly one of {\"path\": FILE} or {\"text\": TEXT} as input.");

        TextReader reader;
        long total;
        Stream? file = null;
        if (path is not null)
        {
            var full = InsideRoot("word-count", path, root);
            if (!File.Exists(full) && !Directory.Exists(full)) throw new FileNotFoundException($"word-count: no file at '{full}'.", full);
            CheckReadable(full);
            file = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            reader = new StreamReader(file, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
            total = Math.Max(1, file.Length);
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
                // The file may have grown since it was checked: the limit holds for what is read, not only the size seen.
                if (file is not null && file.Position > MaxWordCountBytes)
                    throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                        $"word-count: '{path}' grew past the limit of {MaxWordCountBytes:N0} bytes (64 MiB) while being read."));
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

    private static async Task<object?> HashFiles(RecipeContext ctx, string allowedRoot)
    {
        var root = InsideRoot("hash-files", ctx.GetInputString("path") ?? ".", allowedRoot);
        if (!Directory.Exists(root)) throw new DirectoryNotFoundException($"hash-files: no directory at '{root}'.");
        var realAllowedRoot = PathGuard.RealPath(allowedRoot);

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
            if (Refusal(files[i], realAllowedRoot) is { } refusal)
            {
                unreadable++;
                if (entries.Count < MaxListedFiles) entries.Add(new { path = rel, error = refusal });
                continue;
            }
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

    /// <summary>Why a listed file is not read: a symlink out of the root, or not a regular file (a FIFO would block).</summary>
    private static string? Refusal(string file, string realRoot)
    {
        var real = new FileInfo(file).LinkTarget is null ? file : PathGuard.RealPath(file);
        if (!PathGuard.IsUnder(real, realRoot)) return $"not read: a symlink to '{real}', outside {realRoot}";
        return PathGuard.IsRegularFile(real) ? null : "not read: not a regular file";
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
