using System.Security.Cryptography;
using FleetQuant.Protocol.Manifests;
using FleetQuant.Protocol.Messages;
using Microsoft.Extensions.Options;

namespace FleetQuant.Grains.Manifests;

/// <summary>
/// The server's manifest signing key: from configuration, else from the PEM file, else generated and saved there
/// (owner-only permissions) so it survives restarts — devices keep the public key they got at provisioning. After
/// a rotation the key is a newer one, and the chain of rotation statements in the rotations file (each signed by the
/// key before) travels with every manifest so devices provisioned with any earlier key come to trust it.
/// </summary>
public sealed class ManifestKey : IDisposable
{
    private readonly ManifestOptions _settings;
    private readonly Lock _gate = new();
    private Loaded? _loaded;

    public ManifestKey(IOptions<ManifestOptions> options)
    {
        // Loaded on first use, so hosts that never sign (grain tests without a Gateway) never create a key file.
        _settings = options.Value;
    }

    public ManifestSigner Signer => Current.Signer;

    public string PublicKeyPem => Current.PublicKeyPem;

    /// <summary>The rotation statements from the first key to the current one, oldest first.</summary>
    public IReadOnlyList<SignedKeyRotation> Rotations => Current.Rotations;

    /// <summary>Signs a manifest with the current key and attaches the rotation chain.</summary>
    public SignedManifest Sign(UpdateManifest manifest)
    {
        var current = Current;
        return current.Signer.Sign(manifest, current.Rotations);
    }

    /// <summary>
    /// Replaces the signing key with <paramref name="next"/> (a generated one when null): signs the rotation with the
    /// current key, saves the new key and the longer chain, and signs with the new key from then on. Needs the key
    /// file (<see cref="ManifestOptions.KeyPath"/>); a key given inline is rotated offline (docs/OPERATIONS.md).
    /// </summary>
    public SignedKeyRotation Rotate(DateTimeOffset now, ECDsa? next = null)
    {
        lock (_gate)
        {
            if (_settings.PrivateKeyPem is { Length: > 0 })
            {
                throw new InvalidOperationException($"{ManifestOptions.Section}:PrivateKeyPem is set inline; rotate offline and deploy the new key and rotations file");
            }
            var current = Current;
            next ??= ManifestKeys.Generate();
            RequireP256(next);
            var nextId = ManifestKeys.KeyId(next);
            if (nextId == current.Signer.KeyId || current.Rotations.Any(r => Statement(r).RevokedKeyIds.Contains(nextId)))
            {
                throw new ArgumentException($"key {nextId} was used before and is revoked; rotate to a new key", nameof(next));
            }
            var version = current.Rotations.Count == 0 ? 1 : Version(current.Rotations[^1]) + 1;
            var rotation = current.Signer.Rotate(next, version, now, _settings.RotationLifetime);
            var chain = current.Rotations.Append(rotation).ToArray();

            // Order for a crash at any point: the next key first (as .next), then the chain, then the key swap. On
            // load, a chain that ends in the .next key finishes the swap.
            var keyPath = Path.GetFullPath(_settings.KeyPath);
            WriteOwnerOnly(keyPath + ".next", next.ExportPkcs8PrivateKeyPem());
            WriteOwnerOnly(RotationsPath, ProtocolJson.SerializeToString(chain));
            File.Copy(keyPath, $"{keyPath}.{current.Signer.KeyId}.retired", overwrite: true);
            File.Move(keyPath + ".next", keyPath, overwrite: true);

            var old = current.Key;
            _loaded = new Loaded(next, new ManifestSigner(next), next.ExportSubjectPublicKeyInfoPem(), chain);
            old.Dispose();
            return rotation;
        }
    }

    public void Dispose()
    {
        _loaded?.Key.Dispose();
    }

    private string RotationsPath => Path.GetFullPath(_settings.RotationsPath
        ?? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(_settings.KeyPath))!, "manifest-rotations.json"));

    private Loaded Current
    {
        get
        {
            lock (_gate)
            {
                return _loaded ??= Load();
            }
        }
    }

    private Loaded Load()
    {
        var chain = File.Exists(RotationsPath)
            ? ProtocolJson.Deserialize<SignedKeyRotation[]>(File.ReadAllBytes(RotationsPath))
            : [];
        ECDsa key;
        if (_settings.PrivateKeyPem is { Length: > 0 } pem)
        {
            key = ManifestKeys.ImportPem(pem);
        }
        else
        {
            var keyPath = Path.GetFullPath(_settings.KeyPath);
            if (chain.Length > 0 && File.Exists(keyPath + ".next"))
            {
                using var pending = ManifestKeys.ImportPem(File.ReadAllText(keyPath + ".next"));
                if (ManifestKeys.KeyId(pending) == NewKeyId(chain[^1]))
                {
                    // A rotation stopped after saving the chain: finish it.
                    File.Move(keyPath + ".next", keyPath, overwrite: true);
                }
            }
            key = LoadOrCreate(keyPath);
        }
        RequireP256(key);
        var keyId = ManifestKeys.KeyId(key);
        if (chain.Length > 0 && NewKeyId(chain[^1]) != keyId)
        {
            throw new CryptographicException($"the manifest rotations file {RotationsPath} ends in key {NewKeyId(chain[^1])}, but the signing key is {keyId}; deploy the key and the rotations file together");
        }
        return new Loaded(key, new ManifestSigner(key), key.ExportSubjectPublicKeyInfoPem(), chain);
    }

    private static long Version(SignedKeyRotation rotation) => Statement(rotation).Version;

    private static string NewKeyId(SignedKeyRotation rotation) => Statement(rotation).NewKeyId;

    private static KeyRotation Statement(SignedKeyRotation rotation) =>
        ProtocolJson.Deserialize<KeyRotation>(System.Text.Encoding.UTF8.GetBytes(rotation.Payload));

    private static void RequireP256(ECDsa key)
    {
        if (key.KeySize != 256)
        {
            throw new CryptographicException($"the manifest key must be ECDSA P-256, got a {key.KeySize}-bit key");
        }
    }

    private static ECDsa LoadOrCreate(string full)
    {
        if (File.Exists(full))
        {
            return ManifestKeys.ImportPem(File.ReadAllText(full));
        }
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var key = ManifestKeys.Generate();
        var temp = $"{full}.{Guid.NewGuid():N}.tmp";
        WriteNew(temp, key.ExportPkcs8PrivateKeyPem());
        try
        {
            File.Move(temp, full, overwrite: false);
        }
        catch (IOException) when (File.Exists(full))
        {
            // Another process (or silo in the same test run) created the key first: use that one.
            File.Delete(temp);
            key.Dispose();
            return ManifestKeys.ImportPem(File.ReadAllText(full));
        }
        return key;
    }

    private static void WriteOwnerOnly(string path, string text)
    {
        var temp = $"{path}.{Guid.NewGuid():N}.tmp";
        WriteNew(temp, text);
        File.Move(temp, path, overwrite: true);
    }

    private static void WriteNew(string path, string text)
    {
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        using var stream = new FileStream(path, options);
        using (var writer = new StreamWriter(stream, System.Text.Encoding.ASCII, leaveOpen: true))
        {
            writer.Write(text);
        }
        stream.Flush(flushToDisk: true);
    }

    private sealed record Loaded(ECDsa Key, ManifestSigner Signer, string PublicKeyPem, IReadOnlyList<SignedKeyRotation> Rotations);
}
