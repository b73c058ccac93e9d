using FleetQuant.Compression.Onnx;
using FleetQuant.Compression.Pipeline;
using DataType = FleetQuant.Compression.Onnx.TensorProto.Types.DataType;

namespace FleetQuant.Compression.Quantization;

/// <summary>
/// Ternary (<see cref="Recipes.TernaryStep"/>, 2 bits on the wire) and binary (<see cref="Recipes.BinaryStep"/>,
/// 1 bit) weights with one scale α per output channel. At run time the codes sit in the smallest integer tensor
/// ONNX Runtime dequantizes per channel: INT4 when the model can be raised to opset 21, else INT8 (opset 13).
/// Ternary runs as <c>DequantizeLinear(code − 1, α)</c>; binary has no zero level, so its {0, 1} codes run as
/// <c>DequantizeLinear(code, 2α) − α</c>, and pruned zeros become ±α.
/// </summary>
public sealed class SignCoder(bool ternary) : IWeightCoder
{
    public void Encode(CompressionContext context, IReadOnlyList<WeightRef> weights)
    {
        if (weights.Count == 0)
        {
            return;
        }

        var int4 = RuntimeOpset.CanReach(context.Model, RuntimeOpset.BlockedOrInt4Dequantize);
        if (!RuntimeOpset.TryRequire(context, weights, ternary ? "ternary" : "binary", int4 ? RuntimeOpset.BlockedOrInt4Dequantize : RuntimeOpset.PerAxisDequantize, int4))
        {
            return;
        }
        var type = int4 ? DataType.Int4 : DataType.Int8;
        var names = new ModelNames(context.Model);
        foreach (var weight in weights)
        {
            var matrix = ChannelMatrix.From(weight);
            var codes = new int[matrix.Values.Length];
            var alphas = new float[matrix.Channels];
            try
            {
                if (ternary)
                {
                    SignQuantizer.Ternarize(matrix.Values, matrix.RowLength, codes, alphas);
                }
                else
                {
                    SignQuantizer.Binarize(matrix.Values, matrix.RowLength, codes, alphas);
                }
            }
            catch (ArgumentException ex)
            {
                throw new OnnxModelException($"weight '{weight.Name}' cannot be {(ternary ? "ternarized" : "binarized")}: {ex.Message}", ex);
            }

            var dims = weight.Tensor.Dims.ToArray();
            var storageCodes = matrix.ToStorageOrder(codes, matrix.RowLength);
            var scales = ternary ? alphas : alphas.Select(a => 2 * a).ToArray();
            var spec = new DequantizeSpec(type, ternary ? 2 : 1, ternary ? -1 : 0, storageCodes, weight.ChannelsSpanAxes ? [matrix.Channels, matrix.RowLength] : dims, scales, [matrix.Channels], null, weight.OutputAxis, null);
            var floatWeight = DequantizeEmitter.Emit(context, names, weight, spec);
            if (!ternary)
            {
                floatWeight = Recenter(context, names, weight, floatWeight, alphas);
            }
            DequantizeEmitter.Wire(context, weight, floatWeight);
            context.Note(weight.Name, TensorAction.Compressed, $"{(ternary ? "ternary" : "binary")}: per-channel α, {type} DequantizeLinear{DequantizeSpec.OperandSuffix(weight)}");
        }
    }

    /// <summary>Subtracts α per output channel: {0, 2α} → {−α, +α}.</summary>
    private static string Recenter(CompressionContext context, ModelNames names, WeightRef weight, string input, float[] alphas)
    {
        var shape = weight.PerChannelShape();
        var shiftName = names.Claim(weight.Name + "_shift");
        context.AddInitializer(weight.Graph, TensorData.CreateFloat(shiftName, shape, alphas.Select(a => -a).ToArray()));
        var output = names.Claim(weight.Name + "_binary");
        GraphEdits.InsertBefore(weight.ConsumerGraph, weight.InsertionPoint, GraphEdits.Node("Add", names.Claim(weight.Name + "_shift_Add"), [input, shiftName], [output]));
        return output;
    }
}
