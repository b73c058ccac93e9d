using FleetQuant.Compression.Onnx;
using DataType = FleetQuant.Compression.Onnx.TensorProto.Types.DataType;

namespace FleetQuant.Compression.Pipeline;

/// <summary>
/// The inputs that ONNX operators read as shapes, indices, axes, counts, scales of a resize or quantization parameters
/// rather than as data. A tensor read there must stay exact even when it is FLOAT (Resize scales, Pad values):
/// rounding it would change a shape or an index, not perturb a value.
/// </summary>
internal static class ShapeInputs
{
    /// <summary>Operators whose every input after the data (index ≥ 1) is a shape, index or parameter.</summary>
    private static readonly HashSet<string> ParametersAfterData = new(StringComparer.Ordinal)
    {
        "Reshape", "Expand", "Tile", "Slice", "Pad", "Resize", "Upsample", "TopK", "Unsqueeze", "Squeeze", "Split",
        "Gather", "GatherElements", "GatherND", "OneHot", "CumSum", "Trilu", "Compress", "Clip", "Dropout",
        "GridSample", "AffineGrid", "CenterCropPad", "Col2Im", "DFT", "MaxUnpool", "RoiAlign", "ReverseSequence",
        "QuantizeLinear", "DequantizeLinear", "DynamicQuantizeLinear", "NegativeLogLikelihoodLoss", "SoftmaxCrossEntropyLoss",
        "BlackmanWindow", "HannWindow", "HammingWindow",
    };

    /// <summary>Operators whose every input is a shape, count or index.</summary>
    private static readonly HashSet<string> AllParameters = new(StringComparer.Ordinal)
    {
        "ConstantOfShape", "Range", "MelWeightMatrix", "EyeLike",
    };

    /// <summary>True when <paramref name="node"/> reads input <paramref name="index"/> as shape or index data, not as values.</summary>
    public static bool ReadsAsShapeOrIndex(NodeProto node, int index)
    {
        var op = node.OpType;
        return AllParameters.Contains(op)
            || (index >= 1 && (ParametersAfterData.Contains(op) || op.StartsWith("Reduce", StringComparison.Ordinal)))
            || (op is "ScatterElements" or "ScatterND" or "Scatter" && index == 1)
            || (op is "STFT" && index is 1 or 3)
            || (op is "NonMaxSuppression" && index >= 2)
            || (op is "If" or "Where" && index == 0)
            || (op == "Loop" && index <= 1)
            || (op == "Cast" && IsIntegerCast(node));
    }

    /// <summary>A Cast to an integer or bool type turns values into indices or shapes, so its input must stay exact.</summary>
    private static bool IsIntegerCast(NodeProto node) =>
        node.Attribute.FirstOrDefault(a => a.Name == "to") is { } to
        && (DataType)to.I is not (DataType.Float or DataType.Float16 or DataType.Bfloat16 or DataType.Double);
}
