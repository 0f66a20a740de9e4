using System.Net;
using System.Net.Sockets;
using System.Text;
using Akka.Actor;
using Akka.Event;
using Praison.Actors.Messages;
using Praison.Actors.Persistence;

namespace Praison.Actors.Webhooks;

/// <summary>
/// A node's webhook deliveries. Task actors tell it of every stored terminal outcome of a task with a webhook
/// (<see cref="WebhookDue"/>); it claims the delivery in the store (so one outcome is delivered by one claimant), POSTs the
/// signed body, stores every attempt and the next attempt's time, and retries with exponential backoff and jitter until
/// a 2xx or <see cref="WebhookOptions.MaxRetryTime"/>. At start it reads the deliveries a previous process left
/// unfinished (claimed ones, and those of tasks that finished before their claim) and resumes them at their stored
/// times. On a store without a webhook table (ephemeral, another journal plugin) deliveries live in memory only.
/// The HTTP call runs off the mailbox and comes back as a message; nothing it does touches this actor's state.
/// </summary>
internal sealed class WebhookDispatcher : UntypedActor, IWithTimers
{
    private const string Delivered = "delivered";
    private const string Failed = "failed";
    private const string Skipped = "skipped";

    private readonly WebhookOptions _options;
    private readonly SqlJournalAccess? _sql;
    private readonly WebhookTable? _table;
    private readonly byte[]? _key;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<string, StoredWebhook> _active = new();      // claimed or being claimed, not finished and saved
    private readonly Dictionary<string, StoredWebhook> _finished = new();    // memory-only stores: finished deliveries, for queries
    private readonly Queue<string> _finishedOrder = new();                   // oldest first, so memory stays bounded
    internal const int MaxFinishedInMemory = 100_000;
    private readonly Queue<string> _ready = new();                           // due, waiting for a free delivery slot
    private int _inFlight;
    private HashSet<string>? _settledBeforeLoad = [];                    // finished here before the start-up read answered
    private List<(bool Claim, StoredWebhook Delivery)> _writes = [];   // claims and saves waiting for the batch in flight
    private bool _writing;
    private HttpClient _http = null!;

    private readonly bool _resume;

    /// <summary>
    /// <paramref name="resume"/>: read and resume the unfinished deliveries at start (a local host). A cluster node does
    /// not: with no owner recorded per delivery, two nodes could both resume one.
    /// </summary>
    public WebhookDispatcher(WebhookOptions options, SqlJournalAccess? sql, bool resume = true)
    {
        _resume = resume;
        if (!resume) _settledBeforeLoad = null;
        _options = options;
        _sql = sql;
        _table = sql?.Webhooks;
        if (options.Secret is { } secret && WebhookSecret.TryParse(secret, out var key)) _key = key;
    }

    public static Props Props(WebhookOptions options, SqlJournalAccess? sql, bool resume = true) =>
        Akka.Actor.Props.Create(() => new WebhookDispatcher(options, sql, resume));

    public ITimerScheduler Timers { get; set; } = null!;

    protected override void PreStart()
    {
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false, // a redirect could lead past the SSRF guard
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
        };
        if (!_options.AllowPrivateNetworks) handler.ConnectCallback = ConnectPublicOnlyAsync;
        _http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        if (_resume)
            _table?.ReadUnfinishedAsync(CancellationToken.None)
            .PipeTo(Self, success: rows => new Loaded(rows), failure: ex => new LoadFailed(ex));
    }

    protected override void PostStop() => _http.Dispose();

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case WebhookDue d:
                OnDue(d.Task, d.ResultJson, d.Url, d.Events);
                break;
            case Loaded l:
                OnLoaded(l.Rows);
                break;
            case LoadFailed f:
                _settledBeforeLoad = null;
                _log.Error(f.Cause, "Reading the unfinished webhook deliveries failed; they are resumed at the next start");
                break;
            case RebuiltAll all:
                foreach (var r in all.Results)
                    if (r is Rebuilt b) OnDue(b.Task, b.ResultJson, b.Row.Url, b.Row.Events);
                    else if (r is RebuildFailed f)
                        _log.Warning("Webhook of task {0}: its task could not be read ({1}); it is retried at the next start", f.TaskId, f.Cause.Message);
                break;
            case Written w:
                OnWritten(w);
                break;
            case RetryDue r:
                Due(r.TaskId);
                break;
            case AttemptEnded a:
                OnAttemptEnded(a);
                break;
            case GetWebhookDelivery g:
                OnGet(g.TaskId);
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    /// <summary>A terminal outcome to deliver: its body is fixed now and the delivery claimed (stored) before the first attempt.</summary>
    private void OnDue(TaskStatusInfo task, string? resultJson, string url, IReadOnlyList<string>? events)
    {
        if (_active.ContainsKey(task.TaskId) || _finished.ContainsKey(task.TaskId)) return; // already claimed here
        var wanted = WebhookMessage.Wants(events, WebhookMessage.EventOf(task));
        var now = DateTimeOffset.UtcNow;
        var delivery = new StoredWebhook(task.TaskId, url, events, wanted ? WebhookTable.Pending : Skipped, WebhookTable.MessageId(task.TaskId),
            WebhookMessage.Body(task, resultJson), [], null, wanted ? now : null);
        _active[task.TaskId] = delivery;
        if (_table is null) OnClaimed(new Claimed(delivery, true, null));
        else Write(claim: true, delivery);
    }

    private void OnClaimed(Claimed c)
    {
        var id = c.Delivery.TaskId;
        if (c.Error is not null)
            _log.Warning("Webhook of task {0}: storing its claim failed ({1}); delivering anyway, a restart may deliver it again", id, c.Error.Message);
        else if (!c.Won)
        {
            _active.Remove(id); // claimed before (by a notice or the start-up reconciliation): that claim delivers it
            return;
        }
        if (c.Delivery.State == Skipped)
        {
            Finish(c.Delivery);
            return;
        }
        Due(id);
    }

    /// <summary>Deliveries left unfinished by a previous process: claimed ones resume at their stored next attempt; unclaimed ones are built from the task.</summary>
    private void OnLoaded(List<StoredWebhook> rows)
    {
        var unclaimed = new List<StoredWebhook>();
        var settled = _settledBeforeLoad ?? [];
        _settledBeforeLoad = null;
        foreach (var row in rows)
        {
            if (_active.ContainsKey(row.TaskId) || settled.Contains(row.TaskId)) continue;
            if (row.State == WebhookTable.Pending && row.Body is not null)
            {
                _active[row.TaskId] = row;
                var delay = (row.NextAttemptAt ?? DateTimeOffset.UtcNow) - DateTimeOffset.UtcNow;
                if (delay > TimeSpan.Zero) Timers.StartSingleTimer(TimerKey(row.TaskId), new RetryDue(row.TaskId), delay);
                else Due(row.TaskId);
            }
            else unclaimed.Add(row);
        }
        if (unclaimed.Count > 0 && _sql is { } sql)
            RebuildAsync(sql, unclaimed).PipeTo(Self, success: rebuilt => new RebuiltAll(rebuilt), failure: ex => new LoadFailed(ex));
        if (rows.Count > 0) _log.Info("Resuming {0} webhook deliveries ({1} of tasks that finished before their delivery was claimed)", rows.Count, unclaimed.Count);
    }

    /// <summary>The body of each unclaimed delivery, from its task's row and result, read one after another (one connection at a time).</summary>
    private static async Task<List<object>> RebuildAsync(SqlJournalAccess sql, List<StoredWebhook> rows)
    {
        var rebuilt = new List<object>(rows.Count);
        foreach (var row in rows)
        {
            try
            {
                var task = await sql.GetTaskAsync(row.TaskId, CancellationToken.None).ConfigureAwait(false);
                if (task is null)
                {
                    rebuilt.Add(new RebuildFailed(row.TaskId, new InvalidOperationException("the task is gone")));
                    continue;
                }
                var result = task.Status == BackgroundTaskStatus.Completed
                    ? await sql.ReadResultAsync(row.TaskId, CancellationToken.None).ConfigureAwait(false)
                    : null;
                rebuilt.Add(new Rebuilt(row, task, result));
            }
            catch (Exception ex)
            {
                rebuilt.Add(new RebuildFailed(row.TaskId, ex));
            }
        }
        return rebuilt;
    }

    private void Due(string taskId)
    {
        if (!_active.TryGetValue(taskId, out var delivery) || delivery.State != WebhookTable.Pending) return;
        if (_inFlight >= _options.MaxConcurrentDeliveries)
        {
            _ready.Enqueue(taskId);
            return;
        }
        _inFlight++;
        SendAsync(_http, delivery, delivery.Attempts.Count + 1, _key, _options).PipeTo(Self, success: attempt => new AttemptEnded(taskId, attempt.Attempt, attempt.Permanent));
    }

    private void OnAttemptEnded(AttemptEnded a)
    {
        _inFlight--;
        if (_active.TryGetValue(a.TaskId, out var delivery))
        {
            var now = DateTimeOffset.UtcNow;
            var first = delivery.FirstAttemptAt ?? a.Attempt.At;
            var attempts = delivery.Attempts.Append(a.Attempt).ToList();
            if (a.Attempt.Delivered)
            {
                PraisonTelemetry.WebhookAttempt("delivered");
                Finish(delivery with { State = Delivered, Attempts = attempts, FirstAttemptAt = first, NextAttemptAt = null });
            }
            else
            {
                var delay = Backoff(attempts.Count);
                if (a.Permanent || now + delay - first > _options.MaxRetryTime)
                {
                    PraisonTelemetry.WebhookAttempt("given_up");
                    _log.Warning("Webhook of task {TaskId} to {WebhookUrl}: giving up after {Attempts} attempts ({WebhookError})", a.TaskId, delivery.Url, attempts.Count, a.Attempt.Error);
                    Finish(delivery with { State = Failed, Attempts = attempts, FirstAttemptAt = first, NextAttemptAt = null });
                }
                else
                {
                    PraisonTelemetry.WebhookAttempt("failed");
                    _log.Info("Webhook of task {TaskId} to {WebhookUrl}: attempt {Attempts} failed ({WebhookError}); next in {RetryIn}", a.TaskId, delivery.Url, attempts.Count, a.Attempt.Error, delay);
                    var next = delivery with { Attempts = attempts, FirstAttemptAt = first, NextAttemptAt = now + delay };
                    _active[a.TaskId] = next;
                    Save(next);
                    Timers.StartSingleTimer(TimerKey(a.TaskId), new RetryDue(a.TaskId), delay);
                }
            }
        }
        while (_inFlight < _options.MaxConcurrentDeliveries && _ready.TryDequeue(out var id)) Due(id);
    }

    /// <summary>Exponential backoff from <see cref="WebhookOptions.FirstRetryDelay"/>, capped, with ±20 % jitter.</summary>
    private TimeSpan Backoff(int attempts)
    {
        var exponent = Math.Min(attempts - 1, 30);
        var ms = Math.Min(_options.MaxRetryDelay.TotalMilliseconds, _options.FirstRetryDelay.TotalMilliseconds * Math.Pow(2, exponent));
        return TimeSpan.FromMilliseconds(ms * (0.8 + Random.Shared.NextDouble() * 0.4));
    }

    /// <summary>A finished delivery stays in <see cref="_active"/> until its final state is stored, so queries never see an older one.</summary>
    private void Finish(StoredWebhook delivery)
    {
        _active[delivery.TaskId] = delivery;
        Save(delivery);
    }

    private void Save(StoredWebhook delivery)
    {
        if (_table is null) OnSaved(new Saved(delivery, null));
        else Write(claim: false, delivery);
    }

    /// <summary>Claims and saves go to the store in batches, one batch at a time: one connection however many deliveries.</summary>
    private void Write(bool claim, StoredWebhook delivery)
    {
        _writes.Add((claim, delivery));
        FlushWrites();
    }

    private void FlushWrites()
    {
        if (_writing || _writes.Count == 0 || _table is null) return;
        var batch = _writes;
        _writes = [];
        _writing = true;
        _table.WriteAsync(batch, CancellationToken.None)
            .PipeTo(Self, success: won => new Written(batch, won, null), failure: ex => new Written(batch, null, ex));
    }

    private void OnWritten(Written w)
    {
        _writing = false;
        for (var i = 0; i < w.Batch.Count; i++)
        {
            var (claim, delivery) = w.Batch[i];
            if (claim) OnClaimed(new Claimed(delivery, w.Won?[i] ?? false, w.Error));
            else OnSaved(new Saved(delivery, w.Error));
        }
        FlushWrites();
    }

    private void OnSaved(Saved s)
    {
        var id = s.Delivery.TaskId;
        if (s.Error is not null)
            _log.Warning("Webhook of task {0}: storing its delivery state failed ({1})", id, s.Error.Message);
        if (s.Delivery.State == WebhookTable.Pending || !_active.TryGetValue(id, out var current) || !ReferenceEquals(current, s.Delivery)) return;
        _active.Remove(id);
        if (_table is null)
        {
            _finished[id] = s.Delivery;
            _finishedOrder.Enqueue(id);
            // Without a table a finished delivery is kept for queries only; the oldest go first past the bound.
            while (_finishedOrder.Count > MaxFinishedInMemory) _finished.Remove(_finishedOrder.Dequeue());
        }
        // The start-up read may have seen this delivery before it finished: it must not resume it.
        else _settledBeforeLoad?.Add(id);
    }

    private void OnGet(string taskId)
    {
        if (_active.TryGetValue(taskId, out var d) || _finished.TryGetValue(taskId, out d))
        {
            Sender.Tell(new WebhookDeliveryReply(d.ToDelivery()));
            return;
        }
        if (_table is null)
        {
            Sender.Tell(new WebhookDeliveryReply(null));
            return;
        }
        _table.GetAsync(taskId, CancellationToken.None)
            .PipeTo(Sender, success: row => new WebhookDeliveryReply(row?.ToDelivery()), failure: ex => new Status.Failure(ex));
    }

    private static string TimerKey(string taskId) => "webhook-" + taskId;

    /// <summary>One POST; never throws. Runs off the mailbox: it reads only its arguments.</summary>
    private static async Task<(WebhookAttempt Attempt, bool Permanent)> SendAsync(HttpClient http, StoredWebhook delivery, int number,
        byte[]? key, WebhookOptions options)
    {
        var at = DateTimeOffset.UtcNow;
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, delivery.Url)
            {
                Content = new StringContent(delivery.Body!, Encoding.UTF8, "application/json"),
            };
            var timestamp = at.ToUnixTimeSeconds();
            request.Headers.TryAddWithoutValidation("webhook-id", delivery.MessageId);
            request.Headers.TryAddWithoutValidation("webhook-timestamp", timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture));
            if (key is not null)
                request.Headers.TryAddWithoutValidation("webhook-signature", WebhookMessage.Sign(key, delivery.MessageId, timestamp, delivery.Body!));
            request.Headers.UserAgent.ParseAdd("Praison.Actors-Webhooks/1");
            using var timeout = new CancellationTokenSource(options.RequestTimeout);
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
            var code = (int)response.StatusCode;
            var ok = code is >= 200 and < 300;
            PraisonTelemetry.WebhookPosted(System.Diagnostics.Stopwatch.GetElapsedTime(started), ok);
            // 410 Gone: the receiver says it will never take this webhook.
            return (new WebhookAttempt(number, at, code, ok ? null : $"HTTP {code} {response.ReasonPhrase}".TrimEnd(), ok),
                response.StatusCode == HttpStatusCode.Gone);
        }
        catch (Exception ex)
        {
            var refused = FindRefusal(ex);
            PraisonTelemetry.WebhookPosted(System.Diagnostics.Stopwatch.GetElapsedTime(started), delivered: false);
            var message = refused?.Message ?? (ex is OperationCanceledException
                ? $"no answer within {options.RequestTimeout.TotalSeconds:0.###} s"
                : ex.GetBaseException().Message);
            return (new WebhookAttempt(number, at, null, message, false), refused is not null);
        }
    }

    private static ArgumentException? FindRefusal(Exception? ex)
    {
        for (; ex is not null; ex = ex.InnerException)
            if (ex is ArgumentException a) return a;
        return null;
    }

    /// <summary>Connects only to public addresses: the name is resolved here and every address checked, so DNS cannot hand out a private one after the submission's check.</summary>
    private static async ValueTask<Stream> ConnectPublicOnlyAsync(SocketsHttpConnectionContext context, CancellationToken ct)
    {
        var host = context.DnsEndPoint.Host;
        var addresses = IPAddress.TryParse(host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, ct).ConfigureAwait(false);
        if (addresses.FirstOrDefault(a => !WebhookUrlGuard.IsPublic(a)) is { } bad)
            throw new ArgumentException($"The webhook host '{host}' resolves to {bad}, a non-public address; refused (SSRF guard).");
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(addresses, context.DnsEndPoint.Port, ct).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private sealed record Loaded(List<StoredWebhook> Rows) : IWebhookMessage;
    private sealed record LoadFailed(Exception Cause) : IWebhookMessage;
    private sealed record Rebuilt(StoredWebhook Row, TaskStatusInfo Task, string? ResultJson);
    private sealed record RebuildFailed(string TaskId, Exception Cause);
    private sealed record RebuiltAll(List<object> Results) : IWebhookMessage;
    private sealed record Claimed(StoredWebhook Delivery, bool Won, Exception? Error);
    private sealed record Written(List<(bool Claim, StoredWebhook Delivery)> Batch, bool[]? Won, Exception? Error) : IWebhookMessage;
    private sealed record RetryDue(string TaskId) : IWebhookMessage;
    private sealed record AttemptEnded(string TaskId, WebhookAttempt Attempt, bool Permanent) : IWebhookMessage;
    private sealed record Saved(StoredWebhook Delivery, Exception? Error);
}
