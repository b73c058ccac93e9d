using System.Text;
using System.Text.Json.Nodes;
using FleetQuant.Api.Contracts;
using FleetQuant.Compression.Data;
using FleetQuant.DeviceAgent;
using FleetQuant.DeviceAgent.Link;
using FleetQuant.DeviceAgent.Profiles;
using FleetQuant.DeviceAgent.Simulation;
using FleetQuant.DeviceAgent.Storage;
using FleetQuant.DeviceAgent.Updates;
using FleetQuant.EndToEnd.Tests.Support;
using FleetQuant.Protocol.Manifests;
using FleetQuant.Protocol.Messages;
using FleetQuant.Protocol.Topics;
using FleetQuant.TestSupport;
using FleetQuant.TestSupport.Server;
using Microsoft.Extensions.Logging.Abstractions;

namespace FleetQuant.EndToEnd.Tests;

/// <summary>
/// Real agents over real MQTT surviving what the field does to them: a dropped link mid-download, a corrupted chunk,
/// a tampered or replayed manifest on their desired-state topic, and a power cut in the middle of applying an update.
/// </summary>
[Collection(FleetCollection.Name)]
public sealed class FaultTests(FleetHost host)
{
    private static readonly ProfileOverrides Pi4 = new()
    {
        HardwareClass = "pi-4",
        Arch = "arm64",
        CpuFeatures = ["neon", "asimd", "crc32"],
        CpuCores = 4,
        RamBytes = 4L << 30,
        StorageBytes = 32L << 30,
        ModelMemoryBudgetBytes = 512L << 20,
        BandwidthBitsPerSecond = 20_000_000,
    };

    [Fact]
    public async Task DisconnectMidTransfer_ResumesWithoutDownloadingVerifiedChunksAgain()
    {
        var (v1, _) = await host.ModelVersionsAsync();
        var device = await ProvisionAsync("e2e-fault-drop");
        await using var agent = await StartAsync(device, new FaultPlan { DropConnectionAfterBytes = 200_000 });

        var view = await InstallAsync("e2e-drop-v1", v1, device.DeviceId, agent);

        Assert.True(agent.Reconnects >= 1, "the link never dropped");
        var size = view.Desired!.ArtifactBytes;
        Assert.Equal(size, agent.BytesDownloaded);
        // Only chunks that were in flight when the link dropped can arrive twice: far from a second full download.
        Assert.InRange(agent.ChunkBytesReceived, size, size + size / 2);
    }

    [Fact]
    public async Task CorruptedChunk_IsFetchedAgain_AndTheDeviceConverges()
    {
        var (v1, _) = await host.ModelVersionsAsync();
        var device = await ProvisionAsync("e2e-fault-corrupt");
        await using var agent = await StartAsync(device, new FaultPlan { CorruptChunkNumber = 2 });

        var view = await InstallAsync("e2e-corrupt-v1", v1, device.DeviceId, agent);

        var fetch = Assert.Single(agent.Fetches);
        Assert.Equal(1, fetch.CorruptChunks);
        // The corrupt chunk arrived twice (bad, then good); nothing else did.
        Assert.InRange(fetch.BytesReceived - view.Desired!.ArtifactBytes, 1, 64 * 1024);
        Assert.DoesNotContain(agent.Reports, r => r.Stage is UpdateStage.Failed or UpdateStage.Rejected);
    }

    [Fact]
    public async Task TamperedAndReplayedManifests_AreRejected_AndTheDeviceKeepsItsModel()
    {
        var (v1, v2) = await host.ModelVersionsAsync();
        var device = await ProvisionAsync("e2e-fault-manifest");
        await using var agent = await StartAsync(device, FaultPlan.None);
        await using var cloud = await CloudProbe.ConnectAsync(host.MqttHost, host.MqttPort);
        var desiredTopic = DeviceTopics.Down(device.DeviceId, DeviceTopics.Desired);

        await InstallAsync("e2e-manifest-v1", v1, device.DeviceId, agent);
        var v1Manifest = await cloud.ReadRetainedAsync(desiredTopic, TimeSpan.FromSeconds(10));
        var onV2 = await InstallAsync("e2e-manifest-v2", v2, device.DeviceId, agent);
        var v2Manifest = await cloud.ReadRetainedAsync(desiredTopic, TimeSpan.FromSeconds(10));

        // Tampered: the v1 artifact under a newer release number, with the signature of the genuine v2 manifest.
        await cloud.PublishRetainedAsync(desiredTopic, Tamper(v2Manifest, v1Manifest));
        var tampered = await RejectionAsync(agent, 1);
        Assert.Contains("signature", tampered.Reason, StringComparison.OrdinalIgnoreCase);

        // Replayed: the genuine, correctly signed v1 manifest, whose release is older than the one installed.
        await cloud.PublishRetainedAsync(desiredTopic, v1Manifest);
        var replayed = await RejectionAsync(agent, 2);
        Assert.Contains("release", replayed.Reason, StringComparison.OrdinalIgnoreCase);

        Assert.Equal(onV2.Desired!.ArtifactHash, agent.CurrentArtifact);
        await cloud.PublishRetainedAsync(desiredTopic, v2Manifest);
    }

    [Fact]
    public async Task PowerCutDuringApply_BootsThePreviousModel_ThenCompletesTheUpdate()
    {
        var (v1, v2) = await host.ModelVersionsAsync();
        var device = await ProvisionAsync("e2e-fault-power");
        string onV1;
        await using (var first = await StartAsync(device, FaultPlan.None))
        {
            onV1 = (await InstallAsync("e2e-power-v1", v1, device.DeviceId, first)).Desired!.ArtifactHash;
        }

        await using (var cut = await StartAsync(device, new FaultPlan { PowerCutAt = UpdateCheckpoint.Staged }))
        {
            await host.StartRolloutAsync("e2e-power-v2", v2, [device.DeviceId]);
            await Eventually.Until(() => Task.FromResult(cut.PoweredOff), off => off, "the power cut", FleetHost.Patience);
        }

        // What the disk says after the cut: the new model was written, but the device boots the one it had.
        var disk = new ModelStore(StateDirectory(device.DeviceId));
        Assert.Equal(onV1, disk.State.Current!.ArtifactSha256);
        Assert.Equal(onV1, disk.Bootable()!.ArtifactSha256);

        await using var rebooted = await StartAsync(device, FaultPlan.None);
        var view = await Eventually.Until(() => host.DeviceAsync(device.DeviceId),
            v => v.Desired?.Version == v2 && v.State == DeviceState.UpToDate && rebooted.CurrentArtifact == v.Desired.ArtifactHash,
            "the rebooted device on v2", FleetHost.Patience);
        Assert.NotEqual(onV1, view.Desired!.ArtifactHash);
        Assert.Contains(rebooted.Reports, r => r.Stage == UpdateStage.Succeeded && r.Release == view.Desired.Release);
    }

    private async Task<ProvisionedDevice> ProvisionAsync(string deviceId)
    {
        using var provisioner = new DeviceProvisioner(host.Http.BaseAddress!, AllInOneHost.Token);
        return await provisioner.ProvisionAsync(deviceId, Pi4, CancellationToken.None);
    }

    private string StateDirectory(string deviceId) => Path.Combine(host.DataDirectory, "agents", deviceId);

    private async Task<DeviceRuntime> StartAsync(ProvisionedDevice device, FaultPlan faults)
    {
        var agent = new DeviceRuntime(new AgentOptions
        {
            Link = new LinkOptions { Host = device.MqttHost, Port = device.MqttPort, DeviceId = device.DeviceId, Secret = device.Secret },
            ServerPublicKeyPem = device.ServerPublicKeyPem,
            StateDirectory = StateDirectory(device.DeviceId),
            Profile = Pi4,
        }, GeneratedInputs.Create([784], 2, seed: 5), NullLogger.Instance, faults: new SimulatedFaults(faults));
        await agent.StartAsync(CancellationToken.None);
        await host.HelloSeenAsync(device.DeviceId, Pi4.Arch!);
        return agent;
    }

    private async Task<DeviceView> InstallAsync(string rolloutId, string version, string deviceId, DeviceRuntime agent)
    {
        await host.StartRolloutAsync(rolloutId, version, [deviceId]);
        return await Eventually.Until(() => host.DeviceAsync(deviceId),
            v => v.Desired?.Version == version && v.State == DeviceState.UpToDate && agent.CurrentArtifact == v.Desired.ArtifactHash,
            $"{deviceId} on {version}", FleetHost.Patience);
    }

    private static Task<UpdateReport> RejectionAsync(DeviceRuntime agent, int count) =>
        Eventually.Until(() => Task.FromResult(agent.Reports.Where(r => r.Stage == UpdateStage.Rejected).ToList()),
            rejections => rejections.Count >= count, $"rejection #{count}", TimeSpan.FromSeconds(30))
            .ContinueWith(t => t.Result[count - 1], TaskScheduler.Default);

    /// <summary>
    /// The genuine <paramref name="signedV2"/> with its payload edited to point at v1's artifact under a higher release;
    /// the signature stays v2's, so it no longer matches what it claims to sign.
    /// </summary>
    private static byte[] Tamper(byte[] signedV2, byte[] signedV1)
    {
        var v2 = ProtocolJson.Deserialize<SignedManifest>(signedV2);
        var v1Payload = JsonNode.Parse(ProtocolJson.Deserialize<SignedManifest>(signedV1).Payload)!;
        var payload = JsonNode.Parse(v2.Payload)!;
        payload["artifact"] = v1Payload["artifact"]!.DeepClone();
        payload["delta"] = null;
        payload["release"] = payload["release"]!.GetValue<long>() + 10;
        return ProtocolJson.Serialize(v2 with { Payload = payload.ToJsonString() });
    }
}
