using System.Security.Cryptography;
using System.Text;
using FleetQuant.Protocol.Messages;
using FleetQuant.Protocol.Transfer;

namespace FleetQuant.Protocol.Manifests;

public enum ManifestRejection
{
    Malformed,
    BadSignature,
    WrongDevice,
    Expired,
    Replayed,
    /// <summary>The manifest, a transfer it names or its rotation chain is over the device's limits.</summary>
    TooLarge,
    /// <summary>A key rotation in the chain does not verify, is expired or would go back to an older key.</summary>
    BadRotation,
    /// <summary>The manifest names a key that a rotation revoked.</summary>
    RevokedKey,
    /// <summary>The manifest was planned for another CPU architecture.</summary>
    WrongHardware,
}

/// <summary>
/// The outcome of checking a manifest: the manifest when accepted, else why not; and the trusted key after the
/// rotations it carried (persist it when it differs from the one passed in, also when the manifest is refused).
/// </summary>
public sealed record ManifestVerification(UpdateManifest? Manifest, ManifestRejection? Rejection, string Message)
{
    public bool Accepted => Manifest is not null;

    public ManifestTrust? Trust { get; init; }
}

/// <summary>What a device is willing to download and parse; checked before anything is allocated for it.</summary>
public sealed record ManifestLimits
{
    /// <summary>The signed desired-state message, rotation chain included.</summary>
    public int MaxManifestBytes { get; init; } = ProtocolJson.MaxMessageBytes;

    /// <summary>The artifact (and any delta); the agent holds one in memory while it rebuilds and decodes it.</summary>
    public long MaxArtifactBytes { get; init; } = 1L << 30;

    /// <summary>Rotations carried with one manifest.</summary>
    public int MaxRotations { get; init; } = 32;
}

/// <summary>
/// A device's check of a desired-state manifest against the manifest key it trusts (the one it got at provisioning,
/// or the latest one a chain of signed rotations handed it), its own id, the clock, and the highest release it
/// accepted before (anti-rollback).
/// </summary>
public sealed class ManifestVerifier
{
    private readonly ManifestTrust _provisioned;
    private readonly TimeProvider _clock;

    public ManifestVerifier(ECDsa provisionedKey, TimeProvider clock)
        : this(new ManifestTrust { KeyPem = provisionedKey.ExportSubjectPublicKeyInfoPem(), KeyId = ManifestKeys.KeyId(provisionedKey) }, clock)
    {
    }

    public ManifestVerifier(ManifestTrust provisioned, TimeProvider clock)
    {
        _provisioned = provisioned;
        _clock = clock;
    }

    public ManifestLimits Limits { get; init; } = new();

    /// <summary>This device's CPU architecture, as its hello reports it; null skips the hardware check.</summary>
    public string? Architecture { get; init; }

    /// <param name="trust">The key the device trusts now; null means the provisioned key (no rotation seen yet).</param>
    public ManifestVerification Verify(ReadOnlySpan<byte> payload, string deviceId, long lastAcceptedRelease, ManifestTrust? trust = null)
    {
        trust ??= _provisioned;
        if (payload.Length > Limits.MaxManifestBytes)
        {
            return Reject(ManifestRejection.TooLarge, $"manifest message is {payload.Length} bytes, over the {Limits.MaxManifestBytes}-byte limit", trust);
        }
        SignedManifest signed;
        try
        {
            signed = ProtocolJson.Deserialize<SignedManifest>(payload);
        }
        catch (ProtocolException ex)
        {
            return Reject(ManifestRejection.Malformed, ex.Message, trust);
        }
        // JSON null satisfies `required`, so a hostile envelope can carry null fields.
        if (signed.Payload is null || signed.Signature is null || signed.KeyId is null)
        {
            return Reject(ManifestRejection.Malformed, "manifest envelope lacks its payload, signature or key id", trust);
        }

        if (signed.Rotations is { Count: > 0 } rotations)
        {
            if (rotations.Count > Limits.MaxRotations)
            {
                return Reject(ManifestRejection.TooLarge, $"{rotations.Count} key rotations, over the limit of {Limits.MaxRotations}", trust);
            }
            if (rotations.Any(r => r?.Payload is null || r.Signature is null || r.KeyId is null))
            {
                return Reject(ManifestRejection.Malformed, "a key rotation lacks its payload, signature or key id", trust);
            }
            // A device provisioned after some rotations trusts a key the chain introduces part-way: the rotations up
            // to that one are history signed by keys it never knew, so it starts after them. Once it has applied a
            // rotation, versions alone decide.
            var start = 0;
            for (var i = 0; trust.RotationVersion == 0 && i < rotations.Count; i++)
            {
                if (NamesKey(rotations[i], trust.KeyId))
                {
                    start = i + 1;
                    break;
                }
            }
            foreach (var rotation in rotations.Skip(start))
            {
                var step = ApplyRotation(rotation, trust);
                if (step.Rejection is { } refused)
                {
                    // Rotations applied before the bad one stay applied: each was signed by the key trusted at its turn.
                    return Reject(ManifestRejection.BadRotation, refused, trust);
                }
                trust = step.Trust ?? trust;
            }
        }

        if (trust.RevokedKeyIds.Contains(signed.KeyId))
        {
            return Reject(ManifestRejection.RevokedKey, $"manifest is signed by key {signed.KeyId}, which a key rotation revoked", trust);
        }
        if (!VerifySignature(trust.KeyPem, signed.Payload, signed.Signature))
        {
            return Reject(ManifestRejection.BadSignature, $"manifest signature does not verify with the trusted server key {trust.KeyId}", trust);
        }

        UpdateManifest manifest;
        try
        {
            manifest = ProtocolJson.Deserialize<UpdateManifest>(Encoding.UTF8.GetBytes(signed.Payload));
        }
        catch (ProtocolException ex)
        {
            return Reject(ManifestRejection.Malformed, ex.Message, trust);
        }
        if (manifest.ModelId is null || manifest.RecipeId is null || manifest.Artifact?.Sha256 is null || manifest.Artifact.ChunkHashes is null)
        {
            return Reject(ManifestRejection.Malformed, "manifest lacks its model, recipe or artifact", trust);
        }

        if (manifest.DeviceId != deviceId)
        {
            return Reject(ManifestRejection.WrongDevice, $"manifest is for device '{manifest.DeviceId}', not '{deviceId}'", trust);
        }
        if (Architecture is { } own && manifest.TargetArch is { } target && target != DeviceProfile.UnknownArch
            && !string.Equals(target, own, StringComparison.OrdinalIgnoreCase))
        {
            return Reject(ManifestRejection.WrongHardware, $"manifest is for {target} hardware, this device is {own}", trust);
        }
        var now = _clock.GetUtcNow();
        if (manifest.ExpiresAt <= now)
        {
            return Reject(ManifestRejection.Expired, $"manifest expired at {manifest.ExpiresAt:O}", trust);
        }
        if (manifest.Release <= lastAcceptedRelease)
        {
            return Reject(ManifestRejection.Replayed, $"manifest release {manifest.Release} is not above accepted release {lastAcceptedRelease}", trust);
        }
        var tooLarge = CheckTransfer("artifact", manifest.Artifact) ?? (manifest.Delta is { } delta ? CheckTransfer("delta", delta.Object) : null);
        if (tooLarge is not null)
        {
            return Reject(ManifestRejection.TooLarge, tooLarge, trust);
        }
        return new ManifestVerification(manifest, null, "accepted") { Trust = trust };
    }

    /// <summary>
    /// Applies one rotation to <paramref name="trust"/>: the new trust, or null when the rotation is one the device
    /// already applied (its version is not above the trusted one), or a reason to refuse it.
    /// </summary>
    public RotationStep ApplyRotation(SignedKeyRotation signed, ManifestTrust trust)
    {
        KeyRotation rotation;
        try
        {
            rotation = ProtocolJson.Deserialize<KeyRotation>(Encoding.UTF8.GetBytes(signed.Payload));
        }
        catch (ProtocolException ex)
        {
            return RotationStep.Refused($"key rotation is malformed: {ex.Message}");
        }
        if (rotation.Version <= trust.RotationVersion)
        {
            // Already applied (the chain is re-sent with every manifest) or older than what we trust: never goes back.
            return RotationStep.Stale;
        }
        if (!VerifySignature(trust.KeyPem, signed.Payload, signed.Signature))
        {
            return RotationStep.Refused($"key rotation {rotation.Version} is not signed by the trusted key {trust.KeyId}");
        }
        if (rotation.ExpiresAt <= _clock.GetUtcNow())
        {
            return RotationStep.Refused($"key rotation {rotation.Version} expired at {rotation.ExpiresAt:O}");
        }
        string newKeyPem, newKeyId;
        try
        {
            using var key = ManifestKeys.ImportPem(rotation.NewKeyPem);
            if (key.KeySize != 256)
            {
                return RotationStep.Refused($"key rotation {rotation.Version} names a {key.KeySize}-bit key, not P-256");
            }
            newKeyPem = key.ExportSubjectPublicKeyInfoPem();
            newKeyId = ManifestKeys.KeyId(key);
        }
        catch (Exception ex) when (ex is CryptographicException or ArgumentException)
        {
            return RotationStep.Refused($"key rotation {rotation.Version} carries no usable public key: {ex.Message}");
        }
        if (newKeyId != rotation.NewKeyId)
        {
            return RotationStep.Refused($"key rotation {rotation.Version} names key id {rotation.NewKeyId} but its key has id {newKeyId}");
        }
        var revoked = trust.RevokedKeyIds.Union(rotation.RevokedKeyIds).ToArray();
        if (revoked.Contains(newKeyId))
        {
            return RotationStep.Refused($"key rotation {rotation.Version} hands trust to the revoked key {newKeyId}");
        }
        return new RotationStep(new ManifestTrust { KeyPem = newKeyPem, KeyId = newKeyId, RotationVersion = rotation.Version, RevokedKeyIds = revoked }, null);
    }

    private static bool NamesKey(SignedKeyRotation signed, string keyId)
    {
        try
        {
            return ProtocolJson.Deserialize<KeyRotation>(Encoding.UTF8.GetBytes(signed.Payload)).NewKeyId == keyId;
        }
        catch (ProtocolException)
        {
            return false;
        }
    }

    private string? CheckTransfer(string what, TransferObject transfer)
    {
        if (transfer.Size < 0 || transfer.Size > Limits.MaxArtifactBytes)
        {
            return $"{what} of {transfer.Size} bytes is over the {Limits.MaxArtifactBytes}-byte limit";
        }
        if (transfer.ChunkSize is <= 0 or > ChunkTable.MaxChunkSize)
        {
            return $"{what} chunk size {transfer.ChunkSize} is outside 1..{ChunkTable.MaxChunkSize}";
        }
        // The chunk table must describe exactly the chunks the size makes, so nothing sized from it can run away.
        var expectedHashes = (long)ChunkTable.ChunkCount(transfer.Size, transfer.ChunkSize) * SHA256.HashSizeInBytes;
        var expectedBase64 = (expectedHashes + 2) / 3 * 4;
        if (transfer.ChunkHashes.Length != expectedBase64)
        {
            return $"{what} chunk table has {transfer.ChunkHashes.Length} base64 characters; {transfer.Size} bytes in {transfer.ChunkSize}-byte chunks need {expectedBase64}";
        }
        return null;
    }

    private static bool VerifySignature(string keyPem, string payload, string signatureBase64)
    {
        Span<byte> signature = stackalloc byte[128];
        if (!Convert.TryFromBase64String(signatureBase64, signature, out var length))
        {
            return false;
        }
        using var key = ManifestKeys.ImportPem(keyPem);
        return key.VerifyData(Encoding.UTF8.GetBytes(payload), signature[..length], HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
    }

    private static ManifestVerification Reject(ManifestRejection rejection, string message, ManifestTrust trust) => new(null, rejection, message) { Trust = trust };
}

/// <summary>One rotation's effect: the new trust, nothing (already applied), or why it is refused.</summary>
public sealed record RotationStep(ManifestTrust? Trust, string? Rejection)
{
    public static RotationStep Stale { get; } = new(null, null);

    public static RotationStep Refused(string reason) => new(null, reason);
}
