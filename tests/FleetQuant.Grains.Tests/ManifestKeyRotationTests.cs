using System.Security.Cryptography;
using FleetQuant.Grains.Manifests;
using FleetQuant.Protocol.Manifests;
using FleetQuant.Protocol.Messages;
using FleetQuant.Protocol.Transfer;
using FleetQuant.TestSupport;
using Microsoft.Extensions.Options;

namespace FleetQuant.Grains.Tests;

/// <summary>
/// The server side of key rotation: the old key signs the statement, manifests are signed with the new key and
/// carry the chain, and the key and chain survive a restart — so a device provisioned with the first key follows.
/// </summary>
public sealed class ManifestKeyRotationTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly string _dir = Directory.CreateTempSubdirectory("fq-mkey").FullName;

    [Fact]
    public void Rotate_SignsWithTheNewKey_AndADeviceOnTheFirstKeyFollowsTheChain()
    {
        using var key = NewKey();
        var provisioned = key.PublicKeyPem;
        var firstId = key.Signer.KeyId;

        key.Rotate(Now);
        key.Rotate(Now.AddDays(1));
        var signed = key.Sign(Manifest());

        Assert.NotEqual(firstId, signed.KeyId);
        Assert.Equal(2, signed.Rotations!.Count);
        var result = new ManifestVerifier(ManifestTrust.Provisioned(provisioned), new FixedClock(Now.AddDays(2)))
            .Verify(ProtocolJson.Serialize(signed), "dev-1", 0);
        Assert.True(result.Accepted, result.Message);
        Assert.Equal(signed.KeyId, result.Trust!.KeyId);
        Assert.Equal(2, result.Trust.RotationVersion);
    }

    [Fact]
    public void Rotate_KeyAndChainSurviveARestart()
    {
        string rotatedId;
        using (var key = NewKey())
        {
            key.Rotate(Now);
            rotatedId = key.Signer.KeyId;
        }

        using var restarted = NewKey();

        Assert.Equal(rotatedId, restarted.Signer.KeyId);
        Assert.Single(restarted.Rotations);
        Assert.Equal(2, ProtocolJson.Deserialize<KeyRotation>(System.Text.Encoding.UTF8.GetBytes(restarted.Rotate(Now).Payload)).Version);
    }

    [Fact]
    public void Load_ChainThatDoesNotEndInTheSigningKey_StopsWithAClearMessage()
    {
        using (var key = NewKey())
        {
            key.Rotate(Now);
        }
        using (var other = ManifestKeys.Generate())
        {
            File.WriteAllText(Path.Combine(_dir, "manifest-key.pem"), other.ExportPkcs8PrivateKeyPem());
        }

        using var mismatched = NewKey();

        var failure = Assert.Throws<CryptographicException>(() => mismatched.Signer);
        Assert.Contains("deploy the key and the rotations file together", failure.Message);
    }

    [Fact]
    public void Rotate_BackToARetiredKey_IsRefused()
    {
        using var key = NewKey();
        _ = key.Signer; // the key file is created on first use
        using var first = ManifestKeys.ImportPem(File.ReadAllText(Path.Combine(_dir, "manifest-key.pem")));
        key.Rotate(Now);

        Assert.Throws<ArgumentException>(() => key.Rotate(Now, first));
    }

    [Fact]
    public void Rotate_WithAnInlineKey_IsRefused()
    {
        using var inline = ManifestKeys.Generate();
        using var key = new ManifestKey(Options.Create(new ManifestOptions { PrivateKeyPem = inline.ExportPkcs8PrivateKeyPem(), RotationsPath = Path.Combine(_dir, "r.json") }));

        Assert.Throws<InvalidOperationException>(() => key.Rotate(Now));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private ManifestKey NewKey() => new(Options.Create(new ManifestOptions { KeyPath = Path.Combine(_dir, "manifest-key.pem") }));

    private static UpdateManifest Manifest() => new()
    {
        DeviceId = "dev-1",
        ModelId = "fashion",
        ModelVersion = 1,
        RecipeId = "q4b32a",
        Release = 1,
        IssuedAt = Now,
        ExpiresAt = Now.AddDays(30),
        Artifact = ChunkTable.Describe(new byte[100], 64),
    };
}
