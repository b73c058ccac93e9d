using FleetQuant.Grains.Compression;
using FleetQuant.Grains.Fleet;
using FleetQuant.Grains.Gateway;
using FleetQuant.Grains.Hosting;
using FleetQuant.Grains.Models;
using FleetQuant.Grains.Observability;
using FleetQuant.Grains.Planning;
using FleetQuant.Grains.Rollouts;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FleetQuant.Grains.Devices;

/// <summary>
/// One device: profile, credentials, telemetry window, what it runs and what it should run. Planning happens
/// here when a rollout assigns a model version. Telemetry is buffered and written periodically (and on
/// deactivation) so a chatty device does not cost a storage write per report.
/// </summary>
public sealed class DeviceGrain(
    [PersistentState("device", StorageNames.Devices)] IPersistentState<DeviceGrainState> state,
    FleetClock clock,
    IOptions<DeviceOptions> options,
    ILogger<DeviceGrain> logger) : Grain, IDeviceGrain
{
    private readonly DeviceOptions _options = options.Value;
    private static readonly IReadOnlyDictionary<string, string> EmptyTags = new Dictionary<string, string>();

    private bool _telemetryDirty;
    private bool _ownershipLogged;
    private DateTimeOffset _lastTelemetryWrite;

    private string DeviceId => this.GetPrimaryKeyString();

    private const int MaxTags = 32;

    /// <summary>Transfer objects whose served bytes are remembered (the desired artifact, its delta, and a few before).</summary>
    private const int ServedObjectsKept = 4;

    private DeviceGrainState S => state.State;

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (_telemetryDirty)
        {
            await state.WriteStateAsync(cancellationToken);
        }
    }

    public async Task<ProvisionResult> Provision(ProvisionRequest request)
    {
        CheckProfile(request.Profile);
        CheckOperatorOwned(request.Profile);
        if (S.Profile is not null)
        {
            // Provisioning again would silently replace the secret and overwrite the profile of a live device.
            throw new DeviceAlreadyProvisionedException(DeviceId);
        }
        var secret = request.Secret ?? DeviceSecret.Generate();
        var (salt, hash) = DeviceSecret.Protect(secret);
        S.Profile = StoredForms.Of(request.Profile);
        S.SecretSalt = salt;
        S.SecretHash = hash;
        await SaveAsync(indexChanged: true);
        return new ProvisionResult(DeviceId, secret);
    }

    public async Task<ProvisionResult> RotateSecret()
    {
        RequireProvisioned();
        var secret = DeviceSecret.Generate();
        (S.SecretSalt, S.SecretHash) = DeviceSecret.Protect(secret);
        await SaveAsync(indexChanged: false);
        try
        {
            await GrainFactory.GetGrain<IGatewayDirectoryGrain>(GatewayDirectory.ShardOf(DeviceId)).RevokeCredentials(DeviceId);
        }
        catch (Exception ex)
        {
            // The new secret is stored: Gateways that were not told stop trusting the old one within their credential cache time.
            logger.LogWarning("could not tell the Gateways that the secret of {Device} changed: {Reason}", DeviceId, ex.Message);
        }
        return new ProvisionResult(DeviceId, secret);
    }

    public Task<bool> VerifyCredentials(string secret) => Task.FromResult(DeviceSecret.Verify(secret, S.SecretSalt, S.SecretHash));

    public async Task<DesiredState?> Hello(DeviceHello hello)
    {
        RequireProvisioned();
        if (hello.Profile.DeviceId != DeviceId)
        {
            throw new ArgumentException($"profile is for device '{hello.Profile.DeviceId}' but was sent to '{DeviceId}'");
        }
        var stored = S.Profile!;
        if (!_ownershipLogged && (stored.HardwareClass != hello.Profile.HardwareClass || !TagsEqual(stored.Tags, hello.Profile.Tags ?? EmptyTags)))
        {
            // Class and tags are the operator's (provisioning, the API): a hello cannot move the device into other rollouts.
            _ownershipLogged = true;
            logger.LogInformation("hello of {Device} claims another hardware class or tags; keeping the provisioned class '{Class}' and tags",
                DeviceId, stored.HardwareClass);
        }
        (S.Profile, var dropped) = DeviceBounds.Merge(stored, hello.Profile);
        CountOutOfRange(dropped, "hello");
        var indexChanged = false;
        if (hello.CurrentArtifactHash is { } claimed && !DeviceBounds.IsArtifactHash(claimed))
        {
            CountOutOfRange(1, "hello");
            hello = hello with { CurrentArtifactHash = S.CurrentArtifactHash };
        }
        S.LastSeen = clock.UtcNow;
        if (hello.CurrentArtifactHash != S.CurrentArtifactHash)
        {
            S.CurrentArtifactHash = hello.CurrentArtifactHash;
            S.Current = S.Current?.ArtifactHash == hello.CurrentArtifactHash ? S.Current : null;
            S.Telemetry.Clear();
            indexChanged = true;
        }
        if (S.Desired is { } desired && desired.ArtifactHash == hello.CurrentArtifactHash && S.State == DeviceState.Updating)
        {
            // The device applied the update but its result report was lost: take the hello as the result.
            await CompleteAsync(desired, succeeded: true, error: null);
            return S.Desired;
        }
        await SaveAsync(indexChanged);
        return S.Desired;
    }

    public async Task ReportTelemetry(TelemetryReport report)
    {
        RequireProvisioned();
        (report, var dropped) = DeviceBounds.Sanitize(report);
        CountOutOfRange(dropped, "telemetry");
        var now = clock.UtcNow;
        S.LastSeen = now;
        TelemetryWindow.Add(S.Telemetry,
            new TelemetryWindowEntry(now, [.. report.LatenciesMs], report.Errors, report.MemoryBytes, report.MeanTop1Confidence, report.DownloadBitsPerSecond,
                report.Inferences),
            now, _options.TelemetryWindow, _options.TelemetryReportsKept);
        _telemetryDirty = true;
        FleetQuantMetrics.RecordTelemetry(S.Current?.ModelId, S.Current?.Version, S.Current?.RecipeId, report.LatenciesMs, report.MeanTop1Confidence);
        if (now - _lastTelemetryWrite >= _options.TelemetryFlushPeriod)
        {
            await SaveAsync(indexChanged: false);
        }
    }

    public async Task ReportUpdate(UpdateProgress progress)
    {
        RequireProvisioned();
        if (!DeviceBounds.IsByteCount(progress.BytesReceived))
        {
            CountOutOfRange(1, "update report");
            progress = progress with { BytesReceived = 0 };
        }
        if (S.Desired is not { } desired || progress.Release != desired.Release)
        {
            logger.LogDebug("device {Device} reported release {Release}, desired is {Desired}; ignored", DeviceId, progress.Release, S.Desired?.Release);
            return;
        }
        if (S.History.Any(h => h.Release == desired.Release))
        {
            return; // already settled: a repeated report must not count twice
        }
        switch (progress.Status)
        {
            case UpdateStatus.Succeeded:
                await CompleteAsync(desired, succeeded: true, error: null);
                break;
            case UpdateStatus.Failed:
                await CompleteAsync(desired, succeeded: false, error: progress.Error ?? "device reported failure without a reason");
                break;
            default:
                S.LastSeen = clock.UtcNow;
                break;
        }
    }

    public Task RecordChunkServed(string objectSha256, long offset, long length)
    {
        if (S.Desired is not { } desired || offset < 0 || length <= 0 || length > DeviceBounds.MaxStorageBytes - offset
            || (objectSha256 != desired.ArtifactHash && objectSha256 != desired.Delta?.DeltaHash))
        {
            return Task.CompletedTask;
        }
        var index = S.Served.FindIndex(o => o.ObjectHash == objectSha256);
        // Null in state written before ranges were kept.
        var ranges = index < 0 ? [] : S.Served[index].Ranges ?? [];
        if (index >= 0)
        {
            S.Served.RemoveAt(index);
        }
        S.Served.Add(new ServedObject(objectSha256, ServedRanges.Add(ranges, offset, offset + length)));
        if (S.Served.Count > ServedObjectsKept)
        {
            S.Served.RemoveAt(0);
        }
        // Buffered like telemetry (written with the next save or on deactivation): a grain write per chunk would cost more than the chunk.
        _telemetryDirty = true;
        return Task.CompletedTask;
    }

    public async Task ReportConnection(bool online)
    {
        RequireProvisioned();
        if (S.Connection?.Online == online)
        {
            // A retained status delivered again (the bridge resubscribed): keep when the state began.
            return;
        }
        var now = clock.UtcNow;
        if (online)
        {
            S.LastSeen = now;
        }
        S.Connection = new DeviceConnection(online, now);
        await SaveAsync(indexChanged: false);
    }

    public Task<DesiredState?> GetDesiredState() => Task.FromResult(S.Desired);

    public Task<TelemetryAggregates> GetTelemetry()
    {
        TelemetryWindow.Prune(S.Telemetry, clock.UtcNow, _options.TelemetryWindow, _options.TelemetryReportsKept);
        return Task.FromResult(TelemetryWindow.Aggregate(S.Telemetry));
    }

    public async Task<DeviceView> GetView() =>
        new(DeviceId, S.Profile, S.State, S.CurrentArtifactHash, S.Desired, S.LastPlan, await GetTelemetry(), S.History.ToList(), S.LastSeen, S.Connection);

    public async Task<AssignmentResult> Assign(ModelAssignment assignment)
    {
        if (S.Profile is not { } profile)
        {
            return new AssignmentResult(Unfit($"device '{DeviceId}' is not provisioned"), null, false);
        }
        // A rollout sending the same assignment again (after a failover, or resuming from its last saved progress) gets
        // the update already on its way: issuing it anew would bump the release and restart the device's download.
        if (assignment.RolloutId is { } rolloutId && S.State == DeviceState.Updating && S.LastPlan is { } lastPlan
            && S.Desired is { } pending && pending.RolloutId == rolloutId && pending.ModelId == assignment.ModelId
            && pending.Version == assignment.Version)
        {
            return new AssignmentResult(lastPlan, pending, false);
        }
        var model = GrainFactory.GetGrain<IModelGrain>(assignment.ModelId);
        var ladder = assignment.Ladder ?? await model.GetLadder(assignment.Version);
        var sameModel = S.Current is { } current && current.ModelId == assignment.ModelId ? S.Current : null;
        var plan = CompressionEngine.Plan(profile, ladder, assignment.Policy, sameModel?.RecipeId, null);
        S.LastPlan = plan;
        if (plan.Unfit || plan.RecipeId is null)
        {
            S.State = DeviceState.Unfit;
            await SaveAsync(indexChanged: true);
            return new AssignmentResult(plan, null, false);
        }

        var artifact = await model.GetArtifact(assignment.Version, plan.RecipeId);
        if (S.CurrentArtifactHash == artifact.Hash)
        {
            S.State = DeviceState.UpToDate;
            await SaveAsync(indexChanged: true);
            return new AssignmentResult(plan with { Bytes = 0, Seconds = 0, Reason = plan.Reason + "; already running this artifact" }, S.Desired, true);
        }

        DeltaTransfer? delta = null;
        if (sameModel is not null && S.CurrentArtifactHash is { } baseHash)
        {
            delta = await TryDeltaAsync(model, baseHash, artifact);
            if (delta is not null)
            {
                var seconds = profile.BandwidthBitsPerSecond > 0 ? delta.DeltaBytes * 8.0 / profile.BandwidthBitsPerSecond : plan.Seconds;
                plan = plan with
                {
                    Transfer = TransferMode.Delta,
                    Bytes = delta.DeltaBytes,
                    Seconds = seconds,
                    Reason = $"{plan.Reason}; delta from the current artifact: {delta.DeltaBytes} bytes instead of {artifact.Bytes}",
                };
                S.LastPlan = plan;
            }
        }

        S.Previous = S.Current;
        var installed = new InstalledModel(assignment.ModelId, assignment.Version, plan.RecipeId, artifact.Hash, artifact.Bytes);
        var desired = IssueDesired(installed, delta, assignment.RolloutId, plan.Reason);
        await SaveAsync(indexChanged: true);
        await PushDesiredAsync(desired);
        return new AssignmentResult(plan, desired, false);
    }

    public async Task<DesiredState?> RollBack(string rolloutId)
    {
        if (S.Desired?.RolloutId != rolloutId || S.Previous is not { } previous)
        {
            return null;
        }
        DeltaTransfer? delta = null;
        if (S.CurrentArtifactHash is { } baseHash && baseHash != previous.ArtifactHash)
        {
            delta = await TryDeltaAsync(GrainFactory.GetGrain<IModelGrain>(previous.ModelId), baseHash, new StoredBlob(previous.ArtifactHash, previous.ArtifactBytes));
        }
        S.Previous = null;
        var desired = IssueDesired(previous, delta, rolloutId, $"rolled back by {rolloutId} to {previous.ModelId} {previous.Version} ({previous.RecipeId})");
        if (S.CurrentArtifactHash == previous.ArtifactHash)
        {
            S.Current = previous;
            S.State = DeviceState.UpToDate;
        }
        await SaveAsync(indexChanged: true);
        await PushDesiredAsync(desired);
        return desired;
    }

    public Task<DeviceRolloutStatus> GetRolloutStatus(string rolloutId)
    {
        if (S.Desired?.RolloutId != rolloutId)
        {
            return Task.FromResult(DeviceRolloutStatus.Waiting);
        }
        var settled = S.History.FirstOrDefault(h => h.Release == S.Desired.Release);
        return Task.FromResult(settled switch
        {
            null => DeviceRolloutStatus.Dispatched,
            { Succeeded: true } => DeviceRolloutStatus.Succeeded,
            _ => DeviceRolloutStatus.Failed,
        });
    }

    /// <summary>
    /// Hands the new desired state (already persisted, so its release is never reused) to a Gateway to publish.
    /// One-way: a connected device gets it at once, an offline one on its next hello.
    /// </summary>
    private Task PushDesiredAsync(DesiredState desired) => GrainFactory.GetGrain<IManifestGrain>(0).Publish(DeviceId, desired);

    private DesiredState IssueDesired(InstalledModel target, DeltaTransfer? delta, string? rolloutId, string reason)
    {
        S.Release++;
        S.Desired = new DesiredState(target.ModelId, target.Version, target.RecipeId, target.ArtifactHash, target.ArtifactBytes,
            delta, S.Release, rolloutId, reason, clock.UtcNow, S.Profile?.Arch);
        S.State = S.CurrentArtifactHash == target.ArtifactHash ? DeviceState.UpToDate : DeviceState.Updating;
        return S.Desired;
    }

    private async Task<DeltaTransfer?> TryDeltaAsync(IModelGrain model, string baseHash, StoredBlob target)
    {
        try
        {
            var delta = await model.GetDelta(baseHash, target.Hash);
            return delta.Bytes < target.Bytes ? new DeltaTransfer(baseHash, delta.Hash, delta.Bytes) : null;
        }
        catch (Exception ex)
        {
            // A delta is an optimisation: when it cannot be built (base not in the store, unrelated formats) send the full artifact.
            logger.LogInformation("no delta {Base}→{Target} for {Device}: {Reason}", baseHash, target.Hash, DeviceId, ex.Message);
            return null;
        }
    }

    private async Task CompleteAsync(DesiredState desired, bool succeeded, string? error)
    {
        if (succeeded && UnverifiedSuccess(desired) is { } unverified)
        {
            // Claimed without the bytes: flagged in the history and counted as failed, never as a rollout success.
            FleetQuantMetrics.RecordRejection(RejectionReason.UnverifiedSuccess);
            logger.LogWarning("device {Device} reported success for release {Release} unverified: {Reason}", DeviceId, desired.Release, unverified);
            succeeded = false;
            error = unverified;
        }
        var now = clock.UtcNow;
        S.LastSeen = now;
        S.History.Add(new UpdateHistoryEntry(desired.Release, desired.ModelId, desired.Version, desired.RecipeId, desired.RolloutId, succeeded, error, now));
        if (S.History.Count > _options.HistoryKept)
        {
            S.History.RemoveRange(0, S.History.Count - _options.HistoryKept);
        }
        if (succeeded)
        {
            S.Current = new InstalledModel(desired.ModelId, desired.Version, desired.RecipeId, desired.ArtifactHash, desired.ArtifactBytes);
            S.CurrentArtifactHash = desired.ArtifactHash;
            S.State = DeviceState.UpToDate;
            // The window describes the artifact the device runs: start afresh for the new one.
            S.Telemetry.Clear();
        }
        else
        {
            S.State = DeviceState.Failed;
        }
        await SaveAsync(indexChanged: true);
        if (desired.RolloutId is { } rolloutId)
        {
            await GrainFactory.GetGrain<IRolloutGrain>(rolloutId).ReportDeviceOutcome(DeviceId, succeeded, error);
        }
        var baseline = succeeded ? await FullDownloadBytesAsync(desired) : 0;
        FleetQuantMetrics.RecordUpdate(new UpdateLabels(desired.ModelId, desired.RecipeId, desired.Delta is not null), succeeded,
            desired.TransferBytes, baseline, now - desired.IssuedAt);
    }

    /// <summary>
    /// Null when a success for <paramref name="desired"/> is backed by evidence: the device already ran that artifact when
    /// it was issued (the grain, not a later claim, holds it as up to date), or the Gateway served it at least the bytes of
    /// the artifact or of its delta. Else why the claim is not believed.
    /// </summary>
    private string? UnverifiedSuccess(DesiredState desired)
    {
        if (S.State == DeviceState.UpToDate && S.CurrentArtifactHash == desired.ArtifactHash)
        {
            return null;
        }
        var artifact = ServedBytes(desired.ArtifactHash);
        var delta = desired.Delta is { } d ? ServedBytes(d.DeltaHash) : 0;
        if (artifact >= desired.ArtifactBytes || (desired.Delta is { } transfer && delta >= transfer.DeltaBytes))
        {
            return null;
        }
        var fetched = desired.Delta is { } dt ? $"{artifact} of {desired.ArtifactBytes} artifact bytes and {delta} of {dt.DeltaBytes} delta bytes"
            : $"{artifact} of {desired.ArtifactBytes} artifact bytes";
        return $"unverified success: the device reported release {desired.Release} installed but was served only {fetched}";
    }

    private long ServedBytes(string objectHash) => S.Served.FirstOrDefault(o => o.ObjectHash == objectHash)?.Bytes ?? 0;

    /// <summary>What the same update would have cost as a plain FP32 download: the version's uncompressed model size.</summary>
    private async Task<long> FullDownloadBytesAsync(DesiredState desired)
    {
        try
        {
            return (await GrainFactory.GetGrain<IModelGrain>(desired.ModelId).GetLadder(desired.Version)).Baseline.WireBytes;
        }
        catch (Exception ex) when (ex is ModelNotReadyException or ModelVersionNotFoundException)
        {
            // Without a ladder there is no measured baseline: count the artifact itself, so no saving is claimed.
            return desired.ArtifactBytes;
        }
    }

    private async Task SaveAsync(bool indexChanged)
    {
        await state.WriteStateAsync();
        _telemetryDirty = false;
        _lastTelemetryWrite = clock.UtcNow;
        if (indexChanged && S.Profile is { } profile)
        {
            var summary = new DeviceSummary(DeviceId, profile.HardwareClass, profile.Tags, S.State, S.Current?.ModelId, S.Current?.Version, S.Current?.RecipeId);
            await GrainFactory.GetGrain<IFleetIndexShardGrain>(FleetShards.ShardOf(DeviceId)).Upsert(summary);
        }
    }

    private void RequireProvisioned()
    {
        if (S.Profile is null)
        {
            throw new DeviceNotProvisionedException(DeviceId);
        }
    }

    private void CheckProfile(DeviceProfileInfo profile)
    {
        if (profile.DeviceId != DeviceId)
        {
            throw new ArgumentException($"profile is for device '{profile.DeviceId}' but was sent to '{DeviceId}'");
        }
        if (string.IsNullOrWhiteSpace(profile.HardwareClass) || profile.CpuCores <= 0 || profile.RamBytes <= 0
            || profile.ModelMemoryBudgetBytes <= 0 || profile.StorageBytes < 0 || profile.BandwidthBitsPerSecond <= 0)
        {
            throw new ArgumentException($"profile of '{DeviceId}' needs a hardware class, positive cores, RAM, model memory budget and bandwidth");
        }
    }

    /// <summary>Class and tags select devices for rollouts and label metrics: bounded where the operator sets them.</summary>
    private static void CheckOperatorOwned(DeviceProfileInfo profile)
    {
        LabelValue.Require(profile.HardwareClass, "hardware class");
        if (profile.Tags.Count > MaxTags)
        {
            throw new ArgumentException($"a device carries at most {MaxTags} tags, got {profile.Tags.Count}");
        }
        foreach (var (key, value) in profile.Tags)
        {
            LabelValue.Require(key, "tag key");
            if (value is null || value.Length > LabelValue.MaxLength)
            {
                throw new ArgumentException($"tag '{key}' needs a value of at most {LabelValue.MaxLength} characters");
            }
        }
    }

    private void CountOutOfRange(int dropped, string what)
    {
        if (dropped == 0)
        {
            return;
        }
        for (var i = 0; i < dropped; i++)
        {
            FleetQuantMetrics.RecordRejection(RejectionReason.OutOfRange);
        }
        logger.LogDebug("dropped {Count} out-of-range values from a {Message} of {Device}", dropped, what, DeviceId);
    }

    private static DevicePlan Unfit(string reason) => new(true, null, null, 0, 0, reason);

    private static bool TagsEqual(IReadOnlyDictionary<string, string> a, IReadOnlyDictionary<string, string> b) =>
        a.Count == b.Count && a.All(kv => b.TryGetValue(kv.Key, out var v) && v == kv.Value);
}
