using FleetQuant.Grains.Devices;
using FleetQuant.Grains.Fleet;
using FleetQuant.Grains.Models;
using FleetQuant.Grains.Planning;
using FleetQuant.Grains.Rollouts;
using Contract = FleetQuant.Api.Contracts;

namespace FleetQuant.Gateway.Api;

/// <summary>
/// Grain records to the HTTP contract (<c>FleetQuant.Api.Contracts</c>) and back: the grains' records keep their
/// Orleans shape, the API keeps its JSON shape, and a change to one shows up here instead of on the wire.
/// </summary>
public static class ContractMapping
{
    public static RolloutSpec ToSpec(this Contract.CreateRolloutRequest request) => new(request.ModelId, request.Version,
        new TargetSelector(request.Tags, request.HardwareClasses, request.DeviceIds),
        request.Waves.Count > 0 ? [.. request.Waves.Select(w => new WaveSpec(w.Count, w.Percent))] : [WaveSpec.PercentOf(100)],
        request.SuccessThreshold, request.FailureThreshold, SameName<Contract.FailureAction, FailureAction>(request.OnFailure),
        request.Health is { } h ? new HealthGate(h.MinimumSoak, h.MaxLatencyRegression, h.MaxConfidenceDrop) : null,
        request.BandwidthBytesPerMinute,
        request.Policy is { } p ? new PlanPolicyInfo(p.MaxTransferSeconds, p.MaxAccuracyDrop, p.MinAccuracy) : new PlanPolicyInfo());

    public static Contract.RolloutView ToContract(this RolloutView v) => new(v.RolloutId, v.Spec?.ToContract(),
        SameName<RolloutState, Contract.RolloutState>(v.State), v.Reason, v.CurrentWave, v.WaveCount, v.Targets,
        v.Counts.ToDictionary(c => SameName<DeviceRolloutStatus, Contract.DeviceRolloutStatus>(c.Key), c => c.Value), v.PlannedBytes, v.Hold);

    public static Contract.RolloutSpec ToContract(this RolloutSpec s) => new(s.ModelId, s.Version,
        new Contract.TargetSelector(s.Selector.Tags, s.Selector.HardwareClasses, s.Selector.DeviceIds),
        [.. s.Waves.Select(w => new Contract.WaveSpec(w.Count, w.Percent))], s.SuccessThreshold, s.FailureThreshold,
        SameName<FailureAction, Contract.FailureAction>(s.OnFailure),
        s.Health is { } h ? new Contract.HealthGate(h.MinimumSoak, h.MaxLatencyRegression, h.MaxConfidenceDrop) : null,
        s.BandwidthBytesPerMinute, new Contract.PlanPolicyInfo(s.Policy.MaxTransferSeconds, s.Policy.MaxAccuracyDrop, s.Policy.MinAccuracy));

    public static Contract.DeviceSummary ToContract(this DeviceSummary d) =>
        new(d.DeviceId, d.HardwareClass, d.Tags, SameName<DeviceState, Contract.DeviceState>(d.State), d.ModelId, d.Version, d.RecipeId);

    public static Contract.DeviceView ToContract(this DeviceView d) => new(d.DeviceId, d.Profile?.ToContract(),
        SameName<DeviceState, Contract.DeviceState>(d.State), d.CurrentArtifactHash, d.Desired?.ToContract(), d.LastPlan?.ToContract(),
        d.Telemetry.ToContract(), [.. d.History.Select(ToContract)], d.LastSeen,
        d.Connection is { } c ? new Contract.DeviceConnection(c.Online, c.Since) : null);

    public static Contract.ModelView ToContract(this ModelView m) => new(m.ModelId, [.. m.Versions.Select(ToContract)]);

    public static Contract.ModelVersionView ToContract(this ModelVersionView v) => new(v.Version, v.Source.ToContract(), v.EvalSetHash,
        SameName<ModelStatus, Contract.ModelStatus>(v.Status), v.FailureReason, v.Ladder?.ToContract(),
        v.Artifacts.ToDictionary(a => a.Key, a => a.Value.ToContract(), StringComparer.Ordinal), v.UploadedAt, v.CalibrationSetHash,
        v.InputHints is { } hints
            ? new Contract.InputHintsInfo(hints.Shapes, hints.Values, hints.Ranges.ToDictionary(r => r.Key, r => new Contract.ValueRangeInfo(r.Value.Low, r.Value.High), StringComparer.Ordinal))
            : null);

    public static Contract.LadderInfo ToContract(this LadderInfo l) => new(l.Metric,
        new Contract.LadderBaselineInfo(l.Baseline.WireBytes, l.Baseline.RuntimeBytes, l.Baseline.Accuracy, l.Baseline.LatencyMs),
        [.. l.Rungs.Select(ToContract)], l.EvalSamples,
        l.Inputs?.Select(i => new Contract.LadderInputInfo(i.Name, i.ElementType, i.SampleShape, i.Source, i.Hint)).ToList(),
        l.Outputs?.Select(o => new Contract.LadderOutputInfo(o.Name, o.Kind)).ToList());

    private static Contract.LadderRung ToContract(LadderRung r) => new(r.Id, r.WeightBits, r.PruneRatio, r.WireBytes, r.RuntimeBytes,
        r.Accuracy, r.AccuracyDrop, r.LatencyMs, r.Pareto, r.RecipeJson, r.Cosine, r.Error, r.MaxAbsError, r.Unchanged, r.LeftExact,
        r.OutputFidelity?.Select(f => new Contract.OutputFidelityInfo(f.Name, f.Kind, f.Top1Agreement, f.Cosine, f.MaxAbsError, f.MeanAbsError)).ToList());

    private static Contract.StoredBlob ToContract(this StoredBlob b) => new(b.Hash, b.Bytes);

    private static Contract.DeviceProfileInfo ToContract(this DeviceProfileInfo p) => new(p.DeviceId, p.HardwareClass, p.Arch, p.CpuCores,
        p.CpuFeatures, p.RamBytes, p.ModelMemoryBudgetBytes, p.StorageBytes, p.BandwidthBitsPerSecond, p.DataCapBytesPerMonth, p.OrtVersion,
        p.AgentVersion, p.Tags);

    private static Contract.DesiredState ToContract(this DesiredState d) => new(d.ModelId, d.Version, d.RecipeId, d.ArtifactHash,
        d.ArtifactBytes, d.Delta is { } delta ? new Contract.DeltaTransfer(delta.BaseHash, delta.DeltaHash, delta.DeltaBytes) : null,
        d.Release, d.RolloutId, d.Reason, d.IssuedAt, d.TargetArch);

    private static Contract.DevicePlan ToContract(this DevicePlan p) => new(p.Unfit, p.RecipeId,
        p.Transfer is { } t ? SameName<TransferMode, Contract.TransferMode>(t) : null, p.Bytes, p.Seconds, p.Reason);

    private static Contract.TelemetryAggregates ToContract(this TelemetryAggregates t) => new(t.Reports, t.Inferences, t.Errors,
        t.LatencyP50Ms, t.LatencyP95Ms, t.PeakMemoryBytes, t.MeanTop1Confidence, t.DownloadBitsPerSecond);

    private static Contract.UpdateHistoryEntry ToContract(UpdateHistoryEntry h) =>
        new(h.Release, h.ModelId, h.Version, h.RecipeId, h.RolloutId, h.Succeeded, h.Error, h.At);

    /// <summary>
    /// An enum value to the other side's member of the same name: the wire carries names, so names are what must agree
    /// (a test pins that every member has its counterpart).
    /// </summary>
    public static TTo SameName<TFrom, TTo>(TFrom value) where TFrom : struct, Enum where TTo : struct, Enum =>
        Enum.Parse<TTo>(value.ToString());
}
