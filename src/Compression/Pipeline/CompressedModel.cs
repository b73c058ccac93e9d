using FleetQuant.Compression.TensorCoding;
using FleetQuant.Compression.Onnx;
using FleetQuant.Compression.Recipes;

namespace FleetQuant.Compression.Pipeline;

/// <summary>
/// The result of applying a recipe: a runnable ONNX model, the wire form of each tensor a step encoded
/// (every other initializer travels raw), and what happened to each tensor.
/// </summary>
public sealed record CompressedModel(
    ModelProto Model,
    Recipe Recipe,
    IReadOnlyDictionary<string, EncodedTensor> Encodings,
    IReadOnlyList<TensorNote> Notes)
{
    /// <summary>
    /// True when no tensor was compressed or pruned: the recipe found nothing it could apply to (the notes say why),
    /// so its model is the FP32 model. Always true for the fp32 recipe.
    /// </summary>
    /// <summary>
    /// Every encoding a step published, in order, including those of subgraph tensors whose names repeat across branches
    /// (<see cref="Encodings"/> keeps one per name).
    /// </summary>
    public IReadOnlyList<EncodedTensor> Published { get; init; } = [];

    public bool ChangesNothing => !Notes.Any(n => n.Action is TensorAction.Compressed or TensorAction.Pruned);
}
