using FleetQuant.Grains.Artifacts;
using FleetQuant.Grains.Hosting;
using FleetQuant.Grains.Manifests;
using FleetQuant.Grains.Persistence;
using FleetQuant.Grains.Rollouts;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Hosting;
using Orleans.TestingHost;

namespace FleetQuant.Grains.Tests.Support;

/// <summary>
/// A one-silo cluster of the FleetQuant grains on SQLite storage and reminders in <paramref name="dataDirectory"/>, for
/// tests that stop or kill it and start it again on the same data: a short ladder (fp32, q8cs), 1 s reminders, fast ticks.
/// </summary>
public static class SqliteFleetCluster
{
    public static readonly TimeSpan ReminderPeriod = TimeSpan.FromSeconds(1);

    /// <param name="clock">The fleet's clock (a manual one lets a test move soak times); null keeps the system clock.</param>
    public static async Task<InProcessTestCluster> StartAsync(string serviceId, string dataDirectory, TimeProvider? clock = null)
    {
        var builder = new InProcessTestClusterBuilder(1);
        builder.Options.ServiceId = serviceId;
        builder.ConfigureSilo((_, silo) =>
        {
            foreach (var name in StorageNames.All)
            {
                silo.AddSqliteGrainStorage(name, options => options.DataDirectory = dataDirectory);
            }
            silo.UseSqliteReminderService(options => options.DataDirectory = dataDirectory);
            silo.Services.Configure<ReminderOptions>(options => options.MinimumReminderPeriod = ReminderPeriod);
            if (clock is not null)
            {
                silo.Services.AddSingleton(new FleetClock(clock));
            }
            silo.Services.AddSingleton<IArtifactStore>(new FileArtifactStore(Path.Combine(dataDirectory, "artifacts")));
            silo.AddFleetQuantGrains();
            silo.Services.Configure<ManifestOptions>(o => o.KeyPath = Path.Combine(dataDirectory, "manifest-key.pem"));
            silo.Services.Configure<CompressionOptions>(o =>
            {
                o.Parallelism = 2;
                o.LadderRecipes = ["fp32", "q8cs"];
                o.LadderMixedPrecision = false;
            });
            silo.Services.Configure<RolloutOptions>(o =>
            {
                o.ReminderPeriod = ReminderPeriod;
                o.TickPeriod = TimeSpan.FromMilliseconds(250);
            });
        });
        var cluster = builder.Build();
        await cluster.DeployAsync();
        return cluster;
    }
}
