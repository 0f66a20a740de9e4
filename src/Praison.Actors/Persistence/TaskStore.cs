using Akka.Configuration;
using Akka.Persistence.Sql;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Praison.Actors.Persistence;

/// <summary>
/// Where task events are kept, chosen by configuration alone: <see cref="Ephemeral"/> (in memory),
/// <see cref="Sqlite"/> (a file under a data directory, the default of hosts and the CLI) or
/// <see cref="PostgreSql"/>.
/// </summary>
public abstract record TaskStore
{
    public static TaskStore Ephemeral { get; } = new EphemeralStore();

    /// <summary>SQLite files <c>journal.db</c> and <c>snapshots.db</c> in <paramref name="dataDirectory"/>, created if missing.</summary>
    public static TaskStore Sqlite(string dataDirectory) => new SqliteStore(Path.GetFullPath(dataDirectory));

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
    /// Every retained task, read straight from the store without an actor system, oldest first. This is how a
    /// host rebuilds its index at start-up, and how another process lists tasks while a host runs them.
    /// </summary>
    public virtual Task<IReadOnlyList<StoredTask>> ReadTasksAsync(CancellationToken cancellationToken = default) =>
        Sql?.ReadTasksAsync(cancellationToken) ?? Task.FromResult<IReadOnlyList<StoredTask>>(Array.Empty<StoredTask>());

    /// <summary>Direct SQL on the store's tables; null for the ephemeral store.</summary>
    internal virtual SqlJournalAccess? Sql => null;

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
            new(() => new NpgsqlConnection(ConnectionString), () => new NpgsqlConnection(ConnectionString), postgres: true);

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
        }
    }
}

/// <summary>The configured task store cannot be used; the message names the store and the reason.</summary>
public sealed class TaskStoreException(string store, string reason, Exception? inner = null)
    : Exception($"{store}: {reason}", inner)
{
    public string Store { get; } = store;
    public string Reason { get; } = reason;
}
