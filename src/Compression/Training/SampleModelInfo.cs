namespace FleetQuant.Compression.Training;

/// <summary>Identity and preprocessing contract recorded in an exported model's metadata.</summary>
public sealed record SampleModelInfo(string Name, long Version, string Description, string Preprocessing, IReadOnlyList<string> Labels);
