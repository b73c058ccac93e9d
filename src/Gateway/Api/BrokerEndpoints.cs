using FleetQuant.Gateway.Broker;
using FleetQuant.Gateway.Hosting;
using FleetQuant.Gateway.Mosquitto;
using FleetQuant.Grains.Credentials;
using FleetQuant.Grains.Fleet;
using FleetQuant.Grains.Rollouts;
using Microsoft.Extensions.Options;
using Contract = FleetQuant.Api.Contracts;

namespace FleetQuant.Gateway.Api;

/// <summary><c>/api/broker/mosquitto</c>: password and ACL files for running devices against an external Mosquitto 2.</summary>
public static class BrokerEndpoints
{
    private const int PageSize = 1000;

    public static RouteGroupBuilder MapBrokerEndpoints(this RouteGroupBuilder api)
    {
        api.MapGet("/broker/mosquitto", MosquittoAsync)
            .WithSummary("Mosquitto password_file (PBKDF2-SHA512 $7$) and pattern acl_file for every provisioned device and the Gateway account.");
        return api;
    }

    private static async Task<Contract.MosquittoConfig> MosquittoAsync(IGrainFactory grains, GatewayAccount account, IOptions<MqttOptions> mqtt)
    {
        var devices = new List<(string, string)>();
        string? after = null;
        while (true)
        {
            var page = await grains.GetGrain<IFleetQueryGrain>(0).List(TargetSelector.All, after, PageSize);
            var hashes = await Task.WhenAll(page.Devices.Select(d => grains.GetGrain<IBrokerCredentialGrain>(d.DeviceId).Get()));
            devices.AddRange(page.Devices.Zip(hashes).Where(p => p.Second is not null).Select(p => (p.First.DeviceId, p.Second!)));
            if (page.Devices.Count < PageSize)
            {
                break;
            }
            after = page.Devices[^1].DeviceId;
        }
        // The generated mosquitto.conf carries the limits this Gateway runs with.
        return MosquittoConfigWriter.Write(account.User, MosquittoPasswordHash.Create(account.Secret), devices, mqtt.Value);
    }
}
