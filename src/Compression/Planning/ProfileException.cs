namespace FleetQuant.Compression.Planning;

/// <summary>A device profile, plan policy, current-model record or fleet mix that is missing fields or makes no sense.</summary>
public sealed class ProfileException(string message, Exception? inner = null) : Exception(message, inner);
