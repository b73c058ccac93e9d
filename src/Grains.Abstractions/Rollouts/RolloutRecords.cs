using FleetQuant.Grains.Planning;

namespace FleetQuant.Grains.Rollouts;

/// <summary>
/// Which devices a rollout targets. A device is targeted when its id is listed, or when it matches every given
/// tag (key=value) and, if classes are given, one of the hardware classes. All empty targets the whole fleet.
/// </summary>
[GenerateSerializer, Immutable, Alias("fq.TargetSelector")]
public sealed record TargetSelector(
    [property: Id(0)] IReadOnlyDictionary<string, string> Tags,
    [property: Id(1)] IReadOnlyList<string> HardwareClasses,
    [property: Id(2)] IReadOnlyList<string> DeviceIds)
{
    public static readonly TargetSelector All = new(new Dictionary<string, string>(), [], []);
}

/// <summary>One wave: a device count, or a percentage of all targets (exactly one is set).</summary>
[GenerateSerializer, Immutable, Alias("fq.WaveSpec")]
public sealed record WaveSpec(
    [property: Id(0)] int? Count,
    [property: Id(1)] double? Percent)
{
    public static WaveSpec Devices(int count) => new(count, null);

    public static WaveSpec PercentOf(double percent) => new(null, percent);
}

/// <summary>What happens when a wave's failures cross the threshold.</summary>
[GenerateSerializer, Alias("fq.FailureAction")]
public enum FailureAction
{
    Pause,
    Abort,
}

/// <summary>
/// Before the next wave starts: the current wave must have soaked this long after reaching its success threshold,
/// and its devices' telemetry must not have regressed beyond the limits against devices still on the previous
/// version (null limits are not checked).
/// </summary>
[GenerateSerializer, Immutable, Alias("fq.HealthGate")]
public sealed record HealthGate(
    [property: Id(0)] TimeSpan MinimumSoak,
    [property: Id(1)] double? MaxLatencyRegression,
    [property: Id(2)] double? MaxConfidenceDrop);

/// <summary>Everything an operator chooses when creating a rollout.</summary>
[GenerateSerializer, Immutable, Alias("fq.RolloutSpec")]
public sealed record RolloutSpec(
    [property: Id(0)] string ModelId,
    [property: Id(1)] string Version,
    [property: Id(2)] TargetSelector Selector,
    [property: Id(3)] IReadOnlyList<WaveSpec> Waves,
    [property: Id(4)] double SuccessThreshold,
    [property: Id(5)] double FailureThreshold,
    [property: Id(6)] FailureAction OnFailure,
    [property: Id(7)] HealthGate? Health,
    [property: Id(8)] long? BandwidthBytesPerMinute,
    [property: Id(9)] PlanPolicyInfo Policy);

[GenerateSerializer, Alias("fq.RolloutState")]
public enum RolloutState
{
    Pending,
    Running,
    Paused,
    Completed,
    Aborted,
    RolledBack,
}

/// <summary>Where one targeted device is within a rollout.</summary>
[GenerateSerializer, Alias("fq.DeviceRolloutStatus")]
public enum DeviceRolloutStatus
{
    Waiting,
    Dispatched,
    Succeeded,
    Failed,
    Unfit,
    RolledBack,

    /// <summary>Left alone by the rollback: the device had moved on to another rollout's version, or had nothing to go back to.</summary>
    RollbackSkipped,
}

/// <summary>A rollout's progress as an operator sees it.</summary>
[GenerateSerializer, Immutable, Alias("fq.RolloutView")]
public sealed record RolloutView(
    [property: Id(0)] string RolloutId,
    [property: Id(1)] RolloutSpec? Spec,
    [property: Id(2)] RolloutState State,
    [property: Id(3)] string? Reason,
    [property: Id(4)] int CurrentWave,
    [property: Id(5)] int WaveCount,
    [property: Id(6)] int Targets,
    [property: Id(7)] IReadOnlyDictionary<DeviceRolloutStatus, int> Counts,
    [property: Id(8)] long PlannedBytes,
    [property: Id(9)] string? Hold);
