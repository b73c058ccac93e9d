using FleetQuant.Gateway.Broker;
using FleetQuant.Grains.Gateway;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FleetQuant.Gateway.Bridge;

/// <summary>
/// Receives desired-state changes pushed by the silo: registers this Gateway's observer with every directory shard,
/// renews the registrations periodically (they expire, so a dead Gateway drops out), publishes what arrives, and acts
/// on revoked device credentials.
/// </summary>
public sealed class DesiredStateRelay(
    IGrainFactory grains,
    MqttBridge bridge,
    UplinkRouter router,
    DeviceCredentialCheck credentials,
    IEnumerable<EmbeddedBroker> embeddedBroker,
    ILogger<DesiredStateRelay> logger)
    : BackgroundService, IDesiredStateObserver
{
    private readonly string _gatewayId = $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid():N}";

    public async Task DesiredStateChanged(SignedDesiredState state)
    {
        try
        {
            await router.PublishDesiredAsync(state, bridge, CancellationToken.None);
        }
        catch (Exception ex)
        {
            // The device converges on its next hello, which republishes the desired state.
            logger.LogWarning("could not publish the desired state of {Device}: {Reason}", state.DeviceId, ex.Message);
        }
    }

    public Task CredentialsRevoked(string deviceId)
    {
        credentials.Forget(deviceId);
        // Not awaited: closing the session raises the broker's disconnect handling, which may call the device grain
        // that is waiting for this call to return.
        foreach (var broker in embeddedBroker)
        {
            _ = broker.CloseSessionAsync(deviceId);
        }
        return Task.CompletedTask;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var reference = grains.CreateObjectReference<IDesiredStateObserver>(this);
        try
        {
            using var timer = new PeriodicTimer(GatewayDirectory.RenewalPeriod);
            do
            {
                try
                {
                    await Task.WhenAll(Enumerable.Range(0, GatewayDirectory.Shards)
                        .Select(shard => grains.GetGrain<IGatewayDirectoryGrain>(shard).Register(_gatewayId, reference)));
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    logger.LogWarning("could not register with the Gateway directory: {Reason}", ex.Message);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            await UnregisterAsync();
            grains.DeleteObjectReference<IDesiredStateObserver>(reference);
        }
    }

    private async Task UnregisterAsync()
    {
        try
        {
            await Task.WhenAll(Enumerable.Range(0, GatewayDirectory.Shards)
                .Select(shard => grains.GetGrain<IGatewayDirectoryGrain>(shard).Unregister(_gatewayId)));
        }
        catch (Exception ex)
        {
            logger.LogDebug("unregistering from the Gateway directory failed (registrations expire anyway): {Reason}", ex.Message);
        }
    }
}
