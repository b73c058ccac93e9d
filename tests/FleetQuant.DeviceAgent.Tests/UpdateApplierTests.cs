using System.Security.Cryptography;
using FleetQuant.Compression.Artifacts;
using FleetQuant.Compression.Data;
using FleetQuant.Compression.Deltas;
using FleetQuant.Compression.Evaluation;
using FleetQuant.Compression.Pipeline;
using FleetQuant.Compression.Recipes;
using FleetQuant.DeviceAgent.Inference;
using FleetQuant.DeviceAgent.Simulation;
using FleetQuant.DeviceAgent.Storage;
using FleetQuant.DeviceAgent.Transfer;
using FleetQuant.DeviceAgent.Updates;
using FleetQuant.Protocol.Manifests;
using FleetQuant.Protocol.Messages;
using FleetQuant.Protocol.Transfer;
using FleetQuant.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;

namespace FleetQuant.DeviceAgent.Tests;

/// <summary>
/// Verify, apply, roll back: <see cref="UpdateApplier"/> on a real state directory with real artifacts and deltas from
/// the compression library, signed manifests and ONNX Runtime. "Restart" is a new store, runner and applier on the
/// same directory, booted the way the agent boots.
/// </summary>
public sealed class UpdateApplierTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    // Three versions of one model: the device moves from v1 to v2; v0 is the base a misdirected delta was made from.
    private static readonly Artifact V0 = Artifact.Of(TestModels.Mlp(seed: 10));
    private static readonly Artifact V1 = Artifact.Of(TestModels.Mlp(seed: 11));
    private static readonly Artifact V2 = Artifact.Of(TestModels.Mlp(seed: 12));

    private readonly string _dir = Directory.CreateTempSubdirectory("fq-applier").FullName;
    private readonly ECDsa _key = ManifestKeys.Generate();
    private readonly Dictionary<string, byte[]> _served = [];
    private readonly List<string> _fetched = [];
    private readonly List<UpdateReport> _reports = [];
    private readonly List<ModelRunner> _runners = [];

    [Fact]
    public async Task FullArtifact_AppliesAndBecomesCurrent()
    {
        var device = Boot();

        await device.Applier.HandleDesiredAsync(Signed(Manifest(V1, release: 1)), CancellationToken.None);

        Assert.Equal(UpdateStage.Succeeded, _reports[^1].Stage);
        Assert.Equal([V1.Sha256], _fetched);
        Assert.Equal(V1.Sha256, device.Runner.ArtifactSha256);
        var restarted = Boot();
        Assert.Equal(V1.Sha256, restarted.Store.State.Current?.ArtifactSha256);
        Assert.Equal(V1.Sha256, restarted.Runner.ArtifactSha256);
        Assert.Equal(1, restarted.Store.State.LastAcceptedRelease);
    }

    [Fact]
    public async Task Delta_AppliesAgainstTheCurrentBase_WithoutFetchingTheWholeArtifact()
    {
        var device = await OnV1Async();
        var delta = Serve(DeltaEncoder.Create(V1.Bytes, V2.Bytes));
        var downloaded = device.Applier.BytesDownloaded;

        await device.Applier.HandleDesiredAsync(Signed(Manifest(V2, release: 2) with { Delta = new DeltaTransfer { BaseSha256 = V1.Sha256, Object = delta } }), CancellationToken.None);

        Assert.Equal(UpdateStage.Succeeded, _reports[^1].Stage);
        Assert.Equal([delta.Sha256], _fetched);
        Assert.Equal(delta.Size, device.Applier.BytesDownloaded - downloaded);
        Assert.Equal(V2.Sha256, device.Runner.ArtifactSha256);
        var state = Boot().Store.State;
        Assert.Equal(V2.Sha256, state.Current?.ArtifactSha256);
        Assert.Equal(V1.Sha256, state.Previous?.ArtifactSha256);
    }

    [Fact]
    public async Task Delta_MadeFromAnotherBase_IsRefused_AndTheWholeArtifactIsFetchedInstead()
    {
        var device = await OnV1Async();
        // The manifest claims v1 as the base, but the delta's bytes were made from v0: the decoder must notice.
        var delta = Serve(DeltaEncoder.Create(V0.Bytes, V2.Bytes));

        await device.Applier.HandleDesiredAsync(Signed(Manifest(V2, release: 2) with { Delta = new DeltaTransfer { BaseSha256 = V1.Sha256, Object = delta } }), CancellationToken.None);

        Assert.Equal([delta.Sha256, V2.Sha256], _fetched);
        Assert.Equal(UpdateStage.Succeeded, _reports[^1].Stage);
        Assert.Equal(V2.Sha256, Boot().Store.State.Current?.ArtifactSha256);
    }

    [Fact]
    public async Task Delta_ForABaseTheDeviceDoesNotRun_IsNotFetched()
    {
        var device = await OnV1Async();
        var delta = Serve(DeltaEncoder.Create(V0.Bytes, V2.Bytes));

        await device.Applier.HandleDesiredAsync(Signed(Manifest(V2, release: 2) with { Delta = new DeltaTransfer { BaseSha256 = V0.Sha256, Object = delta } }), CancellationToken.None);

        Assert.Equal([V2.Sha256], _fetched);
        Assert.Equal(V2.Sha256, device.Runner.ArtifactSha256);
    }

    [Theory]
    [InlineData("bad signature", UpdateStage.Rejected, "signature")]
    [InlineData("wrong hash", UpdateStage.Failed, "does not match the manifest")]
    [InlineData("truncated file", UpdateStage.Failed, "does not match the manifest")]
    [InlineData("failed smoke test", UpdateStage.Failed, "smoke test")]
    public async Task BrokenUpdate_IsRefused_AndTheCurrentModelIsUntouched(string fault, UpdateStage stage, string reason)
    {
        var device = await OnV1Async();
        var manifest = Manifest(V2, release: 2);
        var payload = fault switch
        {
            "bad signature" => SignedBy(ManifestKeys.Generate(), manifest),
            "failed smoke test" => Signed(manifest with { SmokeTest = V1.SmokeTest }),
            _ => Signed(manifest),
        };
        _served[V2.Sha256] = fault switch
        {
            "wrong hash" => V0.Bytes,
            "truncated file" => V2.Bytes[..^100],
            _ => V2.Bytes,
        };

        await device.Applier.HandleDesiredAsync(payload, CancellationToken.None);

        var last = _reports[^1];
        Assert.Equal(stage, last.Stage);
        Assert.Contains(reason, last.Reason, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(V1.Sha256, last.ArtifactSha256);
        Assert.Equal(V1.Sha256, device.Runner.ArtifactSha256);
        var restarted = Boot();
        Assert.Equal(V1.Sha256, restarted.Store.State.Current?.ArtifactSha256);
        Assert.Equal(V1.Sha256, restarted.Runner.ArtifactSha256);
        Assert.True(restarted.Store.IsIntact(restarted.Store.State.Current!));
    }

    [Theory]
    [InlineData(UpdateCheckpoint.Accepted)]
    [InlineData(UpdateCheckpoint.Downloaded)]
    [InlineData(UpdateCheckpoint.Verified)]
    [InlineData(UpdateCheckpoint.Staged)]
    public async Task PowerCut_BeforeActivation_BootsThePreviousModel_AndTheUpdateCompletesAfterRestart(UpdateCheckpoint checkpoint)
    {
        await OnV1Async();
        var manifest = Signed(Manifest(V2, release: 2));
        var cut = Boot(new SimulatedFaults(new FaultPlan { PowerCutAt = checkpoint }));

        await Assert.ThrowsAsync<SimulatedPowerCutException>(() => cut.Applier.HandleDesiredAsync(manifest, CancellationToken.None));

        var restarted = Boot();
        Assert.Equal(V1.Sha256, restarted.Runner.ArtifactSha256);
        Assert.Equal(V1.Sha256, restarted.Store.State.Current?.ArtifactSha256);
        Assert.Equal(restarted.Store.State.Current, restarted.Store.Bootable());
        Assert.Equal(1, restarted.Store.State.LastAcceptedRelease);

        // The retained manifest comes again after the reboot: the update runs to the end this time.
        await restarted.Applier.HandleDesiredAsync(manifest, CancellationToken.None);
        Assert.Equal(UpdateStage.Succeeded, _reports[^1].Stage);
        Assert.Equal(V2.Sha256, restarted.Runner.ArtifactSha256);
    }

    [Fact]
    public async Task PowerCut_AfterActivation_BootsTheNewModel_WithThePreviousKeptForRollback()
    {
        await OnV1Async();
        var cut = Boot(new SimulatedFaults(new FaultPlan { PowerCutAt = UpdateCheckpoint.Activated }));

        await Assert.ThrowsAsync<SimulatedPowerCutException>(() => cut.Applier.HandleDesiredAsync(Signed(Manifest(V2, release: 2)), CancellationToken.None));

        var restarted = Boot();
        Assert.Equal(V2.Sha256, restarted.Runner.ArtifactSha256);
        Assert.Equal(V1.Sha256, restarted.Store.State.Previous?.ArtifactSha256);
        Assert.True(restarted.Store.IsIntact(restarted.Store.State.Previous!));
    }

    [Fact]
    public async Task Rollback_ReturnsToThePreviousModel_AndSurvivesARestart()
    {
        var device = await OnV1Async();
        await device.Applier.HandleDesiredAsync(Signed(Manifest(V2, release: 2)), CancellationToken.None);

        await device.Applier.RollbackAsync(CancellationToken.None);

        Assert.Equal(UpdateStage.RolledBack, _reports[^1].Stage);
        Assert.Equal(V1.Sha256, device.Runner.ArtifactSha256);
        var restarted = Boot();
        Assert.Equal(V1.Sha256, restarted.Runner.ArtifactSha256);
        Assert.Equal(V2.Sha256, restarted.Store.State.Previous?.ArtifactSha256);
    }

    [Fact]
    public async Task Rollback_WithoutAPreviousModel_FailsAndKeepsTheCurrentOne()
    {
        var device = await OnV1Async();

        await device.Applier.RollbackAsync(CancellationToken.None);

        Assert.Equal(UpdateStage.Failed, _reports[^1].Stage);
        Assert.Equal(V1.Sha256, device.Runner.ArtifactSha256);
    }

    public void Dispose()
    {
        foreach (var runner in _runners)
        {
            runner.Dispose();
        }
        _key.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private async Task<Device> OnV1Async()
    {
        var device = Boot();
        await device.Applier.HandleDesiredAsync(Signed(Manifest(V1, release: 1)), CancellationToken.None);
        Assert.Equal(V1.Sha256, device.Runner.ArtifactSha256);
        _fetched.Clear();
        return device;
    }

    /// <summary>A device (re)started on the state directory: fresh store, runner and applier, booted from disk.</summary>
    private Device Boot(IUpdateFaultHook? faults = null)
    {
        var store = new ModelStore(_dir);
        var runner = new ModelRunner(GeneratedInputs.Create([784], 2, seed: 1));
        _runners.Add(runner);
        var verifier = new ManifestVerifier(ManifestTrust.Provisioned(_key.ExportSubjectPublicKeyInfoPem()), new FixedClock(Now));
        var applier = new UpdateApplier("dev-1", store, runner, verifier, FetchAsync, ReportAsync, faults ?? NoUpdateFaults.Instance, NullLogger.Instance);
        applier.Boot();
        return new Device(store, runner, applier);
    }

    private Task<byte[]> FetchAsync(TransferObject transfer, CancellationToken cancellationToken)
    {
        _fetched.Add(transfer.Sha256);
        return _served.TryGetValue(transfer.Sha256, out var bytes)
            ? Task.FromResult(bytes)
            : Task.FromException<byte[]>(new TransferFailedException($"the server has no object {transfer.Sha256[..12]}"));
    }

    private Task ReportAsync(UpdateReport report)
    {
        _reports.Add(report);
        return Task.CompletedTask;
    }

    private TransferObject Serve(byte[] bytes)
    {
        var transfer = ChunkTable.Describe(bytes, 16 * 1024);
        _served[transfer.Sha256] = bytes;
        return transfer;
    }

    private UpdateManifest Manifest(Artifact artifact, long release) => ManifestFixtures.Manifest(release, Now) with
    {
        ModelVersion = (int)release,
        RecipeId = Recipe.Fp32Id,
        Artifact = Serve(artifact.Bytes),
        SmokeTest = artifact.SmokeTest,
    };

    private byte[] Signed(UpdateManifest manifest) => SignedBy(_key, manifest);

    private static byte[] SignedBy(ECDsa key, UpdateManifest manifest) => ProtocolJson.Serialize(new ManifestSigner(key).Sign(manifest));

    private sealed record Device(ModelStore Store, ModelRunner Runner, UpdateApplier Applier);

    /// <summary>A model packed as the server packs it, with the smoke test the server would sign into its manifest.</summary>
    private sealed record Artifact(byte[] Bytes, string Sha256, SmokeTest SmokeTest)
    {
        public static Artifact Of(Compression.Onnx.ModelProto model)
        {
            var bytes = ArtifactWriter.Pack(ModelCompressor.Compress(model, Recipe.Fp32));
            using var packed = new MemoryStream(bytes, writable: false);
            using var onnx = new MemoryStream();
            ArtifactReader.Unpack(packed, onnx);
            using var session = ModelRunner.Load(onnx.ToArray());
            return new Artifact(bytes, Convert.ToHexStringLower(SHA256.HashData(bytes)), SmokeTests.Build(session, InputHints.None, seed: 7));
        }
    }
}
