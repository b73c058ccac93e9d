using FleetQuant.Grains.Devices;
using Orleans.Concurrency;

namespace FleetQuant.Grains.Manifests;

/// <summary>
/// Turns a device's desired state into a signed manifest with the server key (stateless worker, key 0). The signing
/// key never leaves the silo; Gateways only receive signed manifests and the public key.
/// </summary>
[Alias("fq.IManifestGrain")]
public interface IManifestGrain : IGrainWithIntegerKey
{
    /// <summary>The signed form of <paramref name="desired"/> for <paramref name="deviceId"/>.</summary>
    [Alias("Sign")]
    Task<SignedDesiredState> Sign(string deviceId, DesiredState desired);

    /// <summary>Signs <paramref name="desired"/> and hands it to a live Gateway to publish (no-op when none is registered).</summary>
    [OneWay]
    [Alias("Publish")]
    Task Publish(string deviceId, DesiredState desired);

    /// <summary>The server public key (SubjectPublicKeyInfo PEM) devices verify manifests with.</summary>
    [Alias("GetPublicKeyPem")]
    Task<string> GetPublicKeyPem();
}
