using System.Security.Cryptography;
using System.Text;
using FleetQuant.Protocol.Messages;

namespace FleetQuant.Protocol.Manifests;

/// <summary>Signs manifests with the server's ECDSA P-256 key.</summary>
public sealed class ManifestSigner(ECDsa privateKey)
{
    public string KeyId { get; } = ManifestKeys.KeyId(privateKey);

    /// <param name="rotations">The chain that hands trust from the provisioned key to this one, oldest first.</param>
    public SignedManifest Sign(UpdateManifest manifest, IReadOnlyList<SignedKeyRotation>? rotations = null)
    {
        var payload = ProtocolJson.SerializeToString(manifest);
        return new SignedManifest { Payload = payload, Signature = SignText(payload), KeyId = KeyId, Rotations = rotations is { Count: > 0 } ? rotations : null };
    }

    /// <summary>Signs a statement that devices trusting this key should trust <see cref="KeyRotation.NewKeyPem"/> next.</summary>
    public SignedKeyRotation Sign(KeyRotation rotation)
    {
        var payload = ProtocolJson.SerializeToString(rotation);
        return new SignedKeyRotation { Payload = payload, Signature = SignText(payload), KeyId = KeyId };
    }

    /// <summary>
    /// The rotation from this key to <paramref name="next"/>, revoking this key (and <paramref name="alsoRevoked"/>).
    /// </summary>
    public SignedKeyRotation Rotate(ECDsa next, long version, DateTimeOffset issuedAt, TimeSpan lifetime, IEnumerable<string>? alsoRevoked = null) =>
        Sign(new KeyRotation
        {
            Version = version,
            NewKeyPem = next.ExportSubjectPublicKeyInfoPem(),
            NewKeyId = ManifestKeys.KeyId(next),
            IssuedAt = issuedAt,
            ExpiresAt = issuedAt + lifetime,
            RevokedKeyIds = new[] { KeyId }.Concat(alsoRevoked ?? []).Distinct().ToArray(),
        });

    private string SignText(string payload) =>
        Convert.ToBase64String(privateKey.SignData(Encoding.UTF8.GetBytes(payload), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation));
}

/// <summary>Key helpers: PEM import/export and a short id so devices can tell which key signed.</summary>
public static class ManifestKeys
{
    public static ECDsa Generate() => ECDsa.Create(ECCurve.NamedCurves.nistP256);

    public static string KeyId(ECDsa key) =>
        Convert.ToHexStringLower(SHA256.HashData(key.ExportSubjectPublicKeyInfo()))[..16];

    public static ECDsa ImportPem(string pem)
    {
        var key = ECDsa.Create();
        key.ImportFromPem(pem);
        return key;
    }
}
