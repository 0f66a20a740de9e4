using System.Data.Common;
using Akka.Configuration;
using Akka.Persistence.Sql;
using Microsoft.Data.Sqlite;
using Npgsql;
using Praison.Actors.Persistence;

namespace Praison.Actors;

/// <summary>
/// Where task events are kept, chosen by configuration alone: <see cref="Ephemeral"/> (in memory),
/// <see cref="Sqlite"/> (a file under a data directory, the default of hosts and the CLI) or
/// <see cref="PostgreSql"/>.
/// </summary>
public abstract record TaskStore
{
    /// <summary>In memory only: tasks are lost when the process ends.</summary>
    public static TaskStore Ephemeral { get; } = new EphemeralStore();

    /// <summary>SQLite files <c>journal.db</c> and <c>snapshots.db</c> in <paramref name="dataDirectory"/>, created if missing.</summary>
    public static TaskStore Sqlite(string dataDirectory) => new SqliteStore(Path.GetFullPath(dataDirectory));

    /// <summary>A PostgreSQL database given by <paramref name="connectionString"/> (Npgsql syntax).</summary>
    public static TaskStore PostgreSql(string connectionString) => new PostgreSqlStore(connectionString);

    /// <summary>The default data directory: <c>$PRAISON_DATA_DIR</c>, else <c>~/.praison/actors</c>.</summary>
    public static string DefaultDataDirectory =>
        Environment.GetEnvironmentVariable("PRAISON_DATA_DIR") is { Length: > 0 } dir
            ? dir
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".praison", "actors");

    /// <summary>A short description for messages, without secrets.</summary>
    public abstract string Describe();

    /// <summary>True when tasks survive a restart.</summary>
    public abstract bool IsDurable { get; }

    /// <summary>The persistence HOCON for this store, with Akka.Persistence.Sql's defaults as fallback.</summary>
    public abstract Config ToConfig();

    /// <summary>
    /// Checks the store is usable and creates what it needs (directory, WAL mode), so bad configuration fails
    /// here with a <see cref="TaskStoreException"/> naming the store and the reason, instead of hanging later.
    /// </summary>
    public abstract Task PrepareAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Every retained task replayed from the journal, without an actor system, oldest first: how a host rebuilds its
    /// index at start-up. It reads every event of every task; for status and lists use <see cref="GetTaskAsync"/> and
    /// <see cref="QueryTasksAsync"/>, which are indexed queries on the task table.
    /// </summary>
    public virtual Task<IReadOnlyList<StoredTask>> ReadTasksAsync(CancellationToken cancellationToken = default) =>
        Sql?.ReadTasksAsync(cancellationToken) ?? Task.FromResult<IReadOnlyList<StoredTask>>(Array.Empty<StoredTask>());

    /// <summary>
    /// One task's status from the task table (progress as last recorded), or null when the store has no such task.
    /// Throws <see cref="TaskStoreException"/> when the store cannot be read; a store never created reads as empty.
    /// </summary>
    public Task<TaskStatusInfo?> GetTaskAsync(string taskId, CancellationToken cancellationToken = default) =>
        ReadAsync(sql => sql.GetTaskAsync(taskId, cancellationToken), (TaskStatusInfo?)null, "reading a task", cancellationToken);

    /// <summary>What a task was submitted with (from its Submitted event, read only now); null when none is stored.</summary>
    internal Task<Messages.TaskSpec?> ReadSpecAsync(string taskId, CancellationToken cancellationToken = default) =>
        ReadAsync(sql => sql.ReadSpecAsync(taskId, cancellationToken), (Messages.TaskSpec?)null, "reading a task's input", cancellationToken);

    /// <summary>The result JSON of a completed task (from its Completed event, read only now); null otherwise.</summary>
    public Task<string?> ReadResultAsync(string taskId, CancellationToken cancellationToken = default) =>
        ReadAsync(sql => sql.ReadResultAsync(taskId, cancellationToken), (string?)null, "reading a task's result", cancellationToken);

    /// <summary>
    /// The tasks matching <paramref name="query"/> (status, session, name), oldest first, from
    /// <paramref name="offset"/>, at most <paramref name="limit"/>, with the number that match in all.
    /// Throws <see cref="TaskStoreException"/> when the store cannot be read: a failed read is never an empty page.
    /// </summary>
    public async Task<TaskPage> QueryTasksAsync(TaskQuery query, int offset, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        var (tasks, total) = await ReadAsync(sql => sql.QueryTasksAsync(query, offset, limit, count: true, cancellationToken),
            (new List<TaskStatusInfo>(), (long?)0), "listing tasks", cancellationToken).ConfigureAwait(false);
        return new TaskPage(tasks, total ?? tasks.Count, offset, limit);
    }

    /// <summary>Every task matching <paramref name="query"/> (within its Offset/Limit), oldest first, without a count.</summary>
    internal async Task<IReadOnlyList<TaskStatusInfo>> ListTasksAsync(TaskQuery query, CancellationToken cancellationToken = default) =>
        (await ReadAsync(sql => sql.QueryTasksAsync(query, query.Offset, query.Limit ?? int.MaxValue, count: false, cancellationToken),
            (new List<TaskStatusInfo>(), (long?)0), "listing tasks", cancellationToken).ConfigureAwait(false)).Item1;

    /// <summary>
    /// Only the pending and running tasks, replayed from the journal (the task table selects them), oldest first: what a
    /// start-up that does not keep finished tasks in memory needs. Throws <see cref="TaskStoreException"/> on failure.
    /// </summary>
    internal Task<IReadOnlyList<StoredTask>> ReadUnfinishedTasksAsync(CancellationToken cancellationToken = default) =>
        ReadAsync(sql => sql.ReadUnfinishedTasksAsync(cancellationToken), (IReadOnlyList<StoredTask>)Array.Empty<StoredTask>(),
            "reading unfinished tasks", cancellationToken);

    /// <summary>Ids of finished tasks, or of every task (<paramref name="includeActive"/>), oldest first.</summary>
    internal Task<List<string>> ReadTaskIdsAsync(bool includeActive, CancellationToken cancellationToken = default) =>
        ReadAsync(sql => sql.ReadTaskIdsAsync(includeActive, cancellationToken), new List<string>(), "listing task ids", cancellationToken);

    /// <summary>Ids of unfinished tasks and of finished ones whose cleanup is due at <paramref name="now"/>.</summary>
    internal Task<List<string>> ReadSweepTargetsAsync(DateTimeOffset now, CancellationToken cancellationToken = default) =>
        ReadAsync(sql => sql.ReadSweepTargetsAsync(now, cancellationToken), new List<string>(), "listing tasks to wake", cancellationToken);

    /// <summary>Finished tasks whose cleanup is due at <paramref name="now"/>, with their last sequence numbers (the cleanup index).</summary>
    internal Task<List<(string TaskId, long SequenceNr)>> ReadDueCleanupsAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken = default) =>
        ReadAsync(sql => sql.ReadDueCleanupsAsync(now, limit, cancellationToken), new List<(string, long)>(), "listing due cleanups", cancellationToken);

    /// <summary>Every finished task with its last sequence number, oldest first.</summary>
    internal Task<List<(string TaskId, long SequenceNr)>> ReadFinishedSequenceNrsAsync(CancellationToken cancellationToken = default) =>
        ReadAsync(sql => sql.ReadFinishedSequenceNrsAsync(cancellationToken), new List<(string, long)>(), "listing finished tasks", cancellationToken);

    /// <summary>Which of <paramref name="taskIds"/> are stored, with their last sequence numbers.</summary>
    internal Task<Dictionary<string, long>> ReadSequenceNrsAsync(IReadOnlyList<string> taskIds, CancellationToken cancellationToken = default) =>
        ReadAsync(sql => sql.ReadSequenceNrsAsync(taskIds, cancellationToken), new Dictionary<string, long>(), "reading task ids", cancellationToken);

    /// <summary>True when reads can use the task table (a SQL store); the ephemeral store has none.</summary>
    internal bool HasTaskTable => Sql is not null;

    /// <summary>Direct SQL on the store's tables; null for the ephemeral store.</summary>
    internal virtual SqlJournalAccess? Sql => null;

    /// <summary>False when nothing was ever stored here, without creating anything (a SQLite file is not created by a read).</summary>
    private protected virtual bool MayExist => true;

    /// <summary>
    /// Runs one read on the task table. A store never created answers <paramref name="empty"/>; a store written before
    /// the task table existed is migrated (the table created and backfilled once) and read, as is one whose table lacks
    /// columns added since; any other failure (a missing
    /// table, a bad database, a lost connection) is a <see cref="TaskStoreException"/> naming the store.
    /// </summary>
    private async Task<T> ReadAsync<T>(Func<SqlJournalAccess, Task<T>> read, T empty, string what, CancellationToken cancellationToken)
    {
        if (Sql is not { } sql || !MayExist) return empty;
        try
        {
            return await read(sql).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsStoreFailure(ex) && !cancellationToken.IsCancellationRequested)
        {
            var state = SqlJournalAccess.TableState.Missing;
            try
            {
                state = await sql.TableStateAsync(cancellationToken).ConfigureAwait(false);
                if (state == SqlJournalAccess.TableState.NeverCreated) return empty;
                if (state is SqlJournalAccess.TableState.PredatesTable or SqlJournalAccess.TableState.LacksColumns)
                {
                    await sql.PrepareTableAsync(cancellationToken).ConfigureAwait(false);
                    return await read(sql).ConfigureAwait(false);
                }
            }
            catch (Exception again) when (IsStoreFailure(again) && !cancellationToken.IsCancellationRequested)
            {
                throw Failure(what, again);
            }
            throw Failure(what, ex, state == SqlJournalAccess.TableState.Missing
                ? $" (the task table {TaskTable.Name} is missing although this store was migrated to it)"
                : "");
        }
    }

    private static bool IsStoreFailure(Exception ex) =>
        ex is DbException or InvalidOperationException or TimeoutException or System.Net.Sockets.SocketException;

    private TaskStoreException Failure(string what, Exception ex, string detail = "")
    {
        var reason = ex is PostgresException pg ? $"{pg.SqlState} {pg.MessageText}" : ex.Message;
        return new TaskStoreException(Describe(), $"{what} failed: {reason}{detail}", ex);
    }

    /// <summary>One of the embedded SQL HOCON files with its connection strings filled in, over Akka.Persistence.Sql's defaults.</summary>
    private static Config SqlConfig(string hoconFile, string journalConnectionString, string snapshotConnectionString) =>
        ConfigurationFactory.ParseString(
                $"praison.store.journal-connection-string = {PraisonHocon.Quote(journalConnectionString)}\n" +
                $"praison.store.snapshot-connection-string = {PraisonHocon.Quote(snapshotConnectionString)}\n" +
                PraisonHocon.Read(hoconFile))
            .WithFallback(SqlPersistence.DefaultConfiguration);

    private sealed record EphemeralStore : TaskStore
    {
        public override string Describe() => "ephemeral (in-memory) store";
        public override bool IsDurable => false;
        public override Config ToConfig() => ConfigurationFactory.ParseString(PraisonHocon.Read("persistence-ephemeral.conf"));
        public override Task PrepareAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;
    }

    internal sealed record SqliteStore(string DataDirectory) : TaskStore
    {
        public string JournalPath => Path.Combine(DataDirectory, "journal.db");
        public string SnapshotPath => Path.Combine(DataDirectory, "snapshots.db");

        public string JournalConnectionString => ConnectionString(JournalPath);
        public string SnapshotConnectionString => ConnectionString(SnapshotPath);

        private static string ConnectionString(string path) =>
            new SqliteConnectionStringBuilder { DataSource = path, Pooling = true, DefaultTimeout = 30 }.ToString();

        internal override SqlJournalAccess Sql =>
            new(() => new SqliteConnection(JournalConnectionString), () => new SqliteConnection(SnapshotConnectionString), postgres: false);

        public override string Describe() => $"SQLite store in {DataDirectory}";
        public override bool IsDurable => true;
        private protected override bool MayExist => File.Exists(JournalPath);

        public override Config ToConfig() => SqlConfig("persistence-sqlite.conf", JournalConnectionString, SnapshotConnectionString);

        public override async Task PrepareAsync(CancellationToken cancellationToken = default)
        {
            try
            {
                PrivateFiles.Secure(DataDirectory); // 0700 directory, 0600 databases
                var probe = Path.Combine(DataDirectory, $".write-check-{Environment.ProcessId}");
                await File.WriteAllTextAsync(probe, "ok", cancellationToken).ConfigureAwait(false);
                File.Delete(probe);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new TaskStoreException(Describe(), $"the data directory cannot be created or written: {ex.Message}", ex);
            }
            foreach (var path in new[] { JournalPath, SnapshotPath })
            {
                try
                {
                    await using var connection = new SqliteConnection(ConnectionString(path));
                    await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
                    await using var wal = connection.CreateCommand();
                    wal.CommandText = "PRAGMA journal_mode=WAL;";
                    var mode = (string?)await wal.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
                    if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
                        throw new TaskStoreException(Describe(), $"{path} could not be switched to WAL mode (it reports '{mode}').");
                    await using var check = connection.CreateCommand();
                    check.CommandText = "PRAGMA quick_check;";
                    var result = (string?)await check.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
                    if (!string.Equals(result, "ok", StringComparison.OrdinalIgnoreCase))
                        throw new TaskStoreException(Describe(), $"{path} failed its integrity check: {result}");
                }
                catch (SqliteException ex)
                {
                    throw new TaskStoreException(Describe(), $"{path} cannot be used as a SQLite database: {ex.Message}", ex);
                }
            }
            try
            {
                await Sql.PrepareTableAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (SqliteException ex)
            {
                throw new TaskStoreException(Describe(), $"the task table in {JournalPath} cannot be created or backfilled: {ex.Message}", ex);
            }
        }
    }

    internal sealed record PostgreSqlStore(string ConnectionString) : TaskStore
    {
        public override string Describe()
        {
            try
            {
                var b = new NpgsqlConnectionStringBuilder(ConnectionString);
                return $"PostgreSQL store {b.Username}@{b.Host}:{b.Port}/{b.Database}";
            }
            catch (ArgumentException)
            {
                return "PostgreSQL store (unparseable connection string)";
            }
        }

        public override bool IsDurable => true;

        internal override SqlJournalAccess Sql =>
            new(() => new NpgsqlConnection(ConnectionString), () => new NpgsqlConnection(ConnectionString), postgres: true,
                openBatchWriter: () => new NpgsqlConnection(BatchWriterConnectionString(ConnectionString)));

        /// <summary>
        /// The connections of the TaskJournal's batch writes (a pool of their own, at most
        /// <see cref="SqlJournalAccess.ConcurrentBatches"/> busy): no session reset when one returns to the pool (the write
        /// leaves no session state, and the reset was several statements the server ran before every batch), and generic
        /// plans (the prepared write is never planned again with a batch's values). Measured with the profile scenario's
        /// "journal rows + task rows" cases (docs/architecture.md, the write path). An unparseable string is left as it is
        /// (opening it reports the problem).
        /// </summary>
        internal static string BatchWriterConnectionString(string connectionString)
        {
            try
            {
                var b = new NpgsqlConnectionStringBuilder(connectionString) { NoResetOnClose = true };
                b.Options = ((b.Options ?? "") + " -c plan_cache_mode=force_generic_plan").Trim();
                return b.ToString();
            }
            catch (ArgumentException)
            {
                return connectionString;
            }
        }

        public override Config ToConfig() => SqlConfig("persistence-postgres.conf", ConnectionString, ConnectionString);

        public override async Task PrepareAsync(CancellationToken cancellationToken = default)
        {
            NpgsqlConnectionStringBuilder builder;
            try
            {
                builder = new NpgsqlConnectionStringBuilder(ConnectionString);
            }
            catch (ArgumentException ex)
            {
                throw new TaskStoreException(Describe(), $"the connection string is invalid: {ex.Message}", ex);
            }
            if (builder.Timeout > 15) builder.Timeout = 15;
            try
            {
                await using var connection = new NpgsqlConnection(builder.ToString());
                await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
                await using var ping = new NpgsqlCommand("SELECT 1", connection);
                await ping.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException or System.Net.Sockets.SocketException)
            {
                var reason = ex is PostgresException pg ? $"{pg.SqlState} {pg.MessageText}" : ex.Message;
                throw new TaskStoreException(Describe(), $"cannot connect: {reason}", ex);
            }
            try
            {
                await Sql.PrepareTableAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (NpgsqlException ex)
            {
                var reason = ex is PostgresException pg ? $"{pg.SqlState} {pg.MessageText}" : ex.Message;
                throw new TaskStoreException(Describe(), $"the task table cannot be created or backfilled: {reason}", ex);
            }
        }
    }
}

/// <summary>The configured task store cannot be used; the message names the store and the reason.</summary>
public sealed class TaskStoreException(string store, string reason, Exception? inner = null)
    : PraisonActorsException($"{store}: {reason}", inner)
{
    /// <summary>The store concerned (its path or server).</summary>
    public string Store { get; } = store;
    /// <summary>Why the store cannot be used.</summary>
    public string Reason { get; } = reason;
}
