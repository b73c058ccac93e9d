using FleetQuant.Compression.Evaluation;
using FleetQuant.Grains.Devices;
using FleetQuant.Grains.Hosting;
using FleetQuant.Protocol.Manifests;
using FleetQuant.Protocol.Messages;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;
using ProtocolDelta = FleetQuant.Protocol.Manifests.DeltaTransfer;

namespace FleetQuant.Grains.Gateway;

/// <summary>Builds and signs <see cref="UpdateManifest"/>s from desired states, and pushes them to a live Gateway.</summary>
[StatelessWorker]
public sealed class ManifestGrain(
    ManifestKey key,
    TransferObjectIndex transfers,
    SmokeTestIndex smokeTests,
    InputHintsCache inputHints,
    FleetClock clock,
    IOptions<ManifestOptions> options,
    ILogger<ManifestGrain> logger) : Grain, IManifestGrain
{
    private readonly ManifestOptions _options = options.Value;

    public async Task<SignedDesiredState> Sign(string deviceId, DesiredState desired)
    {
        if (!int.TryParse(desired.Version, out var version))
        {
            throw new ArgumentException($"model version '{desired.Version}' of {desired.ModelId} is not an integer; manifests carry integer versions");
        }
        var artifact = await transfers.DescribeAsync(desired.ArtifactHash, _options.ChunkSize);
        ProtocolDelta? delta = null;
        if (desired.Delta is { } d)
        {
            delta = new ProtocolDelta { BaseSha256 = d.BaseHash, Object = await transfers.DescribeAsync(d.DeltaHash, _options.ChunkSize) };
        }
        var hints = await inputHints.GetAsync(desired.ModelId, desired.Version);
        var manifest = new UpdateManifest
        {
            DeviceId = deviceId,
            ModelId = desired.ModelId,
            ModelVersion = version,
            RecipeId = desired.RecipeId,
            Release = desired.Release,
            IssuedAt = desired.IssuedAt,
            // Expiry counts from signing: a device reconnecting late still gets a valid manifest for the same release.
            ExpiresAt = clock.UtcNow + _options.Lifetime,
            Artifact = artifact,
            Delta = delta,
            SmokeTest = await SmokeTestAsync(deviceId, desired.ArtifactHash, hints),
            InputHints = hints.ToMessage(),
            TargetArch = desired.TargetArch,
        };
        var signed = key.Sign(manifest);
        return new SignedDesiredState(deviceId, desired.Release, signed.Payload, signed.Signature, signed.KeyId)
        {
            Rotations = signed.Rotations is { } chain ? ProtocolJson.SerializeToString(chain) : null,
        };
    }

    public async Task Publish(string deviceId, DesiredState desired)
    {
        try
        {
            await PublishCoreAsync(deviceId, desired);
        }
        catch (Exception ex)
        {
            // One-way call: nobody awaits it, so say here why the device will only converge on its next hello.
            logger.LogWarning("could not push the desired state (release {Release}) of {Device}: {Reason}", desired.Release, deviceId, ex.Message);
        }
    }

    private async Task PublishCoreAsync(string deviceId, DesiredState desired)
    {
        var directory = GrainFactory.GetGrain<IGatewayDirectoryGrain>(GatewayDirectory.ShardOf(deviceId));
        if (!await directory.HasGateways())
        {
            return;
        }
        if (!await directory.Deliver(await Sign(deviceId, desired)))
        {
            logger.LogDebug("no live Gateway for {Device}; it converges on its next hello", deviceId);
        }
    }

    private async Task<SmokeTest?> SmokeTestAsync(string deviceId, string artifactHash, InputHints hints)
    {
        try
        {
            return await smokeTests.GetAsync(artifactHash, hints);
        }
        catch (Exception ex)
        {
            // The smoke test is a device-side safety net; without one the device still verifies size and hashes.
            logger.LogWarning("no smoke test for artifact {Artifact} (device {Device}): {Reason}", artifactHash, deviceId, ex.Message);
            return null;
        }
    }

    public Task<string> GetPublicKeyPem() => Task.FromResult(key.PublicKeyPem);
}
