using FleetQuant.Compression.Onnx;
using FleetQuant.Compression.Pipeline;
using FleetQuant.Compression.Recipes;
using FleetQuant.Compression.TensorCoding;
using DataType = FleetQuant.Compression.Onnx.TensorProto.Types.DataType;

namespace FleetQuant.Compression.Quantization;

/// <summary>
/// Replaces a MatMul, or a Gemm that is a plain matrix product plus bias, by ONNX Runtime's
/// <c>com.microsoft.MatMulNBits</c>: B as uint8 [N, k_blocks, block_size·bits/8] packed along K lowest bits
/// first, scales [N, k_blocks], optional packed zero points [N, ⌈k_blocks·bits/8⌉] (default 2^(bits−1), which is
/// exactly the symmetric zero code), and bias [N].
/// </summary>
internal static class MatMulNBitsEmitter
{
    /// <summary>ONNX Runtime 1.31's CPU kernel accepts only these block sizes.</summary>
    public const int MinBlock = 16;
    public const int MaxBlock = 256;

    public static bool CanReplace(WeightRef weight)
    {
        var node = weight.Consumer;
        // The node is replaced, so a weight shared by several nodes goes through DequantizeLinear instead.
        if (weight.Role is not (WeightRole.MatMulWeight or WeightRole.GemmTransposedWeight) || weight.InputIndex != 1 || weight.Consumers.Count != 1)
        {
            return false;
        }
        if (node.OpType == "MatMul")
        {
            return true;
        }
        var hasBias = node.Input.Count > 2 && node.Input[2].Length > 0;
        return node.OpType == "Gemm"
            && GraphEdits.FloatAttribute(node, "alpha", 1f) == 1f
            && GraphEdits.IntAttribute(node, "transA", 0) == 0
            && (!hasBias || GraphEdits.FloatAttribute(node, "beta", 1f) == 1f);
    }

    /// <summary>
    /// The layout block for a granularity. MatMulNBits only has K-blocks of 16…256, so per-channel uses the
    /// smallest block that spans K (capped at 256) and per-tensor / per-channel scales repeat across blocks:
    /// the numbers are exactly those of the requested granularity.
    /// </summary>
    public static int LayoutBlock(QuantGranularity granularity, int blockSize, int k) =>
        granularity == QuantGranularity.Block
            ? blockSize
            : Math.Clamp((int)Math.Min(System.Numerics.BitOperations.RoundUpToPowerOf2((uint)k), MaxBlock), MinBlock, MaxBlock);

    public static void Emit(CompressionContext context, ModelNames names, WeightRef weight, GroupQuantization q, int bits, int block, bool symmetric)
    {
        var graph = weight.Graph;
        var consumerGraph = weight.ConsumerGraph;
        var n = q.Codes.Length / q.RowLength;
        var k = q.RowLength;
        var blocks = (k + block - 1) / block;
        var paddedK = blocks * block;

        var codes = new int[(long)n * paddedK];
        var scales = new float[n * blocks];
        var zeroPoints = new int[n * blocks];
        for (var row = 0; row < n; row++)
        {
            Array.Copy(q.Codes, row * k, codes, row * paddedK, k);
            // K padding: the zero code, so the padded tail dequantizes to exact zeros.
            Array.Fill(codes, q.ZeroPoints[q.GroupOf(row, k - 1)], row * paddedK + k, paddedK - k);
            for (var b = 0; b < blocks; b++)
            {
                var group = q.GroupOf(row, b * block);
                scales[row * blocks + b] = q.Scales[group];
                zeroPoints[row * blocks + b] = q.ZeroPoints[group];
            }
        }

        var layout = bits == 2 ? CodeLayout.Packed2 : CodeLayout.Packed4;
        var codesName = names.Claim(weight.Name + "_q");
        context.Publish(graph, new EncodedTensor(codesName, DataType.Uint8, [n, blocks, block * bits / 8],
            new IntegerCodesEncoding(bits, 0, layout, codes)));
        var scaleName = names.Claim(weight.Name + "_scale");
        context.AddInitializer(graph, TensorData.CreateFloat(scaleName, [n, blocks], scales));

        var consumer = weight.Consumer;
        var inputs = new List<string> { consumer.Input[0], codesName, scaleName };
        if (!symmetric)
        {
            var zeroName = names.Claim(weight.Name + "_zp");
            context.AddInitializer(graph, PackZeroPoints(zeroName, zeroPoints, n, blocks, bits, layout));
            inputs.Add(zeroName);
        }

        var bias = consumer.Input.Count > 2 && consumer.Input[2].Length > 0 ? consumer.Input[2] : null;
        var biasIsVector = bias is not null && graph.Initializer.Concat(consumerGraph.Initializer).Any(t => t.Name == bias && t.Dims.Count == 1 && t.Dims[0] == n);
        if (biasIsVector)
        {
            while (inputs.Count < 5)
            {
                inputs.Add("");
            }
            inputs.Add(bias!);
        }

        var output = consumer.Output[0];
        var product = bias is not null && !biasIsVector ? names.Claim(output + "_product") : output;
        var matMul = GraphEdits.Node("MatMulNBits", names.Claim(weight.Name + "_MatMulNBits"), inputs, [product], OnnxGraphs.MicrosoftDomain)
            .With("K", k).With("N", n).With("bits", bits).With("block_size", block);
        if (product == output)
        {
            GraphEdits.Replace(consumerGraph, consumer, matMul);
        }
        else
        {
            // A bias that is not an [N] initializer broadcasts like Gemm's C through a plain Add.
            GraphEdits.Replace(consumerGraph, consumer, matMul, GraphEdits.Node("Add", names.Claim(weight.Name + "_bias_Add"), [product, bias!], [output]));
        }
        GraphEdits.RemoveInitializer(graph, weight.Name);
        context.Forget(weight.Name);
        context.Model.EnsureOpset(OnnxGraphs.MicrosoftDomain, 1);
    }

    private static TensorProto PackZeroPoints(string name, int[] zeroPoints, int n, int blocks, int bits, CodeLayout layout)
    {
        // Each row of zero points starts on a byte boundary: [N, ⌈blocks·bits/8⌉].
        var perByte = 8 / bits;
        var rowBytes = (blocks * bits + 7) / 8;
        var padded = new int[n * rowBytes * perByte];
        for (var row = 0; row < n; row++)
        {
            Array.Copy(zeroPoints, row * blocks, padded, row * rowBytes * perByte, blocks);
        }
        return new EncodedTensor(name, DataType.Uint8, [n, rowBytes], new IntegerCodesEncoding(bits, 0, layout, padded)).Materialize();
    }
}
