namespace FleetQuant.Compression.Artifacts;

/// <summary>An artifact that is truncated, corrupt, crafted or over a configured limit.</summary>
public sealed class ArtifactException(string message, Exception? inner = null) : Exception(message, inner);
