namespace FleetQuant.Compression.Deltas;

/// <summary>A delta that is corrupt, made for a different base, or that does not rebuild its target exactly.</summary>
public sealed class DeltaException(string message, Exception? inner = null) : Exception(message, inner);
