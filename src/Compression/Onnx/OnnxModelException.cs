namespace FleetQuant.Compression.Onnx;

/// <summary>A model file that cannot be read, or uses something FleetQuant does not support.</summary>
public sealed class OnnxModelException(string message, Exception? inner = null) : Exception(message, inner);
