using FleetQuant.Grains.Planning;

namespace FleetQuant.Grains.Devices;

/// <summary>Registers (or re-registers) a device. A null secret asks the grain to generate one.</summary>
[GenerateSerializer, Immutable, Alias("fq.ProvisionRequest")]
public sealed record ProvisionRequest(
    [property: Id(0)] DeviceProfileInfo Profile,
    [property: Id(1)] string? Secret);

/// <summary>The result of provisioning; <see cref="Secret"/> is shown once and never stored in clear.</summary>
[GenerateSerializer, Immutable, Alias("fq.ProvisionResult")]
public sealed record ProvisionResult(
    [property: Id(0)] string DeviceId,
    [property: Id(1)] string Secret);

/// <summary>What a device says when it connects: its current profile and the artifact it runs (null for none).</summary>
[GenerateSerializer, Immutable, Alias("fq.DeviceHello")]
public sealed record DeviceHello(
    [property: Id(0)] DeviceProfileInfo Profile,
    [property: Id(1)] string? CurrentArtifactHash);

/// <summary>
/// One telemetry report: a batch of inference latencies (bounded, see <see cref="MaxLatencySamples"/>), errors,
/// process memory, mean top-1 confidence over the batch, and the download bandwidth seen since the last report.
/// <see cref="Inferences"/> counts every successful inference when the latencies are only a sample of them
/// (null: one per latency).
/// </summary>
[GenerateSerializer, Immutable, Alias("fq.TelemetryReport")]
public sealed record TelemetryReport(
    [property: Id(0)] IReadOnlyList<double> LatenciesMs,
    [property: Id(1)] int Errors,
    [property: Id(2)] long MemoryBytes,
    [property: Id(3)] double? MeanTop1Confidence,
    [property: Id(4)] long? DownloadBitsPerSecond,
    [property: Id(5)] int? Inferences = null)
{
    public const int MaxLatencySamples = 1024;
}

/// <summary>Aggregates over the device's sliding telemetry window (since its current artifact started).</summary>
[GenerateSerializer, Immutable, Alias("fq.TelemetryAggregates")]
public sealed record TelemetryAggregates(
    [property: Id(0)] int Reports,
    [property: Id(1)] long Inferences,
    [property: Id(2)] long Errors,
    [property: Id(3)] double? LatencyP50Ms,
    [property: Id(4)] double? LatencyP95Ms,
    [property: Id(5)] long? PeakMemoryBytes,
    [property: Id(6)] double? MeanTop1Confidence,
    [property: Id(7)] long? DownloadBitsPerSecond)
{
    public static readonly TelemetryAggregates Empty = new(0, 0, 0, null, null, null, null, null);
}

/// <summary>Where a device is in applying its desired state.</summary>
[GenerateSerializer, Alias("fq.UpdateStatus")]
public enum UpdateStatus
{
    Downloading,
    Applying,
    Succeeded,
    Failed,
}

/// <summary>The device's report on the update for one release of its desired state.</summary>
[GenerateSerializer, Immutable, Alias("fq.UpdateProgress")]
public sealed record UpdateProgress(
    [property: Id(0)] long Release,
    [property: Id(1)] UpdateStatus Status,
    [property: Id(2)] long BytesReceived,
    [property: Id(3)] string? Error);

/// <summary>An optional delta: bytes that turn the device's current artifact into the desired one.</summary>
[GenerateSerializer, Immutable, Alias("fq.DeltaTransfer")]
public sealed record DeltaTransfer(
    [property: Id(0)] string BaseHash,
    [property: Id(1)] string DeltaHash,
    [property: Id(2)] long DeltaBytes);

/// <summary>
/// What the device should run. <see cref="Release"/> increases with every change so a device (and the signed
/// manifest built from this) can refuse a replayed older state.
/// </summary>
[GenerateSerializer, Immutable, Alias("fq.DesiredState")]
public sealed record DesiredState(
    [property: Id(0)] string ModelId,
    [property: Id(1)] string Version,
    [property: Id(2)] string RecipeId,
    [property: Id(3)] string ArtifactHash,
    [property: Id(4)] long ArtifactBytes,
    [property: Id(5)] DeltaTransfer? Delta,
    [property: Id(6)] long Release,
    [property: Id(7)] string? RolloutId,
    [property: Id(8)] string Reason,
    [property: Id(9)] DateTimeOffset IssuedAt,
    [property: Id(10)] string? TargetArch = null)
{
    /// <summary>Bytes that actually travel: the delta when there is one, else the full artifact.</summary>
    public long TransferBytes => Delta?.DeltaBytes ?? ArtifactBytes;
}

/// <summary>A rollout's instruction to one device: move to this model version under this policy.</summary>
[GenerateSerializer, Immutable, Alias("fq.ModelAssignment")]
public sealed record ModelAssignment(
    [property: Id(0)] string ModelId,
    [property: Id(1)] string Version,
    [property: Id(2)] PlanPolicyInfo Policy,
    [property: Id(3)] string? RolloutId,
    [property: Id(4)] LadderInfo? Ladder);

/// <summary>The outcome of an assignment: the plan, the desired state when the device was fit, and whether it already runs it.</summary>
[GenerateSerializer, Immutable, Alias("fq.AssignmentResult")]
public sealed record AssignmentResult(
    [property: Id(0)] DevicePlan Plan,
    [property: Id(1)] DesiredState? Desired,
    [property: Id(2)] bool AlreadyCurrent);

/// <summary>A device's coarse state, as listed by the fleet index.</summary>
[GenerateSerializer, Alias("fq.DeviceState")]
public enum DeviceState
{
    Provisioned,
    UpToDate,
    Updating,
    Failed,
    Unfit,
}

/// <summary>One finished (or abandoned) update in a device's bounded history.</summary>
[GenerateSerializer, Immutable, Alias("fq.UpdateHistoryEntry")]
public sealed record UpdateHistoryEntry(
    [property: Id(0)] long Release,
    [property: Id(1)] string ModelId,
    [property: Id(2)] string Version,
    [property: Id(3)] string RecipeId,
    [property: Id(4)] string? RolloutId,
    [property: Id(5)] bool Succeeded,
    [property: Id(6)] string? Error,
    [property: Id(7)] DateTimeOffset At);

/// <summary>Everything an operator sees about one device.</summary>
[GenerateSerializer, Immutable, Alias("fq.DeviceView")]
public sealed record DeviceView(
    [property: Id(0)] string DeviceId,
    [property: Id(1)] DeviceProfileInfo? Profile,
    [property: Id(2)] DeviceState State,
    [property: Id(3)] string? CurrentArtifactHash,
    [property: Id(4)] DesiredState? Desired,
    [property: Id(5)] DevicePlan? LastPlan,
    [property: Id(6)] TelemetryAggregates Telemetry,
    [property: Id(7)] IReadOnlyList<UpdateHistoryEntry> History,
    [property: Id(8)] DateTimeOffset? LastSeen,
    [property: Id(9)] DeviceConnection? Connection = null);

/// <summary>
/// Whether the device is connected to the broker, as its retained status messages say (online at connect, offline as
/// its last will or on a clean stop), and since when (silo clock). Null in a view: the device never reported.
/// </summary>
[GenerateSerializer, Immutable, Alias("fq.DeviceConnection")]
public sealed record DeviceConnection(
    [property: Id(0)] bool Online,
    [property: Id(1)] DateTimeOffset Since);
