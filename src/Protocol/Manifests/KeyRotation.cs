namespace FleetQuant.Protocol.Manifests;

/// <summary>
/// A statement by the manifest key a device trusts that names the key to trust next (TUF-style root rotation):
/// signed by the old key, numbered so an older statement can never undo a newer one, and bounded in time.
/// </summary>
public sealed record KeyRotation
{
    /// <summary>Strictly increasing over the server's rotations; a device applies only versions above its last one.</summary>
    public required long Version { get; init; }

    /// <summary>The next manifest key's public half, SubjectPublicKeyInfo PEM.</summary>
    public required string NewKeyPem { get; init; }

    /// <summary><see cref="ManifestKeys.KeyId"/> of <see cref="NewKeyPem"/>; the device recomputes and compares it.</summary>
    public required string NewKeyId { get; init; }

    public required DateTimeOffset IssuedAt { get; init; }

    /// <summary>A device refuses the statement after this instant (against a frozen or replayed chain).</summary>
    public required DateTimeOffset ExpiresAt { get; init; }

    /// <summary>Key ids never to trust again; usually the signing key itself, plus any key known to have leaked.</summary>
    public IReadOnlyList<string> RevokedKeyIds { get; init; } = [];
}

/// <summary>A <see cref="KeyRotation"/> as it travels: the exact signed JSON text, its signature and the signer's id.</summary>
public sealed record SignedKeyRotation
{
    /// <summary>UTF-8 JSON of the <see cref="KeyRotation"/>, signed as text like a manifest payload.</summary>
    public required string Payload { get; init; }

    /// <summary>ECDSA P-256 / SHA-256 over the UTF-8 payload, IEEE P1363, base64, by the key being replaced.</summary>
    public required string Signature { get; init; }

    public required string KeyId { get; init; }
}

/// <summary>
/// The manifest key a device trusts now: the provisioned one until a rotation replaces it. Persisted by the agent
/// with its other state, so a reboot keeps the rotated key and the revocations.
/// </summary>
public sealed record ManifestTrust
{
    /// <summary>The trusted key's public half, SubjectPublicKeyInfo PEM.</summary>
    public required string KeyPem { get; init; }

    public required string KeyId { get; init; }

    /// <summary>Version of the last rotation applied; 0 for the provisioned key.</summary>
    public long RotationVersion { get; init; }

    public IReadOnlyList<string> RevokedKeyIds { get; init; } = [];

    public static ManifestTrust Provisioned(string publicKeyPem)
    {
        using var key = ManifestKeys.ImportPem(publicKeyPem);
        return new ManifestTrust { KeyPem = key.ExportSubjectPublicKeyInfoPem(), KeyId = ManifestKeys.KeyId(key) };
    }
}
