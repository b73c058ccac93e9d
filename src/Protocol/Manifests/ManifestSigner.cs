using System.Security.Cryptography;
using System.Text;
using FleetQuant.Protocol.Messages;

namespace FleetQuant.Protocol.Manifests;

/// <summary>Signs manifests with the server's ECDSA P-256 key.</summary>
public sealed class ManifestSigner(ECDsa privateKey)
{
    public string KeyId { get; } = ManifestKeys.KeyId(privateKey);

    public SignedManifest Sign(UpdateManifest manifest)
    {
        var payload = ProtocolJson.SerializeToString(manifest);
        var signature = privateKey.SignData(Encoding.UTF8.GetBytes(payload), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        return new SignedManifest { Payload = payload, Signature = Convert.ToBase64String(signature), KeyId = KeyId };
    }
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
