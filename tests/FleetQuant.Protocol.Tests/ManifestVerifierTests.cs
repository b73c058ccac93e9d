using System.Text;
using FleetQuant.Protocol.Manifests;
using FleetQuant.Protocol.Messages;
using FleetQuant.Protocol.Transfer;
using FleetQuant.TestSupport;

namespace FleetQuant.Protocol.Tests;

public sealed class ManifestVerifierTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);

    private readonly System.Security.Cryptography.ECDsa _serverKey = ManifestKeys.Generate();

    [Fact]
    public void Verify_AcceptsSignedManifestForThisDevice()
    {
        var result = Verifier().Verify(Sign(Manifest(release: 5)), "dev-1", lastAcceptedRelease: 4);

        Assert.True(result.Accepted, result.Message);
        Assert.Equal("q4b32a", result.Manifest!.RecipeId);
    }

    [Fact]
    public void Verify_RejectsOlderRelease_AsReplay()
    {
        var result = Verifier().Verify(Sign(Manifest(release: 3)), "dev-1", lastAcceptedRelease: 3);

        Assert.Equal(ManifestRejection.Replayed, result.Rejection);
    }

    [Fact]
    public void Verify_RejectsExpiredManifest()
    {
        var result = Verifier().Verify(Sign(Manifest(release: 5) with { ExpiresAt = Now.AddSeconds(-1) }), "dev-1", 0);

        Assert.Equal(ManifestRejection.Expired, result.Rejection);
    }

    [Fact]
    public void Verify_RejectsManifestForAnotherDevice()
    {
        var result = Verifier().Verify(Sign(Manifest(release: 5) with { DeviceId = "dev-2" }), "dev-1", 0);

        Assert.Equal(ManifestRejection.WrongDevice, result.Rejection);
    }

    [Fact]
    public void Verify_RejectsTamperedPayload()
    {
        var signed = new ManifestSigner(_serverKey).Sign(Manifest(release: 5));
        var tampered = signed with { Payload = signed.Payload.Replace("q4b32a", "q8cs__") };

        var result = Verifier().Verify(ProtocolJson.Serialize(tampered), "dev-1", 0);

        Assert.Equal(ManifestRejection.BadSignature, result.Rejection);
    }

    [Fact]
    public void Verify_RejectsManifestSignedByAnotherKey()
    {
        var forged = new ManifestSigner(ManifestKeys.Generate()).Sign(Manifest(release: 5));

        var result = Verifier().Verify(ProtocolJson.Serialize(forged), "dev-1", 0);

        Assert.Equal(ManifestRejection.BadSignature, result.Rejection);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not json")]
    [InlineData("{\"payload\":\"x\"}")]
    [InlineData("{\"payload\":\"x\",\"signature\":\"!!!\",\"keyId\":\"k\"}")]
    public void Verify_RejectsMalformedOrUnsigned(string payload)
    {
        var result = Verifier().Verify(Encoding.UTF8.GetBytes(payload), "dev-1", 0);

        Assert.False(result.Accepted);
        Assert.Contains(result.Rejection, new ManifestRejection?[] { ManifestRejection.Malformed, ManifestRejection.BadSignature });
    }

    private ManifestVerifier Verifier()
    {
        var publicOnly = System.Security.Cryptography.ECDsa.Create();
        publicOnly.ImportSubjectPublicKeyInfo(_serverKey.ExportSubjectPublicKeyInfo(), out _);
        return new ManifestVerifier(publicOnly, new FixedClock(Now));
    }

    private byte[] Sign(UpdateManifest manifest) => ProtocolJson.Serialize(new ManifestSigner(_serverKey).Sign(manifest));

    private static UpdateManifest Manifest(long release) => ManifestFixtures.Manifest(release, Now);
}
