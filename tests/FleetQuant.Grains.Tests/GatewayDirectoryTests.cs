using System.Collections.Concurrent;
using FleetQuant.Grains.Gateway;
using FleetQuant.Grains.Tests.Support;

namespace FleetQuant.Grains.Tests;

/// <summary>The registry of live Gateways: a rotated secret reaches every Gateway, desired state reaches one.</summary>
public sealed class GatewayDirectoryTests(FleetClusterFixture fleet) : IClassFixture<FleetClusterFixture>
{
    [Fact]
    public async Task RotateSecret_TellsEveryRegisteredGatewayToForgetTheDevice()
    {
        var first = new RecordingGateway();
        var second = new RecordingGateway();
        await RegisterEverywhereAsync("gw-a", first);
        await RegisterEverywhereAsync("gw-b", second);
        var device = await fleet.ProvisionAsync("revoke-1");

        await device.RotateSecret();

        Assert.Equal(["revoke-1"], first.Revoked);
        Assert.Equal(["revoke-1"], second.Revoked);
    }

    [Fact]
    public async Task RevokeCredentials_SkipsAnUnregisteredGateway()
    {
        var stays = new RecordingGateway();
        var leaves = new RecordingGateway();
        await RegisterEverywhereAsync("gw-stays", stays);
        await RegisterEverywhereAsync("gw-leaves", leaves);
        var shard = fleet.Client.GetGrain<IGatewayDirectoryGrain>(GatewayDirectory.ShardOf("revoke-2"));
        await shard.Unregister("gw-leaves");

        await shard.RevokeCredentials("revoke-2");

        Assert.Contains("revoke-2", stays.Revoked);
        Assert.DoesNotContain("revoke-2", leaves.Revoked);
    }

    private async Task RegisterEverywhereAsync(string gatewayId, RecordingGateway gateway)
    {
        var reference = fleet.Client.CreateObjectReference<IDesiredStateObserver>(gateway);
        for (var shard = 0; shard < GatewayDirectory.Shards; shard++)
        {
            await fleet.Client.GetGrain<IGatewayDirectoryGrain>(shard).Register(gatewayId, reference);
        }
    }

    private sealed class RecordingGateway : IDesiredStateObserver
    {
        private readonly ConcurrentQueue<string> _revoked = new();

        public string[] Revoked => [.. _revoked];

        public Task DesiredStateChanged(SignedDesiredState state) => Task.CompletedTask;

        public Task CredentialsRevoked(string deviceId)
        {
            _revoked.Enqueue(deviceId);
            return Task.CompletedTask;
        }
    }
}
