using System.Security.Cryptography;
using FleetQuant.Protocol.Manifests;
using Microsoft.Extensions.Options;

namespace FleetQuant.Grains.Gateway;

/// <summary>
/// The server's manifest signing key: from configuration, else from the PEM file, else generated and saved there
/// (owner-only permissions) so it survives restarts — devices keep the public key they got at provisioning.
/// </summary>
public sealed class ManifestKey : IDisposable
{
    private readonly Lazy<(ECDsa Key, ManifestSigner Signer, string PublicKeyPem)> _loaded;

    public ManifestKey(IOptions<ManifestOptions> options)
    {
        var settings = options.Value;
        // Loaded on first use, so hosts that never sign (grain tests without a Gateway) never create a key file.
        _loaded = new Lazy<(ECDsa, ManifestSigner, string)>(() =>
        {
            var key = settings.PrivateKeyPem is { Length: > 0 } pem ? ManifestKeys.ImportPem(pem) : LoadOrCreate(settings.KeyPath);
            if (key.KeySize != 256)
            {
                throw new CryptographicException($"the manifest key must be ECDSA P-256, got a {key.KeySize}-bit key");
            }
            return (key, new ManifestSigner(key), key.ExportSubjectPublicKeyInfoPem());
        });
    }

    public ManifestSigner Signer => _loaded.Value.Signer;

    public string PublicKeyPem => _loaded.Value.PublicKeyPem;

    public void Dispose()
    {
        if (_loaded.IsValueCreated)
        {
            _loaded.Value.Key.Dispose();
        }
    }

    private static ECDsa LoadOrCreate(string path)
    {
        var full = Path.GetFullPath(path);
        if (File.Exists(full))
        {
            return ManifestKeys.ImportPem(File.ReadAllText(full));
        }
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var key = ManifestKeys.Generate();
        var temp = $"{full}.{Guid.NewGuid():N}.tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        using (var writer = new StreamWriter(temp, System.Text.Encoding.ASCII, options))
        {
            writer.Write(key.ExportPkcs8PrivateKeyPem());
        }
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
}
