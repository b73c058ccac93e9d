namespace FleetQuant.Grains.Planning;

/// <summary>
/// A device's hardware and link, as grains carry and store it (the protocol's DeviceProfile has no Orleans
/// attributes; the Gateway and the grains each map to and from it in one place).
/// </summary>
[GenerateSerializer, Immutable, Alias("fq.DeviceProfileInfo")]
public sealed record DeviceProfileInfo(
    [property: Id(0)] string DeviceId,
    [property: Id(1)] string HardwareClass,
    [property: Id(2)] string Arch,
    [property: Id(3)] int CpuCores,
    [property: Id(4)] IReadOnlyList<string> CpuFeatures,
    [property: Id(5)] long RamBytes,
    [property: Id(6)] long ModelMemoryBudgetBytes,
    [property: Id(7)] long StorageBytes,
    [property: Id(8)] long BandwidthBitsPerSecond,
    [property: Id(9)] long? DataCapBytesPerMonth,
    [property: Id(10)] string OrtVersion,
    [property: Id(11)] string AgentVersion,
    [property: Id(12)] IReadOnlyDictionary<string, string> Tags);

/// <summary>The operator's limits for choosing a recipe (mirrors the planner's PlanPolicy).</summary>
[GenerateSerializer, Immutable, Alias("fq.PlanPolicyInfo")]
public sealed record PlanPolicyInfo(
    [property: Id(0)] double MaxTransferSeconds = 600,
    [property: Id(1)] double MaxAccuracyDrop = 0.02,
    [property: Id(2)] double? MinAccuracy = null);

/// <summary>How a planned model travels to the device.</summary>
[GenerateSerializer, Alias("fq.TransferMode")]
public enum TransferMode
{
    Full,
    Delta,
}

/// <summary>The planner's answer for one device: a recipe and how it travels, or unfit with the reason.</summary>
[GenerateSerializer, Immutable, Alias("fq.DevicePlan")]
public sealed record DevicePlan(
    [property: Id(0)] bool Unfit,
    [property: Id(1)] string? RecipeId,
    [property: Id(2)] TransferMode? Transfer,
    [property: Id(3)] long Bytes,
    [property: Id(4)] double Seconds,
    [property: Id(5)] string Reason);

/// <summary>The uncompressed model's measured numbers.</summary>
[GenerateSerializer, Immutable, Alias("fq.LadderBaselineInfo")]
public sealed record LadderBaselineInfo(
    [property: Id(0)] long WireBytes,
    [property: Id(1)] long RuntimeBytes,
    [property: Id(2)] double Accuracy,
    [property: Id(3)] double LatencyMs);

/// <summary>One measured recipe of a ladder.</summary>
[GenerateSerializer, Immutable, Alias("fq.LadderRung")]
public sealed record LadderRung(
    [property: Id(0)] string Id,
    [property: Id(1)] int WeightBits,
    [property: Id(2)] double PruneRatio,
    [property: Id(3)] long WireBytes,
    [property: Id(4)] long RuntimeBytes,
    [property: Id(5)] double Accuracy,
    [property: Id(6)] double AccuracyDrop,
    [property: Id(7)] double LatencyMs,
    [property: Id(8)] bool Pareto,
    [property: Id(9)] string? RecipeJson,
    [property: Id(10)] double? Cosine,
    [property: Id(11)] string? Error,
    [property: Id(12)] double? MaxAbsError = null,
    [property: Id(13)] bool? Unchanged = null,
    [property: Id(14)] IReadOnlyList<string>? LeftExact = null,
    [property: Id(15)] IReadOnlyList<OutputFidelityInfo>? OutputFidelity = null);

/// <summary>One output's fidelity to the original model's on a rung; <see cref="Kind"/> is classes, score or values.</summary>
[GenerateSerializer, Immutable, Alias("fq.OutputFidelityInfo")]
public sealed record OutputFidelityInfo(
    [property: Id(0)] string Name,
    [property: Id(1)] string Kind,
    [property: Id(2)] double? Top1Agreement,
    [property: Id(3)] double Cosine,
    [property: Id(4)] double MaxAbsError,
    [property: Id(5)] double MeanAbsError);

/// <summary>How one input was fed while the ladder measured: data, generated or constant, and the hint behind it.</summary>
[GenerateSerializer, Immutable, Alias("fq.LadderInputInfo")]
public sealed record LadderInputInfo(
    [property: Id(0)] string Name,
    [property: Id(1)] string ElementType,
    [property: Id(2)] long[] SampleShape,
    [property: Id(3)] string Source,
    [property: Id(4)] string? Hint);

/// <summary>One output of the model and how the ladder judges it.</summary>
[GenerateSerializer, Immutable, Alias("fq.LadderOutputInfo")]
public sealed record LadderOutputInfo(
    [property: Id(0)] string Name,
    [property: Id(1)] string Kind);

/// <summary>The measured table of recipes for one model version.</summary>
[GenerateSerializer, Immutable, Alias("fq.LadderInfo")]
public sealed record LadderInfo(
    [property: Id(0)] string Metric,
    [property: Id(1)] LadderBaselineInfo Baseline,
    [property: Id(2)] IReadOnlyList<LadderRung> Rungs,
    [property: Id(3)] int? EvalSamples = null,
    [property: Id(4)] IReadOnlyList<LadderInputInfo>? Inputs = null,
    [property: Id(5)] IReadOnlyList<LadderOutputInfo>? Outputs = null);
