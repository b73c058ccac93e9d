using System.Diagnostics;
using System.Security.Cryptography;
using FleetQuant.Compression.Artifacts;
using FleetQuant.Compression.Deltas;
using FleetQuant.DeviceAgent.Inference;
using FleetQuant.DeviceAgent.Storage;
using FleetQuant.DeviceAgent.Transfer;
using FleetQuant.Protocol.Manifests;
using FleetQuant.Protocol.Messages;
using Microsoft.Extensions.Logging;

namespace FleetQuant.DeviceAgent.Updates;

/// <summary>
/// Takes a desired-state manifest to a running model: verify the manifest, fetch the delta (or the whole
/// artifact), rebuild and verify the artifact, decode it, load it in ONNX Runtime, smoke-test it, write it
/// durably and only then switch to it. Any failure leaves the device on the model it had, and says why.
/// </summary>
public sealed class UpdateApplier(
    string deviceId,
    ModelStore store,
    ModelRunner runner,
    ManifestVerifier verifier,
    Func<TransferObject, CancellationToken, Task<byte[]>> fetch,
    Func<UpdateReport, Task> report,
    IUpdateFaultHook faults,
    ILogger logger)
{
    private readonly SemaphoreSlim _oneAtATime = new(1, 1);

    /// <summary>Bytes the device downloaded for updates since it started.</summary>
    public long BytesDownloaded { get; private set; }

    /// <summary>Boots the newest intact model from disk, if any.</summary>
    public void Boot()
    {
        var bootable = store.Bootable();
        if (bootable is null)
        {
            return;
        }
        runner.Swap(ModelRunner.Load(File.ReadAllBytes(store.ModelPath(bootable.ArtifactSha256))), bootable.ArtifactSha256, bootable.InputHints);
        if (bootable != store.State.Current)
        {
            // The current model was lost (e.g. power cut mid-write): the previous one is what we run now.
            store.Update(s => s with { Current = bootable, Previous = null });
        }
    }

    public async Task HandleDesiredAsync(byte[] payload, CancellationToken cancellationToken)
    {
        await _oneAtATime.WaitAsync(cancellationToken);
        try
        {
            await ApplyAsync(payload, cancellationToken);
        }
        finally
        {
            _oneAtATime.Release();
        }
    }

    /// <summary>Returns to the previous model (an operator command); reports what happened.</summary>
    public async Task RollbackAsync(CancellationToken cancellationToken)
    {
        await _oneAtATime.WaitAsync(cancellationToken);
        try
        {
            var state = store.State;
            if (state.Previous is null || !store.IsIntact(state.Previous))
            {
                await report(new UpdateReport { Release = state.LastAcceptedRelease, Stage = UpdateStage.Failed, Reason = "no previous model to roll back to", ArtifactSha256 = state.Current?.ArtifactSha256 });
                return;
            }
            var previous = state.Previous;
            runner.Swap(ModelRunner.Load(File.ReadAllBytes(store.ModelPath(previous.ArtifactSha256))), previous.ArtifactSha256, previous.InputHints);
            store.Update(s => s with { Current = previous, Previous = s.Current });
            await report(new UpdateReport { Release = state.LastAcceptedRelease, Stage = UpdateStage.RolledBack, ArtifactSha256 = previous.ArtifactSha256, Reason = "rolled back by command" });
        }
        finally
        {
            _oneAtATime.Release();
        }
    }

    private async Task ApplyAsync(byte[] payload, CancellationToken cancellationToken)
    {
        var state = store.State;
        var verdict = verifier.Verify(payload, deviceId, state.LastAcceptedRelease, state.Trust);
        if (verdict.Trust is { } trust && trust.RotationVersion > (state.Trust?.RotationVersion ?? 0))
        {
            // Persisted before anything else, also when the manifest itself is refused: the rotations verified.
            store.Update(s => s with { Trust = trust });
            logger.LogInformation("{Device} now trusts manifest key {KeyId} (rotation {Version})", deviceId, trust.KeyId, trust.RotationVersion);
            state = store.State;
        }
        if (!verdict.Accepted)
        {
            // The retained manifest of the release already installed comes back on every reconnect: not news.
            if (verdict.Rejection != ManifestRejection.Replayed || !IsInstalledRelease(payload))
            {
                logger.LogWarning("{Device} rejected manifest: {Reason}", deviceId, verdict.Message);
                await report(new UpdateReport { Release = state.LastAcceptedRelease, Stage = UpdateStage.Rejected, Reason = verdict.Message, ArtifactSha256 = state.Current?.ArtifactSha256 });
            }
            return;
        }

        var manifest = verdict.Manifest!;
        faults.AtCheckpoint(UpdateCheckpoint.Accepted);
        var watch = Stopwatch.StartNew();
        var installed = new InstalledModel(manifest.Artifact.Sha256, manifest.ModelId, manifest.ModelVersion, manifest.RecipeId, manifest.Release, manifest.InputHints);
        try
        {
            if (state.Current?.ArtifactSha256 == manifest.Artifact.Sha256 && store.IsIntact(state.Current))
            {
                store.Activate(installed);
                await report(new UpdateReport { Release = manifest.Release, Stage = UpdateStage.Succeeded, ArtifactSha256 = installed.ArtifactSha256, Reason = "already running this artifact" });
                return;
            }

            await report(new UpdateReport { Release = manifest.Release, Stage = UpdateStage.Accepted, BytesTotal = TransferSize(manifest, state) });
            var artifact = await ObtainArtifactAsync(manifest, state, cancellationToken);
            faults.AtCheckpoint(UpdateCheckpoint.Downloaded);

            await report(new UpdateReport { Release = manifest.Release, Stage = UpdateStage.Applying, BytesReceived = BytesDownloaded });
            var onnx = Decode(artifact);
            var session = ModelRunner.Load(onnx);
            try
            {
                if (manifest.SmokeTest is not null)
                {
                    ModelRunner.SmokeTest(session, manifest.SmokeTest);
                }
                faults.AtCheckpoint(UpdateCheckpoint.Verified);
                store.Stage(installed.ArtifactSha256, artifact, onnx);
                faults.AtCheckpoint(UpdateCheckpoint.Staged);
                store.Activate(installed);
                faults.AtCheckpoint(UpdateCheckpoint.Activated);
            }
            catch
            {
                session.Dispose();
                throw;
            }
            runner.Swap(session, installed.ArtifactSha256, installed.InputHints);
            if (runner.WorkloadProblem is { } problem)
            {
                logger.LogWarning("{Device} runs {Artifact} without inputs to infer on: {Reason}", deviceId, installed.ArtifactSha256, problem);
            }
            await report(new UpdateReport
            {
                Release = manifest.Release,
                Stage = UpdateStage.Succeeded,
                ArtifactSha256 = installed.ArtifactSha256,
                BytesReceived = BytesDownloaded,
                Seconds = watch.Elapsed.TotalSeconds,
            });
        }
        catch (Exception ex) when (ex is TransferFailedException or ArtifactException or DeltaException or IOException)
        {
            logger.LogWarning("{Device} update to release {Release} failed: {Reason}", deviceId, manifest.Release, ex.Message);
            // Accept the release as seen so the same broken manifest is not retried forever; a fix comes as a new release.
            store.Update(s => s with { LastAcceptedRelease = Math.Max(s.LastAcceptedRelease, manifest.Release) });
            await report(new UpdateReport { Release = manifest.Release, Stage = UpdateStage.Failed, Reason = ex.Message, ArtifactSha256 = store.State.Current?.ArtifactSha256 });
        }
    }

    private async Task<byte[]> ObtainArtifactAsync(UpdateManifest manifest, AgentState state, CancellationToken cancellationToken)
    {
        if (manifest.Delta is { } delta && state.Current?.ArtifactSha256 == delta.BaseSha256 && store.IsIntact(state.Current))
        {
            var deltaBytes = await fetch(delta.Object, cancellationToken);
            BytesDownloaded += deltaBytes.Length;
            try
            {
                var rebuilt = Patch(store.ArtifactPath(delta.BaseSha256), deltaBytes);
                return Verified(rebuilt, manifest.Artifact);
            }
            catch (Exception ex) when (ex is DeltaException or TransferFailedException)
            {
                logger.LogWarning("{Device} delta did not apply ({Reason}); fetching the whole artifact", deviceId, ex.Message);
            }
        }
        var artifact = await fetch(manifest.Artifact, cancellationToken);
        BytesDownloaded += artifact.Length;
        return Verified(artifact, manifest.Artifact);
    }

    private static byte[] Patch(string basePath, byte[] delta)
    {
        using var baseStream = File.OpenRead(basePath);
        using var deltaStream = new MemoryStream(delta, writable: false);
        using var output = new MemoryStream();
        DeltaDecoder.Apply(baseStream, deltaStream, output);
        return output.ToArray();
    }

    private static byte[] Decode(byte[] artifact)
    {
        using var input = new MemoryStream(artifact, writable: false);
        using var output = new MemoryStream();
        ArtifactReader.Unpack(input, output);
        return output.ToArray();
    }

    private static byte[] Verified(byte[] artifact, TransferObject expected)
    {
        if (artifact.LongLength != expected.Size || Convert.ToHexStringLower(SHA256.HashData(artifact)) != expected.Sha256)
        {
            throw new TransferFailedException($"artifact does not match the manifest ({artifact.Length} bytes, expected {expected.Size} with hash {expected.Sha256[..12]}…)");
        }
        return artifact;
    }

    private static long TransferSize(UpdateManifest manifest, AgentState state) =>
        manifest.Delta is { } delta && state.Current?.ArtifactSha256 == delta.BaseSha256 ? delta.Object.Size : manifest.Artifact.Size;

    private bool IsInstalledRelease(byte[] payload)
    {
        try
        {
            var signed = ProtocolJson.Deserialize<SignedManifest>(payload);
            var manifest = ProtocolJson.Deserialize<UpdateManifest>(System.Text.Encoding.UTF8.GetBytes(signed.Payload));
            return manifest.Artifact.Sha256 == store.State.Current?.ArtifactSha256;
        }
        catch (ProtocolException)
        {
            return false;
        }
    }
}
