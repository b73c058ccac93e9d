using FleetQuant.Grains.Planning;

namespace FleetQuant.Grains.Models;

/// <summary>
/// One uploaded data file, as sent: IDX images or labels, <c>.npy</c>, <c>.npz</c>, or a <c>.zip</c> of ONNX
/// test-data directories. The name tells the format (docs/DATA_FORMATS.md).
/// </summary>
[GenerateSerializer, Immutable, Alias("fq.DataFile")]
public sealed record DataFile(
    [property: Id(0)] string Name,
    [property: Id(1)] byte[] Bytes);

/// <summary>The input hints as the operator wrote them (<c>NAME=D1,D2</c>, <c>NAME=V</c>, <c>NAME=LO,HI</c>).</summary>
[GenerateSerializer, Immutable, Alias("fq.InputHintFlags")]
public sealed record InputHintFlags(
    [property: Id(0)] IReadOnlyList<string> Shapes,
    [property: Id(1)] IReadOnlyList<string> Values,
    [property: Id(2)] IReadOnlyList<string> Ranges)
{
    public static readonly InputHintFlags None = new([], [], []);
}

/// <summary>An inclusive range generated values of one input are drawn from.</summary>
[GenerateSerializer, Immutable, Alias("fq.ValueRangeInfo")]
public sealed record ValueRangeInfo(
    [property: Id(0)] double Low,
    [property: Id(1)] double High);

/// <summary>
/// A version's input hints, parsed: shapes for symbolic dimensions, constants for control inputs, ranges for generated
/// values. The server's ladder, its smoke tests and the devices build their inputs from them.
/// </summary>
[GenerateSerializer, Immutable, Alias("fq.InputHintsInfo")]
public sealed record InputHintsInfo(
    [property: Id(0)] IReadOnlyDictionary<string, long[]> Shapes,
    [property: Id(1)] IReadOnlyDictionary<string, double> Values,
    [property: Id(2)] IReadOnlyDictionary<string, ValueRangeInfo> Ranges)
{
    public static readonly InputHintsInfo None = new(new Dictionary<string, long[]>(), new Dictionary<string, double>(), new Dictionary<string, ValueRangeInfo>());

    public bool IsEmpty => Shapes.Count == 0 && Values.Count == 0 && Ranges.Count == 0;
}

/// <summary>
/// A new version of a model: its ONNX bytes, an optional evaluation set (judges the ladder), an optional calibration
/// set (for steps that calibrate; never the evaluation set) and the input hints.
/// </summary>
[GenerateSerializer, Immutable, Alias("fq.ModelVersionUpload")]
public sealed record ModelVersionUpload(
    [property: Id(0)] string Version,
    [property: Id(1)] byte[] Onnx,
    [property: Id(2)] IReadOnlyList<DataFile>? EvalData = null,
    [property: Id(3)] IReadOnlyList<DataFile>? CalibrationData = null,
    [property: Id(4)] InputHintFlags? Hints = null);

[GenerateSerializer, Alias("fq.ModelStatus")]
public enum ModelStatus
{
    Analysing,
    Ready,
    Failed,
}

/// <summary>Bytes in the artifact store: their SHA-256 and size.</summary>
[GenerateSerializer, Immutable, Alias("fq.StoredBlob")]
public sealed record StoredBlob(
    [property: Id(0)] string Hash,
    [property: Id(1)] long Bytes);

/// <summary>One model version as an operator sees it.</summary>
[GenerateSerializer, Immutable, Alias("fq.ModelVersionView")]
public sealed record ModelVersionView(
    [property: Id(0)] string Version,
    [property: Id(1)] StoredBlob Source,
    [property: Id(2)] string? EvalSetHash,
    [property: Id(3)] ModelStatus Status,
    [property: Id(4)] string? FailureReason,
    [property: Id(5)] LadderInfo? Ladder,
    [property: Id(6)] IReadOnlyDictionary<string, StoredBlob> Artifacts,
    [property: Id(7)] DateTimeOffset UploadedAt,
    [property: Id(8)] string? CalibrationSetHash = null,
    [property: Id(9)] InputHintsInfo? InputHints = null);

/// <summary>A model and its versions, in upload order.</summary>
[GenerateSerializer, Immutable, Alias("fq.ModelView")]
public sealed record ModelView(
    [property: Id(0)] string ModelId,
    [property: Id(1)] IReadOnlyList<ModelVersionView> Versions);
