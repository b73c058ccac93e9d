using System.CommandLine;
using FleetQuant.Grains.Manifests;
using Microsoft.Extensions.Options;

namespace FleetQuant.Silo.Admin;

/// <summary>
/// <c>FleetQuant.Silo manifest-key rotate --key manifest-key.pem</c>: replaces the manifest signing key offline and
/// extends the rotation chain, for deployments whose silos get the key from a secret (docs/OPERATIONS.md). It lives
/// with the silo because it is the silo's key and code; the operator CLI carries no server.
/// </summary>
public static class ManifestKeyCommand
{
    public const string Verb = "manifest-key";

    /// <summary>Runs the verb; failures are one line on stderr and exit 1, usage errors exit 2.</summary>
    public static int Run(string[] args)
    {
        var parsed = Create().Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var error in parsed.Errors)
            {
                Console.Error.WriteLine($"{Verb}: {error.Message}");
            }
            return 2;
        }
        try
        {
            return parsed.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException
            or System.Security.Cryptography.CryptographicException)
        {
            Console.Error.WriteLine($"{Verb}: {ex.Message.ReplaceLineEndings(" ")}");
            return 1;
        }
    }

    private static RootCommand Create()
    {
        var key = new Option<string>("--key") { Description = "The current signing key (PKCS#8 PEM); replaced by the new key", Required = true };
        var rotations = new Option<string?>("--rotations") { Description = "The rotation chain (JSON); default manifest-rotations.json next to --key" };
        var lifetime = new Option<int>("--lifetime-days") { Description = "How long devices accept the new rotation statement", DefaultValueFactory = _ => 365 };
        var rotate = new Command("rotate", "Sign a statement handing trust to a new key with the current key; the old key is revoked") { key, rotations, lifetime };
        lifetime.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() <= 0)
            {
                r.AddError("--lifetime-days must be positive");
            }
        });
        rotate.SetAction(parse =>
        {
            var keyPath = parse.GetValue(key)!;
            if (!File.Exists(keyPath))
            {
                throw new FileNotFoundException($"no manifest key at {keyPath}");
            }
            using var manifestKey = new ManifestKey(Options.Create(new ManifestOptions
            {
                KeyPath = keyPath,
                RotationsPath = parse.GetValue(rotations),
                RotationLifetime = TimeSpan.FromDays(parse.GetValue(lifetime)),
            }));
            var oldId = manifestKey.Signer.KeyId;
            manifestKey.Rotate(DateTimeOffset.UtcNow);
            Console.Out.WriteLine($"rotated manifest key {oldId} → {manifestKey.Signer.KeyId} (rotation {manifestKey.Rotations.Count}); old key kept as {keyPath}.{oldId}.retired");
            return 0;
        });
        return new RootCommand("FleetQuant silo administration") { new Command(Verb, "Manage the manifest signing key") { rotate } };
    }
}
