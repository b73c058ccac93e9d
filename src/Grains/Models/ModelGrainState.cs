using FleetQuant.Grains.Compression;
using FleetQuant.Grains.Models;
using FleetQuant.Grains.Planning;

namespace FleetQuant.Grains.Models;

/// <summary>Persistent state of a <see cref="ModelGrain"/>.</summary>
[GenerateSerializer, Alias("fq.ModelGrainState")]
public sealed class ModelGrainState
{
    [Id(0)]
    public List<ModelVersionRecord> Versions { get; set; } = [];

    /// <summary>Built deltas by "base→target" hash pair.</summary>
    [Id(1)]
    public Dictionary<string, StoredBlob> Deltas { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>One stored model version and what was built from it.</summary>
[GenerateSerializer, Alias("fq.ModelVersionRecord")]
public sealed class ModelVersionRecord
{
    [Id(0)]
    public required string Version { get; set; }

    [Id(1)]
    public required StoredBlob Source { get; set; }

    [Id(2)]
    public string? EvalSetHash { get; set; }

    [Id(3)]
    public ModelStatus Status { get; set; }

    [Id(4)]
    public string? FailureReason { get; set; }

    [Id(5)]
    public LadderInfo? Ladder { get; set; }

    [Id(6)]
    public Dictionary<string, StoredBlob> Artifacts { get; set; } = new(StringComparer.Ordinal);

    [Id(7)]
    public DateTimeOffset UploadedAt { get; set; }

    [Id(8)]
    public string? CalibrationSetHash { get; set; }

    [Id(9)]
    public InputHintsInfo InputHints { get; set; } = InputHintsInfo.None;

    /// <summary>
    /// What the compression service needs besides the source: the stored data sets and the hints. A method, not a
    /// property: the JSON grain-state serializer would store a property, and refuse to read its type back.
    /// </summary>
    public VersionData DataSets() => new(EvalSetHash, CalibrationSetHash, InputHints);

    public ModelVersionView ToView() =>
        new(Version, Source, EvalSetHash, Status, FailureReason, Ladder, new Dictionary<string, StoredBlob>(Artifacts), UploadedAt,
            CalibrationSetHash, InputHints.IsEmpty ? null : InputHints);
}
