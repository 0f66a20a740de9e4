using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Praison.Actors.Testing;
using Xunit;

namespace Praison.Actors.Hosting.Tests;

/// <summary>
/// The README's wiring for a generic host: <c>ConfigureLoggers(l => { l.ClearLoggers(); l.AddLoggerFactory(); })</c>
/// beside <c>WithPraisonActors</c> sends Akka's log, and the runtime's task lines with their fields, to the host's
/// <see cref="ILoggerFactory"/>.
/// </summary>
public sealed class HostLoggingTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task The_hosts_logger_factory_gets_akkas_log_and_a_failed_tasks_fields()
    {
        var logs = new CapturingLoggerFactory();
        var recipes = new RecipeRegistry().Register("name: breaks\n", _ => throw new InvalidOperationException("broken on purpose"));
        var options = new PraisonActorsOptions { Store = TaskStore.Ephemeral, Runner = new BackgroundRunnerOptions { Recipes = recipes } };
        using var host = new HostBuilder()
            .ConfigureServices(services =>
            {
                services.AddSingleton<ILoggerFactory>(logs);
                services.AddPraisonActors(options);
                services.AddAkka("praison-actors", builder => builder
                    .ConfigureLoggers(l => { l.ClearLoggers(); l.AddLoggerFactory(); })
                    .WithPraisonActors(options));
            })
            .Build();
        await host.StartAsync(TestContext.Current.CancellationToken);
        try
        {
            var runner = host.Services.GetRequiredService<BackgroundRunner>();
            var handle = await runner.RunBackgroundAsync("breaks", new RecipeRunOptions { SessionId = "host-session" });
            await Assert.ThrowsAnyAsync<Exception>(() => handle.WaitAsync(Long));

            var entry = await logs.WaitForAsync(e => Equals(e.Fields.GetValueOrDefault("TaskId"), handle.TaskId), Long, $"about task {handle.TaskId}");
            Assert.Equal("breaks", entry.Fields["Recipe"]);
            Assert.Equal("host-session", entry.Fields["SessionId"]);
            Assert.Contains("broken on purpose", entry.Message);
            Assert.StartsWith("Akka.", entry.Category); // it came through Akka's log, bridged by Akka.Hosting's logger
        }
        finally
        {
            await host.StopAsync(CancellationToken.None);
        }
    }
}
