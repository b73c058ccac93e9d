using System.CommandLine;
using FleetQuant.Grains.Manifests;
using Microsoft.Extensions.Options;

namespace FleetQuant.Cli.Commands;

/// <summary>
/// <c>fleetquant manifest-key rotate --key manifest-key.pem</c>: replaces the manifest signing key offline and
/// extends the rotation chain, for deployments whose silos get the key from a secret (docs/OPERATIONS.md).
/// </summary>
public static class ManifestKeyCommand
{
    public static Command Create()
    {
        var key = new Option<string>("--key") { Description = "The current signing key (PKCS#8 PEM); replaced by the new key", Required = true };
        var rotations = new Option<string?>("--rotations") { Description = "The rotation chain (JSON); default manifest-rotations.json next to --key" };
        var lifetime = new Option<int>("--lifetime-days") { Description = "How long devices accept the new rotation statement", DefaultValueFactory = _ => 365 };
        var rotate = new Command("rotate", "Sign a statement handing trust to a new key with the current key; the old key is revoked") { key, rotations, lifetime };
        rotate.SetAction(parse =>
        {
            var keyPath = parse.GetValue(key)!;
            if (!File.Exists(keyPath))
            {
                throw new FileNotFoundException($"no manifest key at {keyPath}");
            }
            var days = parse.GetValue(lifetime);
            if (days <= 0)
            {
                throw new ArgumentException("--lifetime-days must be positive");
            }
            using var manifestKey = new ManifestKey(Options.Create(new ManifestOptions
            {
                KeyPath = keyPath,
                RotationsPath = parse.GetValue(rotations),
                RotationLifetime = TimeSpan.FromDays(days),
            }));
            var oldId = manifestKey.Signer.KeyId;
            manifestKey.Rotate(DateTimeOffset.UtcNow);
            Console.Out.WriteLine($"rotated manifest key {oldId} → {manifestKey.Signer.KeyId} (rotation {manifestKey.Rotations.Count}); old key kept as {keyPath}.{oldId}.retired");
            return 0;
        });
        return new Command("manifest-key", "Manage the manifest signing key") { rotate };
    }
}
