using Orleans.Configuration;
using StackExchange.Redis;

namespace FleetQuant.Gateway.Hosting;

/// <summary>
/// For a Gateway in its own process: an Orleans client configured by the same keys as the silo
/// (<c>FleetQuant:Cluster:Mode</c> Local|Redis, <c>Redis</c>, <c>ClusterId</c>, <c>ServiceId</c>, <c>GatewayPort</c>).
/// </summary>
public static class GatewayClientHosting
{
    public const string DefaultUrl = "http://127.0.0.1:5081";

    public static WebApplicationBuilder AddFleetQuantOrleansClient(this WebApplicationBuilder builder)
    {
        var cluster = builder.Configuration.GetSection("FleetQuant:Cluster");
        var mode = cluster["Mode"] ?? "Local";
        var clusterId = cluster["ClusterId"] ?? "fleetquant";
        var serviceId = cluster["ServiceId"] ?? "fleetquant";
        var gatewayPort = int.TryParse(cluster["GatewayPort"], out var port) ? port : 30000;
        if (builder.Configuration["urls"] is null && !builder.Configuration.GetSection("Kestrel:Endpoints").Exists())
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }
        builder.UseOrleansClient(client =>
        {
            if (string.Equals(mode, "Redis", StringComparison.OrdinalIgnoreCase))
            {
                var redis = cluster["Redis"] ?? throw new InvalidOperationException("FleetQuant:Cluster:Redis must be set (host:port) when FleetQuant:Cluster:Mode is Redis.");
                client.Configure<ClusterOptions>(options =>
                {
                    options.ClusterId = clusterId;
                    options.ServiceId = serviceId;
                });
                client.UseRedisClustering(options => options.ConfigurationOptions = ConfigurationOptions.Parse(redis));
            }
            else
            {
                client.UseLocalhostClustering(gatewayPort, serviceId, clusterId);
            }
        });
        return builder;
    }
}
