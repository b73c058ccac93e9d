using FleetQuant.Grains.Models;

namespace FleetQuant.Grains.Compression;

/// <summary>
/// What a version's ladder and artifacts depend on besides the source bytes: the stored evaluation and calibration sets
/// (content hashes of <see cref="DataSetBlobs"/>) and the input hints. Its <see cref="Key"/> tells builds apart.
/// </summary>
public sealed record VersionData(string? EvalSetHash, string? CalibrationSetHash, InputHintsInfo Hints)
{
    public static readonly VersionData None = new(null, null, InputHintsInfo.None);

    public string Key => $"{EvalSetHash}:{CalibrationSetHash}:{LibraryMapping.ToLibrary(Hints).Describe()}";
}
