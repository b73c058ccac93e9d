using System.Security.Cryptography;
using System.Text;
using FleetQuant.Protocol.Manifests;
using FleetQuant.Protocol.Messages;
using FleetQuant.Protocol.Transfer;
using FleetQuant.TestSupport;

namespace FleetQuant.Protocol.Tests;

/// <summary>
/// The device's manifest check against the update-framework attack list (TUF: arbitrary software, rollback,
/// indefinite freeze, mix-and-match, endless data) and against key rotation: a key is trusted only through a
/// statement signed by the key trusted before, never backwards, and a revoked key is refused.
/// </summary>
public sealed class UpdateAttackTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);

    private readonly ECDsa _a = ManifestKeys.Generate();
    private readonly ECDsa _b = ManifestKeys.Generate();
    private readonly ECDsa _c = ManifestKeys.Generate();

    [Fact]
    public void Rotation_HandsTrustToTheNewKey_AndRevokesTheOld()
    {
        var chain = new[] { Rotate(_a, _b, 1) };

        var result = Verifier().Verify(Sign(_b, Manifest(5), chain), "dev-1", 4);

        Assert.True(result.Accepted, result.Message);
        Assert.Equal(ManifestKeys.KeyId(_b), result.Trust!.KeyId);
        Assert.Equal(1, result.Trust.RotationVersion);
        Assert.Contains(ManifestKeys.KeyId(_a), result.Trust.RevokedKeyIds);
    }

    [Fact]
    public void Rotation_DeviceOfflineThroughTwoRotations_CatchesUpThroughTheChain()
    {
        var chain = new[] { Rotate(_a, _b, 1), Rotate(_b, _c, 2) };

        var result = Verifier().Verify(Sign(_c, Manifest(5), chain), "dev-1", 4);

        Assert.True(result.Accepted, result.Message);
        Assert.Equal(ManifestKeys.KeyId(_c), result.Trust!.KeyId);
        Assert.Equal(2, result.Trust.RotationVersion);
    }

    [Fact]
    public void Rotation_ChainAlreadyApplied_IsSkippedAndTheManifestVerifies()
    {
        var chain = new[] { Rotate(_a, _b, 1), Rotate(_b, _c, 2) };
        var trust = Verifier().Verify(Sign(_c, Manifest(5), chain), "dev-1", 4).Trust;

        var again = Verifier().Verify(Sign(_c, Manifest(6), chain), "dev-1", 5, trust);

        Assert.True(again.Accepted, again.Message);
        Assert.Equal(trust, again.Trust);
    }

    [Fact]
    public void Rotation_DeviceProvisionedWithTheCurrentKey_AcceptsManifestsCarryingTheWholeChain()
    {
        var chain = new[] { Rotate(_a, _b, 1), Rotate(_b, _c, 2) };
        var verifier = new ManifestVerifier(ManifestTrust.Provisioned(_c.ExportSubjectPublicKeyInfoPem()), new FixedClock(Now));

        var result = verifier.Verify(Sign(_c, Manifest(5), chain), "dev-1", 0);

        Assert.True(result.Accepted, result.Message);
        Assert.Equal(ManifestKeys.KeyId(_c), result.Trust!.KeyId);
    }

    [Fact]
    public void Rotation_DeviceProvisionedPartWay_AppliesOnlyTheRotationsAfterItsKey()
    {
        var chain = new[] { Rotate(_a, _b, 1), Rotate(_b, _c, 2) };
        var verifier = new ManifestVerifier(ManifestTrust.Provisioned(_b.ExportSubjectPublicKeyInfoPem()), new FixedClock(Now));

        var result = verifier.Verify(Sign(_c, Manifest(5), chain), "dev-1", 0);

        Assert.True(result.Accepted, result.Message);
        Assert.Equal(2, result.Trust!.RotationVersion);
    }

    [Fact]
    public void ArbitrarySoftware_ManifestSignedByAnUnknownKey_IsRefused()
    {
        var result = Verifier().Verify(Sign(ManifestKeys.Generate(), Manifest(5)), "dev-1", 0);

        Assert.Equal(ManifestRejection.BadSignature, result.Rejection);
    }

    [Fact]
    public void ArbitrarySoftware_TamperedPayload_IsRefused()
    {
        var signed = new ManifestSigner(_a).Sign(Manifest(5));
        var tampered = signed with { Payload = signed.Payload.Replace("q4b32a", "evil__") };

        var result = Verifier().Verify(ProtocolJson.Serialize(tampered), "dev-1", 0);

        Assert.Equal(ManifestRejection.BadSignature, result.Rejection);
    }

    [Fact]
    public void ArbitrarySoftware_RotationSignedByAnUntrustedKey_IsRefused()
    {
        var attacker = ManifestKeys.Generate();
        var chain = new[] { Rotate(attacker, attacker, 1) };

        var result = Verifier().Verify(Sign(attacker, Manifest(5), chain), "dev-1", 0);

        Assert.Equal(ManifestRejection.BadRotation, result.Rejection);
        Assert.Contains("not signed by the trusted key", result.Message);
        Assert.Equal(0, result.Trust!.RotationVersion);
    }

    [Fact]
    public void ArbitrarySoftware_TamperedRotation_IsRefused()
    {
        var attacker = ManifestKeys.Generate();
        var genuine = Rotate(_a, _b, 1);
        var swapped = genuine with
        {
            Payload = genuine.Payload
                .Replace(JsonText(_b.ExportSubjectPublicKeyInfoPem()), JsonText(attacker.ExportSubjectPublicKeyInfoPem()))
                .Replace(ManifestKeys.KeyId(_b), ManifestKeys.KeyId(attacker)),
        };

        var result = Verifier().Verify(Sign(attacker, Manifest(5), [swapped]), "dev-1", 0);

        Assert.Equal(ManifestRejection.BadRotation, result.Rejection);
    }

    [Fact]
    public void ArbitrarySoftware_RotationWhoseKeyIdIsNotItsKey_IsRefused()
    {
        var rotation = new ManifestSigner(_a).Sign(new KeyRotation
        {
            Version = 1,
            NewKeyPem = _b.ExportSubjectPublicKeyInfoPem(),
            NewKeyId = ManifestKeys.KeyId(_c),
            IssuedAt = Now,
            ExpiresAt = Now.AddDays(30),
        });

        var result = Verifier().Verify(Sign(_b, Manifest(5), [rotation]), "dev-1", 0);

        Assert.Equal(ManifestRejection.BadRotation, result.Rejection);
    }

    [Fact]
    public void ArbitrarySoftware_ManifestOfARevokedKey_IsRefused()
    {
        var trust = Verifier().Verify(Sign(_b, Manifest(5), [Rotate(_a, _b, 1)]), "dev-1", 4).Trust;

        // The old key (say it leaked) signs a manifest without the chain: the device trusts only B now.
        var result = Verifier().Verify(Sign(_a, Manifest(6)), "dev-1", 5, trust);

        Assert.Equal(ManifestRejection.RevokedKey, result.Rejection);
    }

    [Fact]
    public void ArbitrarySoftware_RotationBackToARevokedKey_IsRefused()
    {
        var atB = Verifier().Verify(Sign(_b, Manifest(5), [Rotate(_a, _b, 1)]), "dev-1", 4).Trust;
        var chain = new[] { Rotate(_a, _b, 1), Rotate(_b, _a, 2) };

        var result = Verifier().Verify(Sign(_a, Manifest(6), chain), "dev-1", 5, atB);

        Assert.Equal(ManifestRejection.BadRotation, result.Rejection);
        Assert.Contains("revoked", result.Message);
        Assert.Equal(atB, result.Trust);
    }

    [Fact]
    public void Rollback_LowerRelease_IsRefused()
    {
        var result = Verifier().Verify(Sign(_a, Manifest(3)), "dev-1", lastAcceptedRelease: 4);

        Assert.Equal(ManifestRejection.Replayed, result.Rejection);
    }

    [Fact]
    public void Rollback_RotationWithALowerVersion_DoesNotBringBackTheOldKey()
    {
        var trust = Verifier().Verify(Sign(_c, Manifest(5), [Rotate(_a, _b, 1), Rotate(_b, _c, 2)]), "dev-1", 4).Trust!;
        // B leaks; the attacker replays rotation 1 (A→B) and signs with B.
        var result = Verifier().Verify(Sign(_b, Manifest(6), [Rotate(_a, _b, 1)]), "dev-1", 5, trust);

        Assert.False(result.Accepted);
        Assert.Equal(ManifestRejection.RevokedKey, result.Rejection);
        Assert.Equal(trust, result.Trust);
    }

    [Fact]
    public void Rollback_RotationNotAboveTheAppliedVersion_IsNotApplied_EvenWhenSignedByTheTrustedKey()
    {
        var trust = Verifier().Verify(Sign(_b, Manifest(5), [Rotate(_a, _b, 1)]), "dev-1", 4).Trust!;

        var step = Verifier().ApplyRotation(Rotate(_b, _c, 1), trust);

        Assert.Null(step.Trust);
        Assert.Null(step.Rejection);
        Assert.Equal(ManifestRejection.BadSignature, Verifier().Verify(Sign(_c, Manifest(6), [Rotate(_b, _c, 1)]), "dev-1", 5, trust).Rejection);
    }

    [Fact]
    public void IndefiniteFreeze_ExpiredManifest_IsRefused()
    {
        var result = Verifier().Verify(Sign(_a, Manifest(5) with { ExpiresAt = Now.AddSeconds(-1) }), "dev-1", 0);

        Assert.Equal(ManifestRejection.Expired, result.Rejection);
    }

    [Fact]
    public void IndefiniteFreeze_ExpiredRotation_IsRefused()
    {
        var expired = new ManifestSigner(_a).Rotate(_b, 1, Now.AddDays(-10), TimeSpan.FromDays(1));

        var result = Verifier().Verify(Sign(_b, Manifest(5), [expired]), "dev-1", 0);

        Assert.Equal(ManifestRejection.BadRotation, result.Rejection);
        Assert.Contains("expired", result.Message);
    }

    [Fact]
    public void MixAndMatch_ManifestForAnotherDevice_IsRefused()
    {
        var result = Verifier().Verify(Sign(_a, Manifest(5) with { DeviceId = "dev-2" }), "dev-1", 0);

        Assert.Equal(ManifestRejection.WrongDevice, result.Rejection);
    }

    [Fact]
    public void WrongHardware_ManifestPlannedForAnotherArchitecture_IsRefused()
    {
        var result = new ManifestVerifier(ManifestTrust.Provisioned(_a.ExportSubjectPublicKeyInfoPem()), new FixedClock(Now)) { Architecture = "armv7" }
            .Verify(Sign(_a, Manifest(5) with { TargetArch = "arm64" }), "dev-1", 0);

        Assert.Equal(ManifestRejection.WrongHardware, result.Rejection);
        Assert.Contains("arm64", result.Message);
    }

    [Theory]
    [InlineData("ARM64")]
    [InlineData(DeviceProfile.UnknownArch)]
    [InlineData(null)]
    public void WrongHardware_SameOrUnstatedArchitecture_IsAccepted(string? target)
    {
        var result = new ManifestVerifier(ManifestTrust.Provisioned(_a.ExportSubjectPublicKeyInfoPem()), new FixedClock(Now)) { Architecture = "arm64" }
            .Verify(Sign(_a, Manifest(5) with { TargetArch = target }), "dev-1", 0);

        Assert.True(result.Accepted, result.Message);
    }

    [Fact]
    public void EndlessData_OversizedManifest_IsRefusedBeforeParsing()
    {
        var huge = Encoding.UTF8.GetBytes("{\"payload\":\"" + new string('x', ProtocolJson.MaxMessageBytes) + "\"}");

        var result = Verifier().Verify(huge, "dev-1", 0);

        Assert.Equal(ManifestRejection.TooLarge, result.Rejection);
    }

    [Fact]
    public void EndlessData_ChunkTableWithMoreChunksThanTheSizeAllows_IsRefused()
    {
        var artifact = ChunkTable.Describe(new byte[1000], 256);
        var padded = artifact with { ChunkHashes = Convert.ToBase64String(new byte[100 * SHA256.HashSizeInBytes]) };

        var result = Verifier().Verify(Sign(_a, Manifest(5) with { Artifact = padded }), "dev-1", 0);

        Assert.Equal(ManifestRejection.TooLarge, result.Rejection);
        Assert.Contains("chunk table", result.Message);
    }

    [Fact]
    public void EndlessData_SizeClaimingMoreChunksThanTheTable_IsRefused()
    {
        var artifact = ChunkTable.Describe(new byte[1000], 256) with { Size = 1_000_000 };

        var result = Verifier().Verify(Sign(_a, Manifest(5) with { Artifact = artifact }), "dev-1", 0);

        Assert.Equal(ManifestRejection.TooLarge, result.Rejection);
    }

    [Fact]
    public void EndlessData_ArtifactOverTheSizeCap_IsRefused()
    {
        var artifact = ChunkTable.Describe(new byte[1000], 256);
        var verifier = Verifier(new ManifestLimits { MaxArtifactBytes = 999 });

        var result = verifier.Verify(Sign(_a, Manifest(5) with { Artifact = artifact }), "dev-1", 0);

        Assert.Equal(ManifestRejection.TooLarge, result.Rejection);
        Assert.Contains("over the 999-byte limit", result.Message);
    }

    [Fact]
    public void EndlessData_DeltaOverTheSizeCap_IsRefused()
    {
        var delta = new DeltaTransfer { BaseSha256 = new string('0', 64), Object = ChunkTable.Describe(new byte[5000], 256) };
        var verifier = Verifier(new ManifestLimits { MaxArtifactBytes = 4000 });

        var result = verifier.Verify(Sign(_a, Manifest(5) with { Delta = delta }), "dev-1", 0);

        Assert.Equal(ManifestRejection.TooLarge, result.Rejection);
        Assert.Contains("delta", result.Message);
    }

    [Fact]
    public void EndlessData_ChunkSizeOverTheProtocolMaximum_IsRefused()
    {
        var artifact = ChunkTable.Describe(new byte[1000], 256) with { ChunkSize = ChunkTable.MaxChunkSize + 1 };

        var result = Verifier().Verify(Sign(_a, Manifest(5) with { Artifact = artifact }), "dev-1", 0);

        Assert.Equal(ManifestRejection.TooLarge, result.Rejection);
    }

    [Fact]
    public void EndlessData_TooManyRotations_AreRefused()
    {
        var chain = Enumerable.Range(1, 3).Select(v => Rotate(_a, _b, v)).ToArray();
        var verifier = Verifier(new ManifestLimits { MaxRotations = 2 });

        var result = verifier.Verify(Sign(_b, Manifest(5), chain), "dev-1", 0);

        Assert.Equal(ManifestRejection.TooLarge, result.Rejection);
    }

    public void Dispose()
    {
        _a.Dispose();
        _b.Dispose();
        _c.Dispose();
    }

    private ManifestVerifier Verifier(ManifestLimits? limits = null) =>
        new(ManifestTrust.Provisioned(_a.ExportSubjectPublicKeyInfoPem()), new FixedClock(Now)) { Limits = limits ?? new ManifestLimits() };

    private static SignedKeyRotation Rotate(ECDsa from, ECDsa to, long version) =>
        new ManifestSigner(from).Rotate(to, version, Now.AddMinutes(-1), TimeSpan.FromDays(30));

    private static byte[] Sign(ECDsa key, UpdateManifest manifest, IReadOnlyList<SignedKeyRotation>? chain = null) =>
        ProtocolJson.Serialize(new ManifestSigner(key).Sign(manifest, chain));

    private static string JsonText(string value) => ProtocolJson.SerializeToString(value)[1..^1];

    private static UpdateManifest Manifest(long release) => ManifestFixtures.Manifest(release, Now);
}
