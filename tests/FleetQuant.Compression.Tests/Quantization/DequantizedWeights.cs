using FleetQuant.Compression.Onnx;
using DataType = FleetQuant.Compression.Onnx.TensorProto.Types.DataType;

namespace FleetQuant.Compression.Tests.Quantization;

/// <summary>Reads back the float values a quantized weight stands for, in the original weight's storage order.</summary>
internal static class DequantizedWeights
{
    /// <param name="storedAsKN">The original weight was a MatMul B [K, N] (MatMulNBits decodes as [N, K]).</param>
    public static float[] Of(ModelProto compressed, string weight, bool storedAsKN, float[] anyInput, int[] inputShape)
    {
        var graph = OnnxGraphs.All(compressed).First(g => g.Initializer.Any(t => t.Name == weight + "_q"));
        var nbits = graph.Node.FirstOrDefault(n => n.OpType == "MatMulNBits" && n.Input[1] == weight + "_q");
        if (nbits is null)
        {
            return FromDequantizeLinear(compressed, weight, anyInput, inputShape);
        }
        var values = FromMatMulNBits(graph, nbits);
        var n = (int)nbits.Attribute.First(a => a.Name == "N").I;
        return storedAsKN ? Transpose(values, n, values.Length / n) : values;
    }

    private static float[] Transpose(float[] values, int rows, int columns)
    {
        var result = new float[values.Length];
        for (var r = 0; r < rows; r++)
        {
            for (var c = 0; c < columns; c++)
            {
                result[c * rows + r] = values[r * columns + c];
            }
        }
        return result;
    }

    private static float[] FromDequantizeLinear(ModelProto compressed, string weight, float[] input, int[] shape)
    {
        var probe = compressed.Clone();
        var dq = OnnxGraphs.All(probe).SelectMany(g => g.Node).First(n => n.OpType == "DequantizeLinear" && n.Input[0] == weight + "_q");
        probe.Graph.Output.Add(new ValueInfoProto
        {
            Name = dq.Output[0],
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)DataType.Float } },
        });
        return OrtRunner.Run(probe, probe.Graph.Input[0].Name, input, shape)[dq.Output[0]];
    }

    /// <summary>[N, K] row-major, decoded from the packed B, scales and zero points.</summary>
    private static float[] FromMatMulNBits(GraphProto graph, NodeProto node)
    {
        long Attr(string name) => node.Attribute.First(a => a.Name == name).I;
        int k = (int)Attr("K"), n = (int)Attr("N"), bits = (int)Attr("bits"), block = (int)Attr("block_size");
        var blocks = (k + block - 1) / block;
        var b = graph.Initializer.First(t => t.Name == node.Input[1]).RawData.ToByteArray();
        var scales = TensorData.ReadFloats(graph.Initializer.First(t => t.Name == node.Input[2]));
        var zeroBytes = node.Input.Count > 3 && node.Input[3].Length > 0 ? graph.Initializer.First(t => t.Name == node.Input[3]).RawData.ToByteArray() : null;
        var zeroRowBytes = (blocks * bits + 7) / 8;
        var values = new float[n * k];
        for (var row = 0; row < n; row++)
        {
            for (var i = 0; i < k; i++)
            {
                var blockIndex = i / block;
                var code = Unpack(b, (long)row * blocks * block + i, bits);
                var zero = zeroBytes is null ? 1 << (bits - 1) : Unpack(zeroBytes, (long)row * zeroRowBytes * (8 / bits) + blockIndex, bits);
                values[row * k + i] = (code - zero) * scales[row * blocks + blockIndex];
            }
        }
        return values;
    }

    private static int Unpack(byte[] bytes, long index, int bits)
    {
        var perByte = 8 / bits;
        return (bytes[index / perByte] >> (int)(index % perByte * bits)) & ((1 << bits) - 1);
    }
}
