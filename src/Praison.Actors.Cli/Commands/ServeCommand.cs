using System.CommandLine;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Praison.Actors.Cli.Hosting;
using Praison.Actors.Cli.Recipes;
using Praison.Actors.Cluster;
using Praison.Actors.Dashboard;
using Praison.Actors.Persistence;
using Praison.Actors.Server;

namespace Praison.Actors.Cli.Commands;

/// <summary><c>praison-actors serve</c>: the long-running host, the actor system plus the jobs API.</summary>
public static class ServeCommand
{
    /// <summary>Where <c>serve</c> listens when no URL is given: loopback only.</summary>
    public const string DefaultUrl = "http://127.0.0.1:8005";

    /// <summary>Builds the <c>serve</c> command.</summary>
    public static Command Build()
    {
        var urls = new Option<string>("--urls")
        {
            Description = $"Address to listen on (default {DefaultUrl}; port 0 picks a free port). Loopback unless you say otherwise.",
            DefaultValueFactory = _ => DefaultUrl,
        };
        urls.Validators.Add(r =>
        {
            var value = r.GetValueOrDefault<string>();
            if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
                r.AddError($"--urls must be an http(s) URL such as {DefaultUrl}, got '{value}'.");
        });
        // Cluster mode (Praison.Actors.Cluster): this process becomes one node; tasks live on whichever node their shard is.
        var clustered = new Option<bool>("--cluster") { Description = "Run as a cluster node (tasks sharded over every node; needs --postgres)." };
        var port = new Option<int>("--port") { Description = "Cluster remoting port (with --cluster; 0 picks a free one).", DefaultValueFactory = _ => 4053 };
        var seeds = new Option<string[]>("--seed") { Description = "Seed node address, e.g. akka.tcp://praison-actors@127.0.0.1:4053 (repeatable; none: form a new cluster).", AllowMultipleArgumentsPerToken = true };
        var hostname = new Option<string>("--hostname") { Description = "Address remoting binds to (with --cluster). Loopback unless you say otherwise; see the README on TLS.", DefaultValueFactory = _ => "127.0.0.1" };
        var publicHostname = new Option<string?>("--public-hostname") { Description = "Address other nodes use to reach this one when it differs from --hostname (containers: the pod IP)." };
        var discovery = new Option<string?>("--discovery")
        {
            Description = "Find the other nodes through Akka.Discovery instead of --seed: 'config' (the --discovery-endpoint list) or 'kubernetes' (pods labelled app=<--service-name>, container port 'remoting').",
        };
        discovery.AcceptOnlyFromAmong("config", "kubernetes");
        var discoveryEndpoints = new Option<string[]>("--discovery-endpoint") { Description = "With --discovery config: every node's remoting endpoint, host:port (repeatable; this node's too).", AllowMultipleArgumentsPerToken = true };
        var serviceName = new Option<string>("--service-name") { Description = "With --discovery: the name the nodes are discovered as (Kubernetes: the pods' app label).", DefaultValueFactory = _ => "praison-actors" };
        var contactPoints = new Option<int?>("--required-contact-points") { Description = "With --discovery: nodes the lookup must return before this node joins (config default: every endpoint; kubernetes: 2)." };
        var heartbeat = Cli.SecondsOption("--sse-heartbeat", "Seconds a run's event stream may stay quiet before a heartbeat event (default 5; fractions allowed).", max: 86_400,
            rule: "--sse-heartbeat must be a number of seconds above 0 and at most 86400");
        var corsOrigins = new Option<string[]>("--cors-origin") { Description = "Browser origin allowed to call the API cross-site, e.g. https://app.example.com (repeatable; none: CORS off).", AllowMultipleArgumentsPerToken = true };
        var allowedHosts = new Option<string[]>("--allowed-host") { Description = "Host name requests may address (repeatable; checked when listening off loopback; default: the bound address).", AllowMultipleArgumentsPerToken = true };
        var root = RecipeHost.RootOption();
        var webhookSecret = new Option<string?>("--webhook-secret")
        {
            Description = "Secret that signs webhooks (Standard Webhooks: whsec_ + base64; default: $PRAISON_WEBHOOK_SECRET; none: unsigned).",
        };
        var webhookAllowPrivate = new Option<bool>("--webhook-allow-private")
        {
            Description = "Allow webhook URLs that resolve to loopback or private addresses (refused by default: SSRF guard).",
        };
        var agentsRoot = new Option<string?>("--agents-root")
        {
            Description = $"Folder the jobs API's agent_file paths must lie in ('..' and symlinks out of it are refused; default: ${AgentsRoot.Variable}; none: agent_file is refused, agent_yaml still runs).",
            HelpName = "DIR",
        };
        var postgres = new Option<string?>("--postgres") { Description = "PostgreSQL connection string: the store of this host, or the one every node shares (with --cluster; default there: $PRAISON_POSTGRES)." };
        var command = new Command("serve", """
            Host the tasks of the data directory: run them (pending ones from the store too) and serve the jobs API
            (praisonai's async-jobs API) until Ctrl+C:
              POST /api/v1/runs                 submit {"prompt": "...", "recipe_name": "...", "recipe_config": {}, "session_id": "...", "timeout": N}: 202 + Location
              GET  /api/v1/runs                 ?status=&session_id=&page=&page_size=
              GET  /api/v1/runs/{id}            status and progress
              GET  /api/v1/runs/{id}/result     409 until the run is finished
              POST /api/v1/runs/{id}/cancel     409 when already finished
              DELETE /api/v1/runs/{id}          a finished run
              GET  /api/v1/runs/{id}/stream     server-sent events: status, progress, then result | error | cancelled
              GET  /health, GET /stats
            Every route but /health needs the API key when $PRAISON_JOBS_API_KEY (or $PRAISONAI_JOBS_API_KEY) is set;
            listening off loopback without one is refused.
            Other commands find it through the data directory, or through --server / $PRAISON_SERVER.

            Examples:
              praison-actors serve
              praison-actors serve --urls http://127.0.0.1:9000 --data-dir ./data
              praison-actors serve --cluster --port 4053 --postgres "Host=127.0.0.1;Database=praison;Username=praison;Password=..."
              praison-actors serve --cluster --port 4054 --seed akka.tcp://praison-actors@127.0.0.1:4053 --urls http://127.0.0.1:8006 --data-dir ./node2
              praison-actors serve --cluster --port 4053 --discovery config --discovery-endpoint 127.0.0.1:4053 --discovery-endpoint 127.0.0.1:4054
              praison-actors serve --cluster --discovery kubernetes --service-name praison-actors --hostname 0.0.0.0 --public-hostname $POD_IP
            """) { urls, clustered, port, seeds, hostname, publicHostname, discovery, discoveryEndpoints, serviceName, contactPoints, postgres, heartbeat, corsOrigins, allowedHosts, root, webhookSecret, webhookAllowPrivate, agentsRoot };
        var agentFlags = new AgentEndpointFlags().AddTo(command);
        command.SetAction((parse, ct) => Cli.RunAsync(parse, ct, async (cli, token) =>
        {
            // Checked before anything starts: a server reachable from other machines must have a key.
            var jobsOptions = JobsOptions(new Uri(parse.GetValue(urls)!), parse.GetValue(corsOrigins) ?? [], parse.GetValue(allowedHosts) ?? [],
                TimeSpan.FromSeconds(parse.GetValue(heartbeat) ?? 5), agentsRoot: parse.GetValue(agentsRoot));
            var agentEndpoint = agentFlags.Endpoint(parse);
            var webhooks = Webhooks(parse.GetValue(webhookSecret), parse.GetValue(webhookAllowPrivate)); // bad input: before anything starts
            using var host = HostLock.TryAcquire(cli.DataDir, "serve")
                ?? throw new CliException(ExitCodes.Unavailable,
                    $"Another process ({Describe(HostLock.FindHost(cli.DataDir))}) is already hosting the tasks in {cli.DataDir}.");
            var catalog = RecipeCatalog.Load(cli.RecipesDir, RecipeHost.For(parse.GetValue(root), cli.DataDir), agentEndpoint);
            // A folder that failed to load over its runtime.schedule would otherwise just go quiet: a startup error, before anything starts.
            foreach (var error in catalog.Broken.Values)
                if (error is RecipeTemplateException { Key: var key } && key.StartsWith("runtime.schedule", StringComparison.Ordinal))
                    throw new CliException(ExitCodes.BadInput, error.Message);
            await StepProcesses.KillSurvivorsAsync(cli.DataDir, Console.Error, token); // before anything reruns
            foreach (var (folder, error) in catalog.Broken)
                Cli.Note($"warning: recipe folder '{folder}' cannot be used: {error.Message}");
            IAsyncDisposable runtime;
            BackgroundRunner runner;
            IClusterInfo? clusterInfo = null; // the dashboard's nodes page, when clustered
            var storeText = cli.DataDir;
            if (parse.GetValue(clustered))
            {
                var connection = parse.GetValue(postgres) ?? Environment.GetEnvironmentVariable("PRAISON_POSTGRES")
                    ?? throw new CliException(ExitCodes.BadInput, "--cluster needs the store every node shares: --postgres <connection string> (or $PRAISON_POSTGRES).");
                var clusterOptions = new PraisonClusterOptions
                {
                    Hostname = parse.GetValue(hostname)!,
                    PublicHostname = parse.GetValue(publicHostname),
                    Port = parse.GetValue(port),
                    SeedNodes = parse.GetValue(seeds) ?? Array.Empty<string>(),
                    Discovery = parse.GetValue(discovery) is { } method
                        ? new ClusterDiscovery
                        {
                            Method = method == "kubernetes" ? ClusterDiscovery.KubernetesMethod : ClusterDiscovery.ConfigMethod,
                            Endpoints = parse.GetValue(discoveryEndpoints) ?? Array.Empty<string>(),
                            ServiceName = parse.GetValue(serviceName)!,
                            RequiredContactPoints = parse.GetValue(contactPoints),
                        }
                        : null,
                };
                try
                {
                    PraisonCluster.Validate(new BackgroundRunnerOptions(), clusterOptions);
                }
                catch (ArgumentException ex)
                {
                    throw new CliException(ExitCodes.BadInput, ex.Message.Split(" (Parameter")[0]); // bad flags: before anything starts
                }
                PraisonClusterNode node;
                try
                {
                    node = await PraisonCluster.StartAsync(new PraisonClusterNodeOptions
                    {
                        Store = TaskStore.PostgreSql(connection),
                        Runner = new BackgroundRunnerOptions { Recipes = catalog.Registry, Webhooks = webhooks, LoggerFactory = CliLogging.Factory },
                        Config = StoreAccess.Logging,
                        Cluster = clusterOptions,
                    }, token);
                }
                catch (ScheduleException ex) when (ex is not ScheduleNotFoundException)
                {
                    throw new CliException(ExitCodes.BadInput, ex.Message); // runtime.schedule, applied as the node starts
                }
                Console.Out.WriteLine($"Cluster node {node.Address} is up.");
                // The node applied runtime.schedule as it started (RecipeSchedules.ApplyOnStartAsync, as a local host does).
                foreach (var line in node.RecipeScheduleChanges) Cli.Note(line);
                runtime = node;
                runner = node.Runner;
                clusterInfo = new PraisonClusterInfo(node);
            }
            else
            {
                // A standalone host on PostgreSQL when asked for; the data directory still holds the host lock.
                var store = parse.GetValue(postgres) is { } cs ? TaskStore.PostgreSql(cs) : null;
                PraisonRuntime local;
                try
                {
                    local = await StoreAccess.StartAsync(cli.DataDir, catalog.Registry, executeTasks: true, token, store: store, webhooks: webhooks);
                }
                catch (ScheduleException ex) when (ex is not ScheduleNotFoundException)
                {
                    throw new CliException(ExitCodes.BadInput, ex.Message); // runtime.schedule, applied as the host starts
                }
                if (store is not null) storeText = store.Describe();
                runtime = local;
                runner = local.Runner;
            }
            await using var _ = runtime;

            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls(parse.GetValue(urls)!);
            // The host logs through the same factory as the actor system: one format, one level, stderr.
            builder.Logging.ClearProviders();
            builder.Services.AddSingleton(CliLogging.Factory);
            builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(10));
            builder.Services.AddPraisonJobs(runner, jobsOptions);
            builder.Services.AddPraisonObservability();
            if (clusterInfo is not null) builder.Services.AddSingleton(clusterInfo);
            if (parse.GetValue(clustered)) builder.Services.AddHealthChecks().AddPraisonClusterMember(); // ready only while Up
            await using var app = builder.Build();
            app.MapPraisonJobs();
            // The dashboard asks for the same key as the API (entered once, kept as an HttpOnly cookie).
            app.MapPraisonDashboard(new PraisonDashboardOptions { ApiKey = jobsOptions.EffectiveApiKey() })
                .MapPraisonObservability(); // /dashboard, /metrics, /health/live, /health/ready
            try
            {
                await app.StartAsync(token);
            }
            catch (IOException ex)
            {
                throw new CliException(ExitCodes.Unavailable, $"Cannot listen on {parse.GetValue(urls)}: {ex.Message}");
            }

            var url = app.Urls.First();
            host.Publish("serve", url);
            Console.Out.WriteLine($"Listening on {url} (store: {storeText}). Press Ctrl+C to stop.");
            await app.WaitForShutdownAsync(token);
            Cli.Note("Stopping: running tasks are cancelled by the shutdown and settled at the next start.");
            return ExitCodes.Ok;
        }));
        return command;
    }

    /// <summary>
    /// The jobs API's settings for <paramref name="url"/>: off loopback a key is required (exit 2 without one) and
    /// the Host header must name the bound address (or an --allowed-host); on loopback neither.
    /// </summary>
    internal static PraisonJobsOptions JobsOptions(Uri url, string[] corsOrigins, string[] allowedHosts, TimeSpan heartbeat,
        Func<string, string?>? environment = null, string? agentsRoot = null)
    {
        // --agents-root, else $PRAISON_AGENTS_ROOT; a folder that does not exist is bad input (Validate).
        agentsRoot ??= (environment ?? Environment.GetEnvironmentVariable)(AgentsRoot.Variable) is { Length: > 0 } fromEnv ? fromEnv : null;
        if (agentsRoot is not null && !Directory.Exists(agentsRoot))
            throw new CliException(ExitCodes.BadInput, $"--agents-root (or ${AgentsRoot.Variable}) '{agentsRoot}' is not an existing folder.");
        var options = new PraisonJobsOptions
        {
            StreamHeartbeat = heartbeat,
            CorsOrigins = corsOrigins,
            // A prompt-only job asks the built-in agent; without a model endpoint it is a 422 naming the settings.
            DefaultRecipe = AgentRecipes.DefaultName,
            CheckRecipe = AgentRecipes.EnsureRunnable,
            AllowedHosts = IsLoopback(url.Host) ? allowedHosts : [.. allowedHosts, .. BoundNames(url.Host)],
            AgentsRoot = agentsRoot is null ? null : Path.GetFullPath(agentsRoot),
        };
        try
        {
            options.Validate();
        }
        catch (ArgumentException ex)
        {
            throw new CliException(ExitCodes.BadInput, ex.Message);
        }
        if (!IsLoopback(url.Host) && options.EffectiveApiKey(environment) is null)
            throw new CliException(ExitCodes.BadInput,
                $"serve listens on {url} (off loopback) and has no API key. Set one first: export {PraisonJobsOptions.ApiKeyVariable}=<a long random secret> "
                + $"(clients send it as 'Authorization: Bearer <key>' or 'X-API-Key: <key>'), or listen on {DefaultUrl}.");
        return options;
    }

    private static bool IsLoopback(string host) =>
        host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
        || (System.Net.IPAddress.TryParse(host.Trim('[', ']'), out var ip) && System.Net.IPAddress.IsLoopback(ip));

    /// <summary>The names a request to a server bound to <paramref name="host"/> may use: that host, or every local name for a wildcard.</summary>
    private static IEnumerable<string> BoundNames(string host)
    {
        if (host is not ("0.0.0.0" or "[::]" or "::" or "*" or "+"))
            return [host];
        var names = new List<string> { "localhost", "127.0.0.1", "[::1]", Environment.MachineName };
        foreach (var nic in System.Net.NetworkInformation.NetworkInterface.GetAllNetworkInterfaces())
            foreach (var address in nic.GetIPProperties().UnicastAddresses)
                names.Add(address.Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6
                    ? $"[{address.Address}]" : address.Address.ToString());
        return names;
    }

    /// <summary>The webhook settings of <c>serve</c>: the secret from the flag or $PRAISON_WEBHOOK_SECRET, checked before anything starts.</summary>
    private static WebhookOptions Webhooks(string? secret, bool allowPrivate)
    {
        secret ??= Environment.GetEnvironmentVariable("PRAISON_WEBHOOK_SECRET") is { Length: > 0 } s ? s : null;
        var options = new WebhookOptions { Secret = secret, AllowPrivateNetworks = allowPrivate };
        try
        {
            options.Validate();
        }
        catch (ArgumentException ex)
        {
            throw new CliException(ExitCodes.BadInput, ex.Message.Replace("Webhooks.Secret", "--webhook-secret (or $PRAISON_WEBHOOK_SECRET)").Split(" (Parameter")[0]);
        }
        return options;
    }

    private static string Describe(HostInfo? host) => host is null ? "unknown" : $"pid {host.Pid}, `{host.Command}`";
}
