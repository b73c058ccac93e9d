using System.Security.Cryptography;
using System.Text;
using FleetQuant.Protocol.Messages;

namespace FleetQuant.Protocol.Manifests;

public enum ManifestRejection
{
    Malformed,
    BadSignature,
    WrongDevice,
    Expired,
    Replayed,
}

/// <summary>The outcome of checking a manifest: the manifest when accepted, else why not.</summary>
public sealed record ManifestVerification(UpdateManifest? Manifest, ManifestRejection? Rejection, string Message)
{
    public bool Accepted => Manifest is not null;
}

/// <summary>
/// A device's check of a desired-state manifest against the server public key it got at provisioning,
/// its own id, the clock, and the highest release it accepted before (anti-rollback).
/// </summary>
public sealed class ManifestVerifier(ECDsa serverPublicKey, TimeProvider clock)
{
    public ManifestVerification Verify(ReadOnlySpan<byte> payload, string deviceId, long lastAcceptedRelease)
    {
        SignedManifest signed;
        try
        {
            signed = ProtocolJson.Deserialize<SignedManifest>(payload);
        }
        catch (ProtocolException ex)
        {
            return Reject(ManifestRejection.Malformed, ex.Message);
        }
        // JSON null satisfies `required`, so a hostile envelope can carry null fields.
        if (signed.Payload is null || signed.Signature is null || signed.KeyId is null)
        {
            return Reject(ManifestRejection.Malformed, "manifest envelope lacks its payload, signature or key id");
        }

        if (!IsSignedByServer(signed))
        {
            return Reject(ManifestRejection.BadSignature, "manifest signature does not verify with the provisioned server key");
        }

        UpdateManifest manifest;
        try
        {
            manifest = ProtocolJson.Deserialize<UpdateManifest>(Encoding.UTF8.GetBytes(signed.Payload));
        }
        catch (ProtocolException ex)
        {
            return Reject(ManifestRejection.Malformed, ex.Message);
        }
        if (manifest.ModelId is null || manifest.RecipeId is null || manifest.Artifact?.Sha256 is null || manifest.Artifact.ChunkHashes is null)
        {
            return Reject(ManifestRejection.Malformed, "manifest lacks its model, recipe or artifact");
        }

        if (manifest.DeviceId != deviceId)
        {
            return Reject(ManifestRejection.WrongDevice, $"manifest is for device '{manifest.DeviceId}', not '{deviceId}'");
        }
        var now = clock.GetUtcNow();
        if (manifest.ExpiresAt <= now)
        {
            return Reject(ManifestRejection.Expired, $"manifest expired at {manifest.ExpiresAt:O}");
        }
        if (manifest.Release <= lastAcceptedRelease)
        {
            return Reject(ManifestRejection.Replayed, $"manifest release {manifest.Release} is not above accepted release {lastAcceptedRelease}");
        }
        return new ManifestVerification(manifest, null, "accepted");
    }

    private bool IsSignedByServer(SignedManifest signed)
    {
        Span<byte> signature = stackalloc byte[128];
        if (!Convert.TryFromBase64String(signed.Signature, signature, out var length))
        {
            return false;
        }
        return serverPublicKey.VerifyData(Encoding.UTF8.GetBytes(signed.Payload), signature[..length], HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
    }

    private static ManifestVerification Reject(ManifestRejection rejection, string message) => new(null, rejection, message);
}
