using System.Data.Common;
using System.Text.Json;
using Npgsql;

namespace Praison.Actors.Persistence;

/// <summary>
/// The webhook table <c>praison_webhooks</c>: one row per task that has a webhook, inserted in the same transaction as
/// the task's Submitted event (state <c>waiting</c>), claimed when its terminal outcome is known (<c>pending</c>, with
/// the body to send), then updated after every attempt (<c>delivered</c>, <c>failed</c>, <c>skipped</c>). The attempts
/// and the next attempt's time are stored, so a restart resumes a delivery where it stood. Times are UTC ticks.
/// </summary>
internal sealed class WebhookTable(SqlJournalAccess sql)
{
    public const string Name = "praison_webhooks";

    internal const string Waiting = "waiting";
    internal const string Pending = "pending";

    private const string Columns = "task_id, url, events, state, message_id, body, attempts, first_attempt_at, next_attempt_at";

    /// <summary>Idempotent DDL, run with the task table's (<see cref="SqlJournalAccess.PrepareTableAsync"/>).</summary>
    public static IEnumerable<string> CreateStatements(bool postgres)
    {
        var bigint = postgres ? "BIGINT" : "INTEGER";
        yield return
            $"CREATE TABLE IF NOT EXISTS {Name} (task_id TEXT NOT NULL PRIMARY KEY, url TEXT NOT NULL, events TEXT NULL, " +
            $"state TEXT NOT NULL, message_id TEXT NOT NULL, body TEXT NULL, attempts TEXT NULL, first_attempt_at {bigint} NULL, " +
            $"next_attempt_at {bigint} NULL)";
        yield return $"CREATE INDEX IF NOT EXISTS ix_{Name}_unfinished ON {Name} (state) WHERE state IN ('{Waiting}', '{Pending}')";
    }

    /// <summary>The <c>waiting</c> rows of the submitted tasks of a batch that have a webhook, inside the batch's transaction.</summary>
    public static async Task InsertWaitingAsync(DbConnection connection, DbTransaction tx, IReadOnlyList<TaskRowChange> changes, CancellationToken ct)
    {
        foreach (var c in changes)
        {
            if (c.Spec?.WebhookUrl is not { } url) continue;
            await using var insert = TaskTable.Command(connection, tx,
                $"INSERT INTO {Name} (task_id, url, events, state, message_id) VALUES ({P(connection, "id")}, {P(connection, "url")}, " +
                $"{P(connection, "events")}, '{Waiting}', {P(connection, "msg")}) ON CONFLICT (task_id) DO NOTHING");
            Set(connection, insert, "id", c.TaskId);
            Set(connection, insert, "url", url);
            Set(connection, insert, "events", EventsText(c.Spec.WebhookEvents));
            Set(connection, insert, "msg", MessageId(c.TaskId));
            await insert.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// PostgreSQL: the <c>waiting</c> rows of the batch's submitted tasks that have a webhook, as a common table
    /// expression of the batch's one write statement (after the claim's <c>claimed</c>): only ids the batch claimed.
    /// Empty when no submission has a webhook.
    /// </summary>
    public static string PostgresWaitingCte(NpgsqlCommand command, IReadOnlyList<TaskRowChange> inserts)
    {
        var hooks = inserts.Where(c => c.Spec?.WebhookUrl is not null).ToList();
        if (hooks.Count == 0) return "";
        command.Parameters.Add(new NpgsqlParameter("w_id", NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text) { Value = hooks.Select(c => c.TaskId).ToArray() });
        command.Parameters.Add(new NpgsqlParameter("w_url", NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text) { Value = hooks.Select(c => c.Spec!.WebhookUrl).ToArray() });
        command.Parameters.Add(new NpgsqlParameter("w_events", NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text) { Value = hooks.Select(c => EventsText(c.Spec!.WebhookEvents)).ToArray() });
        command.Parameters.Add(new NpgsqlParameter("w_msg", NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text) { Value = hooks.Select(c => MessageId(c.TaskId)).ToArray() });
        return $", webhooks AS (INSERT INTO {Name} (task_id, url, events, state, message_id) SELECT w.id, w.url, w.events, '{Waiting}', w.msg " +
               "FROM unnest(@w_id, @w_url, @w_events, @w_msg) AS w(id, url, events, msg) WHERE w.id IN (SELECT task_id FROM claimed) " +
               "ON CONFLICT (task_id) DO NOTHING)";
    }

    /// <summary>Deletes a task's row (with the task's own row).</summary>
    public static async Task DeleteAsync(DbConnection connection, string taskId, CancellationToken ct, DbTransaction? tx = null)
    {
        await using var delete = TaskTable.Command(connection, tx, $"DELETE FROM {Name} WHERE task_id = {P(connection, "id")}");
        Set(connection, delete, "id", taskId);
        await delete.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    /// <summary>The <c>webhook-id</c> of a task's delivery: the same on every attempt, so receivers can deduplicate.</summary>
    public static string MessageId(string taskId) => "msg_" + taskId;

    internal static string? EventsText(IReadOnlyList<string>? events) => events is null ? null : string.Join(",", events);
    internal static IReadOnlyList<string>? ParseEvents(string? text) => text is null ? null : text.Split(',', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>
    /// Stores a batch of claims and saves in one transaction on one connection (a node's deliveries write through one
    /// batch at a time, so a burst of outcomes takes one connection, not one each). A claim moves a task's delivery from
    /// <c>waiting</c> to its claimed state (pending or skipped) with its body, inserting the row when there is none; it
    /// is won (true in the answer) unless another claim got there first, so a notice and the start-up reconciliation
    /// never deliver one outcome twice. A save stores a delivery's state after an attempt (attempts, first attempt, next
    /// attempt's time); its answer is always true.
    /// </summary>
    public async Task<bool[]> WriteAsync(IReadOnlyList<(bool Claim, StoredWebhook Delivery)> ops, CancellationToken ct)
    {
        var won = new bool[ops.Count];
        await using var connection = sql.OpenJournal();
        await connection.OpenAsync(ct).ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync(ct).ConfigureAwait(false);
        for (var i = 0; i < ops.Count; i++)
            won[i] = ops[i].Claim
                ? await ClaimAsync(connection, tx, ops[i].Delivery, ct).ConfigureAwait(false)
                : await SaveAsync(connection, tx, ops[i].Delivery, ct).ConfigureAwait(false);
        await tx.CommitAsync(ct).ConfigureAwait(false);
        return won;
    }

    private static async Task<bool> ClaimAsync(DbConnection connection, DbTransaction tx, StoredWebhook delivery, CancellationToken ct)
    {
        await using (var update = TaskTable.Command(connection, tx,
            $"UPDATE {Name} SET state = {P(connection, "state")}, body = {P(connection, "body")}, next_attempt_at = {P(connection, "next")} " +
            $"WHERE task_id = {P(connection, "id")} AND state = '{Waiting}'"))
        {
            Set(connection, update, "state", delivery.State);
            Set(connection, update, "body", delivery.Body);
            Set(connection, update, "next", delivery.NextAttemptAt?.UtcTicks);
            Set(connection, update, "id", delivery.TaskId);
            if (await update.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 1) return true;
        }
        await using var insert = TaskTable.Command(connection, tx,
            $"INSERT INTO {Name} ({Columns}) VALUES ({P(connection, "id")}, {P(connection, "url")}, {P(connection, "events")}, " +
            $"{P(connection, "state")}, {P(connection, "msg")}, {P(connection, "body")}, NULL, NULL, {P(connection, "next")}) " +
            "ON CONFLICT (task_id) DO NOTHING");
        Set(connection, insert, "id", delivery.TaskId);
        Set(connection, insert, "url", delivery.Url);
        Set(connection, insert, "events", EventsText(delivery.Events));
        Set(connection, insert, "state", delivery.State);
        Set(connection, insert, "msg", delivery.MessageId);
        Set(connection, insert, "body", delivery.Body);
        Set(connection, insert, "next", delivery.NextAttemptAt?.UtcTicks);
        return await insert.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 1;
    }

    private static async Task<bool> SaveAsync(DbConnection connection, DbTransaction tx, StoredWebhook delivery, CancellationToken ct)
    {
        await using var update = TaskTable.Command(connection, tx,
            $"UPDATE {Name} SET state = {P(connection, "state")}, attempts = {P(connection, "attempts")}, " +
            $"first_attempt_at = {P(connection, "first")}, next_attempt_at = {P(connection, "next")} WHERE task_id = {P(connection, "id")}");
        Set(connection, update, "state", delivery.State);
        Set(connection, update, "attempts", JsonSerializer.Serialize(delivery.Attempts, PraisonJson.Options));
        Set(connection, update, "first", delivery.FirstAttemptAt?.UtcTicks);
        Set(connection, update, "next", delivery.NextAttemptAt?.UtcTicks);
        Set(connection, update, "id", delivery.TaskId);
        await update.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        return true;
    }

    /// <summary>One task's delivery, or null when it has no row.</summary>
    public async Task<StoredWebhook?> GetAsync(string taskId, CancellationToken ct)
    {
        await using var connection = sql.OpenJournal();
        await connection.OpenAsync(ct).ConfigureAwait(false);
        await using var select = TaskTable.Command(connection, null, $"SELECT {Columns} FROM {Name} WHERE task_id = {P(connection, "id")}");
        Set(connection, select, "id", taskId);
        await using var reader = await select.ExecuteReaderAsync(ct).ConfigureAwait(false);
        return await reader.ReadAsync(ct).ConfigureAwait(false) ? Read(reader) : null;
    }

    /// <summary>
    /// What a starting node must (re)deliver: deliveries claimed and not finished, and <c>waiting</c> ones whose task is
    /// already terminal (the process stopped between storing the outcome and claiming the delivery).
    /// </summary>
    public async Task<List<StoredWebhook>> ReadUnfinishedAsync(CancellationToken ct)
    {
        await using var connection = sql.OpenJournal();
        await connection.OpenAsync(ct).ConfigureAwait(false);
        await using var select = TaskTable.Command(connection, null,
            $"SELECT {string.Join(", ", Columns.Split(", ").Select(c => "w." + c))} FROM {Name} w WHERE w.state = '{Pending}' " +
            $"OR (w.state = '{Waiting}' AND EXISTS (SELECT 1 FROM {TaskTable.Name} t WHERE t.task_id = w.task_id " +
            "AND t.status IN ('completed', 'failed', 'cancelled')))");
        var list = new List<StoredWebhook>();
        await using var reader = await select.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false)) list.Add(Read(reader));
        return list;
    }

    private static StoredWebhook Read(DbDataReader r) => new(
        r.GetString(0), r.GetString(1), ParseEvents(r.IsDBNull(2) ? null : r.GetString(2)), r.GetString(3), r.GetString(4),
        r.IsDBNull(5) ? null : r.GetString(5),
        r.IsDBNull(6) ? [] : JsonSerializer.Deserialize<List<WebhookAttempt>>(r.GetString(6), PraisonJson.Options) ?? [],
        Time(r, 7), Time(r, 8));

    private static DateTimeOffset? Time(DbDataReader r, int i) => r.IsDBNull(i) ? null : new DateTimeOffset(r.GetInt64(i), TimeSpan.Zero);

    private static string P(DbConnection connection, string name) => (connection is NpgsqlConnection ? "@" : "$") + name;

    private static void Set(DbConnection connection, DbCommand command, string name, object? value) =>
        TaskTable.Set(command, P(connection, name), value);
}

/// <summary>A delivery as the table holds it; <see cref="State"/> is the stored name (waiting, pending, delivered, failed, skipped).</summary>
internal sealed record StoredWebhook(
    string TaskId,
    string Url,
    IReadOnlyList<string>? Events,
    string State,
    string MessageId,
    string? Body,
    IReadOnlyList<WebhookAttempt> Attempts,
    DateTimeOffset? FirstAttemptAt,
    DateTimeOffset? NextAttemptAt)
{
    public WebhookDelivery ToDelivery() => new(TaskId, Url, State switch
    {
        "delivered" => WebhookDeliveryState.Delivered,
        "failed" => WebhookDeliveryState.Failed,
        "skipped" => WebhookDeliveryState.Skipped,
        _ => WebhookDeliveryState.Pending,
    }, MessageId, Attempts, NextAttemptAt);
}
