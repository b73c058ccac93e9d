namespace FleetQuant.Compression.Pipeline;

public enum TensorAction
{
    Compressed,
    Pruned,
    KeptExact,
}

/// <summary>What a recipe did to one tensor, and why; shown to the operator.</summary>
public sealed record TensorNote(string Tensor, TensorAction Action, string Detail);
