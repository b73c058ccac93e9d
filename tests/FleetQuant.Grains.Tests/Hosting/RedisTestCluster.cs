using FleetQuant.Gateway.Hosting;
using FleetQuant.Silo.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans;
using Orleans.Hosting;
using StackExchange.Redis;

namespace FleetQuant.Grains.Tests.Hosting;

/// <summary>
/// Real FleetQuant silo hosts (the Silo project's wiring, Kestrel on loopback) clustered through Redis, under a fresh
/// service id so each run has its own keys, which are deleted on dispose.
/// </summary>
internal sealed class RedisTestCluster : IAsyncDisposable
{
    public const string RedisVariable = "FLEETQUANT_TEST_REDIS";

    private readonly string _redis;
    private readonly TemporaryDataDirectory _directory = new();
    private readonly List<WebApplication> _silos = [];

    private RedisTestCluster(string redis)
    {
        _redis = redis;
        ServiceId = "fq-test-" + Guid.NewGuid().ToString("N");
    }

    public string ServiceId { get; }

    public IReadOnlyList<WebApplication> Silos => _silos;

    /// <summary>
    /// Starts <paramref name="count"/> silos; fails with instructions when Redis is not configured or not reachable.
    /// <paramref name="settings"/> adds configuration keys (e.g. <c>FleetQuant:Rollouts:ReminderPeriod</c>) to every silo.
    /// </summary>
    public static async Task<RedisTestCluster> StartAsync(int count, TimeSpan reminderPeriod, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var redis = Environment.GetEnvironmentVariable(RedisVariable);
        if (string.IsNullOrWhiteSpace(redis))
        {
            throw new InvalidOperationException(
                $"{RedisVariable} is not set. Run scripts/test, or start Redis with " +
                $"`redis-server --bind 127.0.0.1 --port 6391 --save '' --daemonize yes` and set {RedisVariable}=127.0.0.1:6391.");
        }

        try
        {
            await using var probe = await ConnectionMultiplexer.ConnectAsync(redis);
            await probe.GetDatabase().PingAsync();
        }
        catch (RedisConnectionException ex)
        {
            throw new InvalidOperationException($"Redis at {redis} ({RedisVariable}) is not reachable: {ex.Message}", ex);
        }

        var cluster = new RedisTestCluster(redis);
        try
        {
            for (var i = 0; i < count; i++)
            {
                await cluster.StartSiloAsync(i, reminderPeriod, settings);
            }
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }

        return cluster;
    }

    public IGrainFactory GrainFactory(int silo) => _silos[silo].Services.GetRequiredService<IGrainFactory>();

    public Uri HttpAddress(int silo) =>
        new(_silos[silo].Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

    /// <summary>Stops one silo gracefully, as an operator or an orchestrator would.</summary>
    public Task StopSiloAsync(int silo) => _silos[silo].StopAsync();

    public async ValueTask DisposeAsync()
    {
        foreach (var silo in _silos.AsEnumerable().Reverse())
        {
            await silo.StopAsync();
            await silo.DisposeAsync();
        }

        await using (var connection = await ConnectionMultiplexer.ConnectAsync(_redis))
        {
            var server = connection.GetServers()[0];
            var keys = server.Keys(pattern: ServiceId + "*").ToArray();
            if (keys.Length > 0)
            {
                await connection.GetDatabase().KeyDeleteAsync(keys);
            }
        }

        _directory.Dispose();
    }

    private async Task StartSiloAsync(int index, TimeSpan reminderPeriod, IReadOnlyDictionary<string, string?>? settings)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = Environments.Production });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["urls"] = "http://127.0.0.1:0",
            ["FleetQuant:DataDirectory"] = Path.Combine(_directory.Path, $"silo-{index}"),
            ["FleetQuant:Cluster:Mode"] = "Redis",
            ["FleetQuant:Cluster:Redis"] = _redis,
            ["FleetQuant:Cluster:ServiceId"] = ServiceId,
            ["FleetQuant:Cluster:ClusterId"] = ServiceId,
            ["FleetQuant:Cluster:SiloPort"] = FreeTcpPorts.Claim().ToString(),
            ["FleetQuant:Cluster:GatewayPort"] = FreeTcpPorts.Claim().ToString(),
        });
        if (settings is not null)
        {
            builder.Configuration.AddInMemoryCollection(settings);
        }
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.AddFleetQuantSilo();
        builder.Services.Configure<ReminderOptions>(options => options.MinimumReminderPeriod = reminderPeriod);

        var app = builder.Build();
        app.MapFleetQuantHealth();
        await app.StartAsync();
        _silos.Add(app);
    }
}
