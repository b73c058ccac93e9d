using System.Net;
using FleetQuant.Gateway.Hosting;
using FleetQuant.Grains.Hosting;
using FleetQuant.Grains.Manifests;
using FleetQuant.Grains.Persistence;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Orleans.Configuration;
using Orleans.Providers;

namespace FleetQuant.Silo.Hosting;

/// <summary>
/// Wires a FleetQuant silo into a web application: options, Orleans clustering, grain storage and reminders for the
/// configured <see cref="ClusterMode"/>, the grains themselves, and health checks. Program.cs stays a few lines so
/// the Gateway can later be co-hosted on the same builder.
/// </summary>
public static class SiloHostingExtensions
{
    /// <summary>Kestrel address used when no <c>urls</c> or <c>Kestrel:Endpoints</c> are configured: loopback only.</summary>
    public const string DefaultUrl = "http://127.0.0.1:5080";

    private const string LiveTag = "live";

    /// <summary>Adds the silo and its health checks, configured from the <c>FleetQuant</c> section.</summary>
    public static WebApplicationBuilder AddFleetQuantSilo(this WebApplicationBuilder builder)
    {
        // Clustering is chosen while the host is being built, so bad settings must fail here, not at first use.
        var options = builder.Configuration.GetValidated<SiloHostOptions>(SiloHostOptions.SectionName);
        var cluster = builder.Configuration.GetValidated<ClusterHostOptions>(ClusterHostOptions.Section);
        builder.Services.AddValidatedOptions<SiloHostOptions>(SiloHostOptions.SectionName);
        builder.Services.AddValidatedOptions<ClusterHostOptions>(ClusterHostOptions.Section);

        if (builder.Configuration["urls"] is null && !builder.Configuration.GetSection("Kestrel:Endpoints").Exists())
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }

        var dataDirectory = Path.GetFullPath(options.DataDirectory);

        // Registered before the grains bind FleetQuant:Artifacts, so an explicit Path still wins.
        builder.Services.Configure<ArtifactStoreOptions>(artifacts => artifacts.Path = Path.Combine(dataDirectory, "artifacts"));
        builder.Services.Configure<ManifestOptions>(manifests => manifests.KeyPath = Path.Combine(dataDirectory, "manifest-key.pem"));
        builder.UseOrleans(silo =>
        {
            if (cluster.Mode == ClusterMode.Redis)
            {
                ConfigureRedisCluster(silo, cluster);
            }
            else
            {
                ConfigureLocalSilo(silo, cluster, dataDirectory);
            }

            silo.AddFleetQuantGrains();
        });

        builder.Services.AddHealthChecks()
            .AddCheck("process", () => HealthCheckResult.Healthy(), tags: [LiveTag])
            .AddCheck<SiloHealthCheck>("silo");
        return builder;
    }

    /// <summary>Maps <c>/alive</c> (the process answers) and <c>/health</c> (the silo is an active cluster member).</summary>
    public static WebApplication MapFleetQuantHealth(this WebApplication app)
    {
        app.MapHealthChecks("/alive", new HealthCheckOptions { Predicate = check => check.Tags.Contains(LiveTag) });
        app.MapHealthChecks("/health");
        return app;
    }

    private static void ConfigureLocalSilo(ISiloBuilder silo, ClusterHostOptions cluster, string dataDirectory)
    {
        // Localhost clustering listens on loopback only; a single node needs no membership store.
        silo.UseLocalhostClustering(cluster.SiloPort, cluster.GatewayPort, null, cluster.ServiceId, cluster.ClusterId);
        foreach (var name in StorageNamesToRegister())
        {
            silo.AddSqliteGrainStorage(name, storage => storage.DataDirectory = dataDirectory);
        }

        silo.UseSqliteReminderService(reminders => reminders.DataDirectory = dataDirectory);
    }

    private static void ConfigureRedisCluster(ISiloBuilder silo, ClusterHostOptions cluster)
    {
        var redis = cluster.RedisConfiguration();
        silo.Configure<ClusterOptions>(options =>
        {
            options.ClusterId = cluster.ClusterId;
            options.ServiceId = cluster.ServiceId;
        });
        if (cluster.Kubernetes)
        {
            // Only the ports are set here: Kubernetes hosting fills in the advertised pod IP and the any-address
            // listeners, and overrides ClusterId/ServiceId from ORLEANS_CLUSTER_ID/ORLEANS_SERVICE_ID when present.
            silo.Configure<EndpointOptions>(endpoints =>
            {
                endpoints.SiloPort = cluster.SiloPort;
                endpoints.GatewayPort = cluster.GatewayPort;
            });
            silo.UseKubernetesHosting();
        }
        else
        {
            silo.ConfigureEndpoints(IPAddress.Parse(cluster.Address), cluster.SiloPort, cluster.GatewayPort, listenOnAnyHostAddress: false);
        }

        silo.UseRedisClustering(options => options.ConfigurationOptions = redis.Clone());
        foreach (var name in StorageNamesToRegister())
        {
            silo.Services.AddRedisGrainStorage(name, options => options.ConfigurationOptions = redis.Clone());
        }

        silo.AddReminders();
        silo.UseRedisReminderService(options => options.ConfigurationOptions = redis.Clone());
    }

    private static IEnumerable<string> StorageNamesToRegister() =>
        StorageNames.All.Append(ProviderConstants.DEFAULT_STORAGE_PROVIDER_NAME).Distinct();
}
