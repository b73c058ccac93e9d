using FleetQuant.Grains.Planning;

namespace FleetQuant.Grains.Models;

/// <summary>
/// Samples for measuring a ladder: <see cref="Data"/> holds <see cref="Count"/> samples of <see cref="SampleShape"/>
/// back to back; <see cref="Labels"/> (optional) gives accuracy instead of agreement with the original model.
/// </summary>
[GenerateSerializer, Immutable, Alias("fq.EvalSetData")]
public sealed record EvalSetData(
    [property: Id(0)] long[] SampleShape,
    [property: Id(1)] float[] Data,
    [property: Id(2)] int[]? Labels);

/// <summary>A new version of a model: its ONNX bytes and an optional eval set.</summary>
[GenerateSerializer, Immutable, Alias("fq.ModelVersionUpload")]
public sealed record ModelVersionUpload(
    [property: Id(0)] string Version,
    [property: Id(1)] byte[] Onnx,
    [property: Id(2)] EvalSetData? EvalSet);

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
    [property: Id(7)] DateTimeOffset UploadedAt);

/// <summary>A model and its versions, in upload order.</summary>
[GenerateSerializer, Immutable, Alias("fq.ModelView")]
public sealed record ModelView(
    [property: Id(0)] string ModelId,
    [property: Id(1)] IReadOnlyList<ModelVersionView> Versions);
