using FleetQuant.Compression.Onnx;
using FleetQuant.Compression.Pipeline;
using FleetQuant.Compression.Recipes;
using FleetQuant.Compression.TensorCoding;
using DataType = FleetQuant.Compression.Onnx.TensorProto.Types.DataType;

namespace FleetQuant.Compression.Quantization;

/// <summary>
/// Dynamic quantization (<see cref="DynamicQuantizeStep"/>): MatMul/Gemm weights become INT8 [K, N], symmetric per
/// output channel, and the product runs in integers: DynamicQuantizeLinear(A) → MatMulInteger → Cast(float) →
/// Mul(A_scale · W_scale) (→ Add bias). Conv has no dynamic integer path in ONNX, so Conv weights stay FP32.
/// </summary>
public sealed class DynamicQuantizeCoder : IWeightCoder
{
    private const int Bits = 8;

    public void Encode(CompressionContext context, IReadOnlyList<WeightRef> weights)
    {
        // The consumer is replaced by the integer product, so a weight shared by several nodes stays FP32.
        var dense = weights.Where(w => w.Role is WeightRole.MatMulWeight or WeightRole.GemmTransposedWeight && w.Consumer.OpType is "MatMul" or "Gemm" && w.Consumers.Count == 1).ToList();
        foreach (var other in weights.Except(dense))
        {
            context.Note(other.Name, TensorAction.KeptExact, other.Consumers.Count == 1
                ? $"dq8: no dynamic integer path for {other.Consumer.OpType}"
                : $"dq8: shared by {other.Consumers.Count} nodes, each would need its own integer product");
        }
        if (dense.Count == 0)
        {
            return;
        }

        if (!RuntimeOpset.TryRequire(context, dense, "dq8", RuntimeOpset.DynamicQuantize, int4: false))
        {
            return;
        }
        var names = new ModelNames(context.Model);
        foreach (var weight in dense)
        {
            Rewrite(context, names, weight);
            context.Note(weight.Name, TensorAction.Compressed, "dq8: per-channel symmetric INT8, DynamicQuantizeLinear + MatMulInteger");
        }
    }

    private static void Rewrite(CompressionContext context, ModelNames names, WeightRef weight)
    {
        var graph = weight.Graph;
        var consumerGraph = weight.ConsumerGraph;
        var consumer = weight.Consumer;
        var isGemm = consumer.OpType == "Gemm";
        var matrix = ChannelMatrix.From(weight);
        GroupQuantization q;
        try
        {
            q = GroupQuantization.Run(matrix, QuantGranularity.PerChannel, 0, Bits, symmetric: true);
        }
        catch (ArgumentException ex)
        {
            throw new OnnxModelException($"weight '{weight.Name}' cannot be quantized: {ex.Message}", ex);
        }

        // MatMulInteger wants B as [K, N] whatever the Gemm's transB was.
        var codes = ChannelMatrix.Transpose(q.Codes, matrix.Channels, matrix.RowLength);
        var codesName = names.Claim(weight.Name + "_q");
        context.Publish(graph, new EncodedTensor(codesName, DataType.Int8, [matrix.RowLength, matrix.Channels],
            new IntegerCodesEncoding(Bits, -(1 << (Bits - 1)), CodeLayout.Int8, codes)));
        var alpha = isGemm ? GraphEdits.FloatAttribute(consumer, "alpha", 1f) : 1f;
        var scaleName = names.Claim(weight.Name + "_scale");
        context.AddInitializer(graph, TensorData.CreateFloat(scaleName, [matrix.Channels], q.Scales.Select(s => s * alpha).ToArray()));
        var zeroName = names.Claim(weight.Name + "_zp");
        context.AddInitializer(graph, TensorData.Create(zeroName, DataType.Int8, [], [0]));

        var prefix = weight.Name;
        var nodes = new List<NodeProto>();
        var a = consumer.Input[0];
        if (isGemm && GraphEdits.IntAttribute(consumer, "transA", 0) != 0)
        {
            var transposed = names.Claim(prefix + "_A_transposed");
            nodes.Add(GraphEdits.Node("Transpose", names.Claim(prefix + "_A_Transpose"), [a], [transposed]));
            a = transposed;
        }
        string aq = names.Claim(prefix + "_A_q"), aScale = names.Claim(prefix + "_A_scale"), aZero = names.Claim(prefix + "_A_zp");
        nodes.Add(GraphEdits.Node("DynamicQuantizeLinear", names.Claim(prefix + "_DynamicQuantizeLinear"), [a], [aq, aScale, aZero]));
        var integerProduct = names.Claim(prefix + "_int32");
        nodes.Add(GraphEdits.Node("MatMulInteger", names.Claim(prefix + "_MatMulInteger"), [aq, codesName, aZero, zeroName], [integerProduct]));
        var floatProduct = names.Claim(prefix + "_float");
        nodes.Add(GraphEdits.Node("Cast", names.Claim(prefix + "_Cast"), [integerProduct], [floatProduct]).With("to", (long)DataType.Float));
        var combinedScale = names.Claim(prefix + "_combined_scale");
        nodes.Add(GraphEdits.Node("Mul", names.Claim(prefix + "_scale_Mul"), [aScale, scaleName], [combinedScale]));

        var output = consumer.Output[0];
        var bias = isGemm && consumer.Input.Count > 2 && consumer.Input[2].Length > 0 ? consumer.Input[2] : null;
        var scaled = bias is null ? output : names.Claim(prefix + "_scaled");
        nodes.Add(GraphEdits.Node("Mul", names.Claim(prefix + "_Mul"), [floatProduct, combinedScale], [scaled]));
        if (bias is not null)
        {
            var beta = GraphEdits.FloatAttribute(consumer, "beta", 1f);
            if (beta != 1f)
            {
                var betaName = names.Claim(prefix + "_beta");
                context.AddInitializer(graph, TensorData.CreateFloat(betaName, [], [beta]));
                var scaledBias = names.Claim(prefix + "_scaled_bias");
                nodes.Add(GraphEdits.Node("Mul", names.Claim(prefix + "_beta_Mul"), [bias, betaName], [scaledBias]));
                bias = scaledBias;
            }
            nodes.Add(GraphEdits.Node("Add", names.Claim(prefix + "_bias_Add"), [scaled, bias], [output]));
        }

        GraphEdits.Replace(consumerGraph, consumer, nodes.ToArray());
        GraphEdits.RemoveInitializer(graph, weight.Name);
        context.Forget(weight.Name);
    }
}
