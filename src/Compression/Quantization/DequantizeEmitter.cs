using FleetQuant.Compression.Onnx;
using FleetQuant.Compression.Pipeline;
using FleetQuant.Compression.TensorCoding;
using DataType = FleetQuant.Compression.Onnx.TensorProto.Types.DataType;

namespace FleetQuant.Compression.Quantization;

/// <summary>
/// What a DequantizeLinear weight needs: integer codes (in storage order, laid out as <see cref="CodeDims"/>),
/// their runtime type, and the scale / zero-point tensors with the DequantizeLinear attributes that pair them.
/// </summary>
internal sealed record DequantizeSpec(
    DataType CodeType,
    int Bits,
    int Offset,
    int[] Codes,
    long[] CodeDims,
    float[] Scales,
    long[] ScaleDims,
    int[]? ZeroPoints,
    long? Axis,
    long? BlockSize)
{
    public static DataType SignedType(int runtimeBits) => runtimeBits == 8 ? DataType.Int8 : DataType.Int4;

    public static DataType UnsignedType(int runtimeBits) => runtimeBits == 8 ? DataType.Uint8 : DataType.Uint4;

    /// <summary>How a note names the form of a weight with no dedicated path; empty for a layer's weight.</summary>
    public static string OperandSuffix(WeightRef weight) => weight.Role == WeightRole.Operand
        ? $", weight-only: dequantized once at load for {string.Join(", ", weight.Consumers.Select(c => c.OpType).Distinct())}"
        : "";

    public static CodeLayout LayoutOf(DataType type) => type switch
    {
        DataType.Int8 => CodeLayout.Int8,
        DataType.Uint8 => CodeLayout.UInt8,
        _ => CodeLayout.Packed4,
    };
}

/// <summary>Publishes a quantized weight and inserts the DequantizeLinear (and Reshape) that turn it back into floats.</summary>
internal static class DequantizeEmitter
{
    /// <summary>
    /// Adds the code, scale and zero-point initializers to the graph that owns the weight and the nodes before its
    /// first consumer (in a subgraph when the weight is read from an outer scope); returns the
    /// name of the float tensor in the weight's own shape. The caller wires it with <see cref="Wire"/>.
    /// </summary>
    public static string Emit(CompressionContext context, ModelNames names, WeightRef weight, DequantizeSpec spec)
    {
        var graph = weight.Graph;
        var codesName = names.Claim(weight.Name + "_q");
        context.Publish(graph, new EncodedTensor(
            codesName,
            spec.CodeType,
            spec.CodeDims,
            new IntegerCodesEncoding(spec.Bits, spec.Offset, DequantizeSpec.LayoutOf(spec.CodeType), spec.Codes)));

        var scaleName = names.Claim(weight.Name + "_scale");
        context.AddInitializer(graph, TensorData.CreateFloat(scaleName, spec.ScaleDims, spec.Scales));
        var inputs = new List<string> { codesName, scaleName };
        if (spec.ZeroPoints is not null)
        {
            var zeroType = spec.CodeType == DataType.Int4 || spec.CodeType == DataType.Uint4 ? DataType.Uint4 : DataType.Uint8;
            var zeroName = names.Claim(weight.Name + "_zp");
            var zeroPoints = new EncodedTensor(zeroName, zeroType, spec.ScaleDims,
                new IntegerCodesEncoding(zeroType == DataType.Uint4 ? 4 : 8, 0, DequantizeSpec.LayoutOf(zeroType), spec.ZeroPoints));
            context.AddInitializer(graph, zeroPoints.Materialize());
            inputs.Add(zeroName);
        }

        var output = names.Claim(weight.Name + "_dequantized");
        var dequantize = GraphEdits.Node("DequantizeLinear", names.Claim(weight.Name + "_DequantizeLinear"), inputs, [output]);
        if (spec.Axis is { } axis)
        {
            dequantize.With("axis", axis);
        }
        if (spec.BlockSize is { } block)
        {
            dequantize.With("block_size", block);
        }
        GraphEdits.InsertBefore(weight.ConsumerGraph, weight.InsertionPoint, dequantize);

        if (spec.CodeDims.SequenceEqual(weight.Tensor.Dims))
        {
            return output;
        }

        // Blocked Conv weights are quantized as [M, C·k·k] so blocks run along the whole reduction, recurrent weights as
        // [directions·gates, width] so each row has its own scale; reshape back.
        var shapeName = names.Claim(weight.Name + "_shape");
        context.AddInitializer(graph, TensorData.CreateInt64(shapeName, [weight.Tensor.Dims.Count], weight.Tensor.Dims.ToArray()));
        var reshaped = names.Claim(weight.Name + "_reshaped");
        GraphEdits.InsertBefore(weight.ConsumerGraph, weight.InsertionPoint, GraphEdits.Node("Reshape", names.Claim(weight.Name + "_Reshape"), [output, shapeName], [reshaped]));
        return reshaped;
    }

    /// <summary>Feeds <paramref name="floatWeight"/> to every consumer in place of the original FP32 initializer, which goes.</summary>
    public static void Wire(CompressionContext context, WeightRef weight, string floatWeight)
    {
        // By name: an operand may be read at several inputs of a node, or at different inputs by different nodes.
        foreach (var consumer in weight.Consumers)
        {
            for (var i = 0; i < consumer.Input.Count; i++)
            {
                if (consumer.Input[i] == weight.Name)
                {
                    consumer.Input[i] = floatWeight;
                }
            }
        }
        GraphEdits.RemoveInitializer(weight.Graph, weight.Name);
        context.Forget(weight.Name);
    }
}
