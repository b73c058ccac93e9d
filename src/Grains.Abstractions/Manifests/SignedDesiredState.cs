namespace FleetQuant.Grains.Manifests;

/// <summary>
/// A device's desired state as a signed manifest, ready to publish: the exact signed JSON text, the signature
/// (ECDSA P-256 / SHA-256, IEEE P1363, base64) and the signing key's id. The Gateway forwards it unchanged.
/// </summary>
[GenerateSerializer, Immutable, Alias("fq.SignedDesiredState")]
public sealed record SignedDesiredState(
    [property: Id(0)] string DeviceId,
    [property: Id(1)] long Release,
    [property: Id(2)] string Payload,
    [property: Id(3)] string Signature,
    [property: Id(4)] string KeyId)
{
    /// <summary>The key rotation chain as JSON (an array of signed rotations), or null before the first rotation.</summary>
    [Id(5)]
    public string? Rotations { get; init; }
}
