using FleetQuant.Grains.Hosting;
using Orleans.Configuration;

namespace FleetQuant.Gateway.Hosting;

/// <summary>
/// For a Gateway in its own process: an Orleans client configured by the silo's own <see cref="ClusterHostOptions"/>
/// (<c>FleetQuant:Cluster</c>), so both read the same keys with the same defaults.
/// </summary>
public static class GatewayClientHosting
{
    public const string DefaultUrl = "http://127.0.0.1:5081";

    public static WebApplicationBuilder AddFleetQuantOrleansClient(this WebApplicationBuilder builder)
    {
        // Local or Redis clustering is chosen while the host is built, so the settings are checked now.
        var cluster = builder.Configuration.GetValidated<ClusterHostOptions>(ClusterHostOptions.Section);
        builder.Services.AddValidatedOptions<ClusterHostOptions>(ClusterHostOptions.Section);
        builder.Services.AddFleetQuantLogFilters();
        if (builder.Configuration["urls"] is null && !builder.Configuration.GetSection("Kestrel:Endpoints").Exists())
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }
        builder.UseOrleansClient(client =>
        {
            if (cluster.Mode == ClusterMode.Redis)
            {
                client.Configure<ClusterOptions>(options =>
                {
                    options.ClusterId = cluster.ClusterId;
                    options.ServiceId = cluster.ServiceId;
                });
                client.UseRedisClustering(options => options.ConfigurationOptions = cluster.RedisConfiguration());
            }
            else
            {
                client.UseLocalhostClustering(cluster.GatewayPort, cluster.ServiceId, cluster.ClusterId);
            }
        });
        return builder;
    }
}
