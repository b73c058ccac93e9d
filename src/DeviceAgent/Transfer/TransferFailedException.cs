namespace FleetQuant.DeviceAgent.Transfer;

/// <summary>A download or apply step that could not complete; the message says why.</summary>
public sealed class TransferFailedException(string message, Exception? inner = null) : Exception(message, inner);
