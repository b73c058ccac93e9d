using System.Text.Json.Serialization;

namespace FleetQuant.Api.Contracts;

/// <summary>
/// Which devices a rollout targets. A device is targeted when its id is listed, or when it matches every given
/// tag (key=value) and, if classes are given, one of the hardware classes. All empty targets the whole fleet.
/// </summary>
public sealed record TargetSelector(
    IReadOnlyDictionary<string, string> Tags,
    IReadOnlyList<string> HardwareClasses,
    IReadOnlyList<string> DeviceIds);

/// <summary>One wave: a device count, or a percentage of all targets (exactly one is set).</summary>
public sealed record WaveSpec(int? Count, double? Percent)
{
    public static WaveSpec Devices(int count) => new(count, null);

    public static WaveSpec PercentOf(double percent) => new(null, percent);
}

/// <summary>What happens when a wave's failures cross the threshold.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<FailureAction>))]
public enum FailureAction
{
    Pause,
    Abort,
}

/// <summary>
/// Before the next wave starts: the current wave must have soaked this long after reaching its success threshold,
/// and its devices' telemetry must not have regressed beyond the limits (null limits are not checked).
/// </summary>
public sealed record HealthGate(TimeSpan MinimumSoak, double? MaxLatencyRegression, double? MaxConfidenceDrop);

/// <summary>The operator's limits for choosing a recipe per device; unset fields take the defaults shown.</summary>
public sealed record PlanPolicyInfo(double MaxTransferSeconds = 600, double MaxAccuracyDrop = 0.02, double? MinAccuracy = null);

/// <summary>Everything an operator chose when creating a rollout.</summary>
public sealed record RolloutSpec(
    string ModelId,
    string Version,
    TargetSelector Selector,
    IReadOnlyList<WaveSpec> Waves,
    double SuccessThreshold,
    double FailureThreshold,
    FailureAction OnFailure,
    HealthGate? Health,
    long? BandwidthBytesPerMinute,
    PlanPolicyInfo Policy);

/// <summary>Where a rollout is: Completed, Aborted and RolledBack are final.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<RolloutState>))]
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
[JsonConverter(typeof(JsonStringEnumConverter<DeviceRolloutStatus>))]
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

/// <summary>A rollout's progress; <see cref="Hold"/> says what it waits for, <see cref="Reason"/> why it stopped.</summary>
public sealed record RolloutView(
    string RolloutId,
    RolloutSpec? Spec,
    RolloutState State,
    string? Reason,
    int CurrentWave,
    int WaveCount,
    int Targets,
    IReadOnlyDictionary<DeviceRolloutStatus, int> Counts,
    long PlannedBytes,
    string? Hold);

/// <summary><c>POST /api/rollouts</c>: a rollout as an operator asks for it; unset fields take the defaults shown.</summary>
public sealed record CreateRolloutRequest
{
    /// <summary>Optional id; generated when missing.</summary>
    public string? RolloutId { get; init; }

    public required string ModelId { get; init; }

    /// <summary>The model version: a positive integer, sent as a number or a numeric string.</summary>
    [JsonConverter(typeof(PositiveIntegerTextConverter))]
    public required string Version { get; init; }

    public Dictionary<string, string> Tags { get; init; } = [];

    public List<string> HardwareClasses { get; init; } = [];

    public List<string> DeviceIds { get; init; } = [];

    /// <summary>Waves as device counts or percentages; one wave of 100% when empty.</summary>
    public List<WaveSpec> Waves { get; init; } = [];

    public double SuccessThreshold { get; init; } = 0.9;

    public double FailureThreshold { get; init; } = 0.2;

    public FailureAction OnFailure { get; init; } = FailureAction.Pause;

    public HealthGate? Health { get; init; }

    public long? BandwidthBytesPerMinute { get; init; }

    public PlanPolicyInfo? Policy { get; init; }
}

/// <summary>Why an operator paused, aborted or rolled back a rollout.</summary>
public sealed record RolloutActionRequest
{
    public string? Reason { get; init; }
}

/// <summary>
/// <c>GET /api/rollouts</c>: one page of rollouts, newest first; pass <see cref="Next"/> as <c>after</c> for older ones
/// (null: this is the last page).
/// </summary>
public sealed record RolloutListResponse(IReadOnlyList<RolloutView> Rollouts, string? Next);
