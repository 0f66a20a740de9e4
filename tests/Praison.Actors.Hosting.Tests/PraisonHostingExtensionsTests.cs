using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Praison.Actors.Hosting.Tests.Support;
using Praison.Actors.IntegrationTests.Support;
using Xunit;

namespace Praison.Actors.Hosting.Tests;

/// <summary>One SQLite store for the tests of a class (each test gets its own host on it).</summary>
public sealed class SqliteDir : IAsyncLifetime
{
    public SqliteTestStore Dir { get; } = new();
    public ValueTask InitializeAsync() => ValueTask.CompletedTask;
    public ValueTask DisposeAsync() => Dir.DisposeAsync();
}

/// <summary>A generic-host app (Akka.Hosting.TestKit) with <c>WithPraisonActors</c> on SQLite gets a working runner from DI.</summary>
public sealed class PraisonHostingExtensionsTests(SqliteDir dir, ITestOutputHelper output)
    : Akka.Hosting.TestKit.TestKit("praison-actors", output), IClassFixture<SqliteDir>
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(30);

    private readonly PraisonActorsOptions _options = new()
    {
        Store = dir.Dir.Store,
        Runner = new BackgroundRunnerOptions
        {
            Recipes = new RecipeRegistry()
                .Register("name: echo\n", ctx => Task.FromResult<object?>($"echo {ctx.TaskId}"))
                .Register("name: nightly\nruntime:\n  schedule:\n    enabled: true\n    interval: daily\n    timeout_sec: 60\n", _ => Task.FromResult<object?>(null)),
        },
    };

    protected override void ConfigureServices(HostBuilderContext context, IServiceCollection services) =>
        services.AddPraisonActors(_options);

    protected override void ConfigureAkka(AkkaConfigurationBuilder builder, IServiceProvider provider) =>
        builder.WithPraisonActors(_options);

    private BackgroundRunner Runner => Host.Services.GetRequiredService<BackgroundRunner>();

    [Fact]
    public async Task The_host_creates_the_schedule_runtime_schedule_asks_for()
    {
        var schedules = await Host.Services.GetRequiredService<IScheduler>().ListAsync();
        var nightly = Assert.Single(schedules, s => s.Name == "recipe.nightly");
        Assert.Equal(("nightly", "daily", TimeSpan.FromSeconds(60)), (nightly.Recipe, nightly.Expression, nightly.Timeout));
    }

    [Fact]
    public async Task The_DI_runner_submits_reports_progress_and_waits()
    {
        var reported = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var finish = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handle = await Runner.SubmitAsync(async ctx =>
        {
            ctx.ReportProgress(0.5, "half");
            reported.SetResult();
            await finish.Task.WaitAsync(ctx.CancellationToken);
            return 42;
        }, new TaskOptions { Name = "di-task" });

        await reported.Task.WaitAsync(Long);
        await AwaitAssertAsync(async () =>
        {
            var s = await handle.StatusAsync();
            Assert.Equal(BackgroundTaskStatus.Running, s.Status);
            Assert.Equal(0.5, s.Progress!.Fraction);
            Assert.Equal("half", s.Progress.Message);
        }, Long);
        finish.SetResult();
        Assert.Equal(42, await handle.WaitAsync(Long));
        Assert.Equal(BackgroundTaskStatus.Completed, (await handle.StatusAsync()).Status);
    }

    [Fact]
    public async Task The_DI_runner_cancels_a_running_task()
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handle = await Runner.SubmitAsync<string>(async ctx =>
        {
            started.SetResult();
            await Task.Delay(Timeout.Infinite, ctx.CancellationToken);
            return "never";
        });
        await started.Task.WaitAsync(Long);

        Assert.True(await handle.CancelAsync());
        await Assert.ThrowsAsync<TaskCanceledException>(() => handle.WaitAsync(Long));
        Assert.Equal(BackgroundTaskStatus.Cancelled, (await handle.StatusAsync()).Status);
    }

    [Fact]
    public async Task The_DI_recipe_runner_and_IBackgroundRunner_are_the_same_runner_and_run_recipes()
    {
        var recipes = Host.Services.GetRequiredService<IRecipeRunner>();
        Assert.Same(Runner, recipes);
        Assert.Same(Runner, Host.Services.GetRequiredService<IBackgroundRunner>());
        var task = await recipes.RunBackgroundAsync("echo");
        Assert.Equal($"echo {task.TaskId}", (await task.WaitAsync(Long))?.ToString());
    }

    [Fact]
    public async Task The_DI_scheduler_stores_a_schedule_that_the_host_fires()
    {
        var scheduler = Host.Services.GetRequiredService<IScheduler>();
        Assert.Same(Runner.Scheduler, scheduler);
        var handle = await scheduler.ScheduleAsync("di-every-second", "echo", "*/1s");
        try
        {
            // Real time: the host's scheduler actor (started with the runner) fires the first slots within seconds.
            await AwaitAssertAsync(async () => Assert.Contains(await handle.RunsAsync(), r => r.Status == BackgroundTaskStatus.Completed), Long);
            var run = (await handle.RunsAsync())[0];
            Assert.StartsWith("sch-", run.TaskId);
        }
        finally
        {
            await handle.DeleteAsync();
        }
    }

    [Fact]
    public void Praison_messages_are_bound_to_the_praison_serializer()
    {
        // The binding comes from WithCustomSerializer; without it Akka would fall back to its default JSON serializer silently.
        var marker = typeof(BackgroundRunner).Assembly.GetType("Praison.Actors.Messages.IPraisonMessage", throwOnError: true)!;
        var message = typeof(BackgroundRunner).Assembly.GetTypes().First(t => marker.IsAssignableFrom(t) && t is { IsInterface: false, IsAbstract: false });
        var serializer = Sys.Serialization.FindSerializerForType(message);
        Assert.Equal("PraisonJsonSerializer", serializer.GetType().Name);
        Assert.Equal(7201, serializer.Identifier);
    }

    [Fact]
    public async Task The_registry_holds_the_actor_the_runner_asks()
    {
        var tasks = await ActorRegistry.GetAsync<PraisonTasks>();
        Assert.Equal(tasks, Host.Services.GetRequiredService<IRequiredActor<PraisonTasks>>().ActorRef);
        Assert.Equal(tasks, Runner.Router);
    }
}

/// <summary>Restarting a generic host on the same store: what was pending runs, what was running is settled.</summary>
public sealed class HostRestartTests : IAsyncLifetime
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(30);
    private readonly SqliteTestStore _dir = new();

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;
    public ValueTask DisposeAsync() => _dir.DisposeAsync();

    [Fact]
    public async Task A_restarted_host_runs_the_task_that_was_pending_and_fails_the_interrupted_one()
    {
        var blocking = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var first = new RecipeRegistry()
            .Register("name: block\n", async ctx =>
            {
                blocking.TrySetResult();
                await Task.Delay(Timeout.Infinite, ctx.CancellationToken);
                return "never";
            })
            .Register("name: echo\n", _ => Task.FromResult<object?>("first host"));
        string blockedId, pendingId;
        using (var host = TestHosts.Local(_dir.Store, first, maxConcurrent: 1))
        {
            await host.StartAsync();
            var runner = host.Services.GetRequiredService<IRecipeRunner>();
            blockedId = (await runner.RunBackgroundAsync("block")).TaskId;
            await blocking.Task.WaitAsync(Long);
            var pending = await runner.RunBackgroundAsync("echo");
            pendingId = pending.TaskId;
            // The one slot is taken, so the echo waits in the queue when the host stops.
            Assert.Equal(BackgroundTaskStatus.Pending, (await pending.StatusAsync()).Status);
            await host.StopAsync();
        }

        var second = new RecipeRegistry()
            .Register("name: block\n", _ => Task.FromResult<object?>("rerun"))
            .Register("name: echo\n", _ => Task.FromResult<object?>("second host"));
        using (var host = TestHosts.Local(_dir.Store, second, maxConcurrent: 1))
        {
            await host.StartAsync();
            var runner = host.Services.GetRequiredService<BackgroundRunner>();
            Assert.Equal("second host", await runner.WaitForTaskAsync<string>(pendingId, Long));
            var interrupted = await runner.GetStatusAsync(blockedId);
            Assert.Equal(BackgroundTaskStatus.Failed, interrupted.Status);
            await host.StopAsync();
        }
    }

    [Fact]
    public async Task A_store_that_cannot_be_used_fails_the_host_start_naming_the_store()
    {
        var file = Path.Combine(_dir.Directory + "-file");
        await File.WriteAllTextAsync(file, "not a directory");
        try
        {
            using var host = TestHosts.Local(TaskStore.Sqlite(file), new RecipeRegistry());
            var error = await Assert.ThrowsAsync<TaskStoreException>(() => host.StartAsync());
            Assert.Contains(file, error.Message);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
