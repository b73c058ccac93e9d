using System.Text.Json.Serialization;

namespace FleetQuant.Api.Contracts;

/// <summary>A version is Analysing until its ladder is measured, then Ready (or Failed, with the reason).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ModelStatus>))]
public enum ModelStatus
{
    Analysing,
    Ready,
    Failed,
}

/// <summary>Bytes in the artifact store: their SHA-256 and size.</summary>
public sealed record StoredBlob(string Hash, long Bytes);

/// <summary>An inclusive range generated values of one input are drawn from.</summary>
public sealed record ValueRangeInfo(double Low, double High);

/// <summary>A version's input hints: shapes for symbolic dimensions, constants for control inputs, ranges for generated values.</summary>
public sealed record InputHintsInfo(
    IReadOnlyDictionary<string, long[]> Shapes,
    IReadOnlyDictionary<string, double> Values,
    IReadOnlyDictionary<string, ValueRangeInfo> Ranges)
{
    public bool IsEmpty => Shapes.Count == 0 && Values.Count == 0 && Ranges.Count == 0;
}

/// <summary>The uncompressed model's measured numbers.</summary>
public sealed record LadderBaselineInfo(long WireBytes, long RuntimeBytes, double Accuracy, double LatencyMs);

/// <summary>One output's fidelity to the original model's on a rung; <see cref="Kind"/> is classes, score or values.</summary>
public sealed record OutputFidelityInfo(string Name, string Kind, double? Top1Agreement, double Cosine, double MaxAbsError, double MeanAbsError);

/// <summary>One measured recipe of a ladder; <see cref="AccuracyDrop"/> is a share (0.004 = 0.4 points).</summary>
public sealed record LadderRung(
    string Id,
    int WeightBits,
    double PruneRatio,
    long WireBytes,
    long RuntimeBytes,
    double Accuracy,
    double AccuracyDrop,
    double LatencyMs,
    bool Pareto,
    string? RecipeJson,
    double? Cosine,
    string? Error,
    double? MaxAbsError = null,
    bool? Unchanged = null,
    IReadOnlyList<string>? LeftExact = null,
    IReadOnlyList<OutputFidelityInfo>? OutputFidelity = null);

/// <summary>How one input was fed while the ladder measured: data, generated or constant, and the hint behind it.</summary>
public sealed record LadderInputInfo(string Name, string ElementType, long[] SampleShape, string Source, string? Hint);

/// <summary>One output of the model and how the ladder judges it.</summary>
public sealed record LadderOutputInfo(string Name, string Kind);

/// <summary><c>GET /api/models/{id}/versions/{v}/ladder</c>: the measured table of recipes for one model version.</summary>
public sealed record LadderInfo(
    string Metric,
    LadderBaselineInfo Baseline,
    IReadOnlyList<LadderRung> Rungs,
    int? EvalSamples = null,
    IReadOnlyList<LadderInputInfo>? Inputs = null,
    IReadOnlyList<LadderOutputInfo>? Outputs = null);

/// <summary>One model version: its status, its ladder once measured, and its artifacts by recipe id.</summary>
public sealed record ModelVersionView(
    string Version,
    StoredBlob Source,
    string? EvalSetHash,
    ModelStatus Status,
    string? FailureReason,
    LadderInfo? Ladder,
    IReadOnlyDictionary<string, StoredBlob> Artifacts,
    DateTimeOffset UploadedAt,
    string? CalibrationSetHash = null,
    InputHintsInfo? InputHints = null);

/// <summary><c>GET /api/models/{id}</c>: a model and its versions, in upload order.</summary>
public sealed record ModelView(string ModelId, IReadOnlyList<ModelVersionView> Versions);

/// <summary><c>GET /api/models</c>: the models an operator uploaded, by id.</summary>
public sealed record ModelListResponse(IReadOnlyList<string> ModelIds);
