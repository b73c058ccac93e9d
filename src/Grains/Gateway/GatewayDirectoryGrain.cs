using FleetQuant.Grains.Hosting;
using Microsoft.Extensions.Logging;

namespace FleetQuant.Grains.Gateway;

/// <summary>
/// In-memory registry of live Gateways for one directory shard. Registrations expire unless renewed, so a crashed
/// Gateway stops receiving work; delivery picks a Gateway stably by device hash and falls back to the next on failure.
/// </summary>
public sealed class GatewayDirectoryGrain(FleetClock clock, ILogger<GatewayDirectoryGrain> logger) : Grain, IGatewayDirectoryGrain
{
    private readonly SortedDictionary<string, (IDesiredStateObserver Observer, DateTimeOffset Expires)> _gateways = new(StringComparer.Ordinal);

    public Task Register(string gatewayId, IDesiredStateObserver observer)
    {
        _gateways[gatewayId] = (observer, clock.UtcNow + GatewayDirectory.RegistrationLifetime);
        return Task.CompletedTask;
    }

    public Task Unregister(string gatewayId)
    {
        _gateways.Remove(gatewayId);
        return Task.CompletedTask;
    }

    public Task<bool> HasGateways()
    {
        RemoveExpired();
        return Task.FromResult(_gateways.Count > 0);
    }

    public async Task<bool> Deliver(SignedDesiredState state)
    {
        RemoveExpired();
        var live = _gateways.ToList();
        if (live.Count == 0)
        {
            return false;
        }
        var first = (int)(GatewayDirectory.StableHash(state.DeviceId) % (uint)live.Count);
        for (var i = 0; i < live.Count; i++)
        {
            var (gatewayId, entry) = live[(first + i) % live.Count];
            try
            {
                await entry.Observer.DesiredStateChanged(state);
                return true;
            }
            catch (Exception ex)
            {
                logger.LogInformation("Gateway {Gateway} did not take the desired state of {Device}: {Reason}", gatewayId, state.DeviceId, ex.Message);
                _gateways.Remove(gatewayId);
            }
        }
        return false;
    }

    public async Task<int> RevokeCredentials(string deviceId)
    {
        RemoveExpired();
        // Every Gateway: a device may hold a session on any of them (one embedded broker each).
        var reached = await Task.WhenAll(_gateways.ToList().Select(async gateway =>
        {
            try
            {
                await gateway.Value.Observer.CredentialsRevoked(deviceId);
                return true;
            }
            catch (Exception ex)
            {
                logger.LogWarning("Gateway {Gateway} did not take the revoked credentials of {Device}: {Reason}", gateway.Key, deviceId, ex.Message);
                return false;
            }
        }));
        return reached.Count(r => r);
    }

    private void RemoveExpired()
    {
        var now = clock.UtcNow;
        foreach (var expired in _gateways.Where(g => g.Value.Expires <= now).Select(g => g.Key).ToList())
        {
            _gateways.Remove(expired);
        }
    }
}
