using FleetQuant.Compression.Onnx;
using FleetQuant.Compression.Pipeline;

namespace FleetQuant.Compression.Quantization;

/// <summary>The opset and IR version a runtime form needs, and raising the model to them.</summary>
internal static class RuntimeOpset
{
    /// <summary>DequantizeLinear with a scalar scale.</summary>
    public const long PerTensorDequantize = 10;

    /// <summary>DequantizeLinear with <c>axis</c> (per-channel).</summary>
    public const long PerAxisDequantize = 13;

    /// <summary>DynamicQuantizeLinear + MatMulInteger.</summary>
    public const long DynamicQuantize = 11;

    /// <summary>DequantizeLinear with <c>block_size</c>, and INT4/UINT4 tensors.</summary>
    public const long BlockedOrInt4Dequantize = 21;

    /// <summary>INT4/UINT4 tensors need IR version 10.</summary>
    public const long Int4IrVersion = 10;

    /// <summary>
    /// Raises the default opset to at least <paramref name="opset"/> and the IR version to what it needs (at least 4,
    /// so new initializers need not be listed as graph inputs).
    /// </summary>
    public static void Require(ModelProto model, long opset, bool int4)
    {
        OpsetUpgrader.Upgrade(model, opset);
        var current = model.DefaultOpset() ?? opset;
        model.IrVersion = Math.Max(model.IrVersion, Math.Max(4, OpsetUpgrader.MinIrVersion(current)));
        if (int4)
        {
            model.IrVersion = Math.Max(model.IrVersion, Int4IrVersion);
        }
    }

    /// <summary>
    /// <see cref="Require"/>, or, when the model cannot be raised (an operator whose meaning changed), notes every
    /// weight as kept exact with the reason and returns false: the upgrade is all-or-nothing, so the model is untouched.
    /// </summary>
    public static bool TryRequire(CompressionContext context, IEnumerable<WeightRef> weights, string stepId, long opset, bool int4)
    {
        try
        {
            Require(context.Model, opset, int4);
            return true;
        }
        catch (OnnxModelException ex)
        {
            foreach (var weight in weights)
            {
                context.Note(weight.Name, TensorAction.KeptExact, $"{stepId} needs opset {opset}: {ex.Message}");
            }
            return false;
        }
    }

    /// <summary>True when the model's opset is, or can be raised to, <paramref name="opset"/>.</summary>
    public static bool CanReach(ModelProto model, long opset)
    {
        if (model.DefaultOpset() >= opset)
        {
            return true;
        }
        try
        {
            // Tensor bytes are immutable and shared by the clone, so this dry run copies only the graph structure.
            OpsetUpgrader.Upgrade(model.Clone(), opset);
            return true;
        }
        catch (OnnxModelException)
        {
            return false;
        }
    }
}
