using System.Security.Cryptography;
using FleetQuant.Compression.Data;
using FleetQuant.DeviceAgent.Inference;
using FleetQuant.DeviceAgent.Storage;
using FleetQuant.DeviceAgent.Updates;
using FleetQuant.Protocol.Manifests;
using FleetQuant.Protocol.Messages;
using FleetQuant.Protocol.Transfer;
using FleetQuant.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;

namespace FleetQuant.DeviceAgent.Tests;

/// <summary>
/// The agent's update path driven in-process (verifier, state file, fetch callback) against the update-framework
/// attacks that need more than the manifest check: a rotated key kept across reboots, an artifact that does not
/// match its manifest, oversized transfers refused before any byte is fetched.
/// </summary>
public sealed class UpdateApplierAttackTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly string _dir = Directory.CreateTempSubdirectory("fq-apply").FullName;
    private readonly ECDsa _provisioned = ManifestKeys.Generate();
    private readonly ECDsa _next = ManifestKeys.Generate();
    private readonly ModelRunner _runner = new(GeneratedInputs.Create([784], 4, seed: 1));
    private readonly List<UpdateReport> _reports = [];
    private int _fetches;

    [Fact]
    public async Task KeyRotation_IsPersisted_AndAfterARebootTheOldKeyIsRefused()
    {
        var rotation = new ManifestSigner(_provisioned).Rotate(_next, 1, Now.AddMinutes(-1), TimeSpan.FromDays(30));
        await Applier(new ModelStore(_dir), _ => []).HandleDesiredAsync(Sign(_next, Manifest(5), [rotation]), CancellationToken.None);

        var rebooted = new ModelStore(_dir);
        Assert.Equal(ManifestKeys.KeyId(_next), rebooted.State.Trust?.KeyId);
        Assert.Equal(1, rebooted.State.Trust?.RotationVersion);

        await Applier(rebooted, _ => []).HandleDesiredAsync(Sign(_provisioned, Manifest(6)), CancellationToken.None);

        var last = _reports[^1];
        Assert.Equal(UpdateStage.Rejected, last.Stage);
        Assert.Contains("revoked", last.Reason);
    }

    [Fact]
    public async Task ArbitrarySoftware_RotationSignedByAnUntrustedKey_LeavesTrustUnchanged()
    {
        var attacker = ManifestKeys.Generate();
        var rotation = new ManifestSigner(attacker).Rotate(attacker, 1, Now.AddMinutes(-1), TimeSpan.FromDays(30));
        var store = new ModelStore(_dir);

        await Applier(store, _ => []).HandleDesiredAsync(Sign(attacker, Manifest(5), [rotation]), CancellationToken.None);

        Assert.Null(new ModelStore(_dir).State.Trust);
        Assert.Equal(UpdateStage.Rejected, _reports[^1].Stage);
        Assert.Equal(0, _fetches);
    }

    [Fact]
    public async Task MixAndMatch_ArtifactWhoseHashDoesNotMatchTheManifest_IsRefused()
    {
        var store = new ModelStore(_dir);
        var other = new byte[1000];
        other[0] = 1;

        await Applier(store, _ => other).HandleDesiredAsync(Sign(_provisioned, Manifest(5)), CancellationToken.None);

        var last = _reports[^1];
        Assert.Equal(UpdateStage.Failed, last.Stage);
        Assert.Contains("does not match the manifest", last.Reason);
        Assert.Null(store.State.Current);
    }

    [Fact]
    public async Task MixAndMatch_ManifestForAnotherDevice_IsRefusedBeforeFetching()
    {
        await Applier(new ModelStore(_dir), _ => []).HandleDesiredAsync(Sign(_provisioned, Manifest(5) with { DeviceId = "dev-2" }), CancellationToken.None);

        Assert.Equal(UpdateStage.Rejected, _reports[^1].Stage);
        Assert.Contains("dev-2", _reports[^1].Reason);
        Assert.Equal(0, _fetches);
    }

    [Fact]
    public async Task EndlessData_ArtifactOverTheCap_IsRefusedBeforeFetching()
    {
        var verifier = new ManifestVerifier(ManifestTrust.Provisioned(_provisioned.ExportSubjectPublicKeyInfoPem()), new FixedClock(Now))
        {
            Limits = new ManifestLimits { MaxArtifactBytes = 999 },
        };

        await Applier(new ModelStore(_dir), _ => [], verifier).HandleDesiredAsync(Sign(_provisioned, Manifest(5)), CancellationToken.None);

        Assert.Equal(UpdateStage.Rejected, _reports[^1].Stage);
        Assert.Contains("limit", _reports[^1].Reason);
        Assert.Equal(0, _fetches);
    }

    public void Dispose()
    {
        _runner.Dispose();
        _provisioned.Dispose();
        _next.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private UpdateApplier Applier(ModelStore store, Func<TransferObject, byte[]> serve, ManifestVerifier? verifier = null) => new(
        "dev-1",
        store,
        _runner,
        verifier ?? new ManifestVerifier(ManifestTrust.Provisioned(_provisioned.ExportSubjectPublicKeyInfoPem()), new FixedClock(Now)),
        (transfer, _) =>
        {
            Interlocked.Increment(ref _fetches);
            return Task.FromResult(serve(transfer));
        },
        report =>
        {
            lock (_reports)
            {
                _reports.Add(report);
            }
            return Task.CompletedTask;
        },
        NoUpdateFaults.Instance,
        NullLogger.Instance);

    private static byte[] Sign(ECDsa key, UpdateManifest manifest, IReadOnlyList<SignedKeyRotation>? chain = null) =>
        ProtocolJson.Serialize(new ManifestSigner(key).Sign(manifest, chain));

    private static UpdateManifest Manifest(long release) => ManifestFixtures.Manifest(release, Now);
}
