using FleetQuant.Compression.Onnx;
using FleetQuant.Compression.Pipeline;
using FleetQuant.Compression.Recipes;
using FleetQuant.Compression.TensorCoding;
using DataType = FleetQuant.Compression.Onnx.TensorProto.Types.DataType;
using FleetQuant.TestSupport;

namespace FleetQuant.Compression.Tests.Quantization;

public sealed class DynamicAndSignCoderTests
{
    [Fact]
    public void DynamicQuantize_Mlp_RunsMatMulIntegerForEveryLayer()
    {
        var source = TestModels.Mlp();
        var input = OrtRunner.RandomInput(1, 3 * 784);
        var expected = OrtRunner.RunFirst(source, input, 3, 784);

        var compressed = ModelCompressor.Compress(source, Recipe.Parse("dq8"));

        Assert.Equal(3, compressed.Model.Graph.Node.Count(n => n.OpType == "MatMulInteger"));
        Assert.Equal(3, compressed.Model.Graph.Node.Count(n => n.OpType == "DynamicQuantizeLinear"));
        Assert.DoesNotContain(compressed.Model.Graph.Node, n => n.OpType is "Gemm" or "MatMul");
        var q = compressed.Model.Graph.Initializer.Single(t => t.Name == "fc1.weight_q");
        Assert.Equal((int)DataType.Int8, q.DataType);
        Assert.Equal([784L, 64L], q.Dims);
        Assert.InRange(OrtRunner.RelativeError(OrtRunner.RunFirst(compressed.Model, input, 3, 784), expected), 0, 0.05);
    }

    [Fact]
    public void DynamicQuantize_Gemm_HonoursAlphaBetaAndTransA()
    {
        var random = new Random(4);
        var graph = new GraphProto { Name = "gemm" };
        graph.Input.Add(TestModels.FloatInput("x", 32, 2));
        graph.Output.Add(TestModels.FloatInput("y", 2, 16));
        graph.Initializer.Add(TestModels.Weights(random, "w", 32, 16));
        graph.Initializer.Add(TestModels.Weights(random, "c", 16));
        graph.Node.Add(TestModels.Node("Gemm", ["x", "w", "c"], ["y"], ("transA", 1), ("alpha", 0.5f), ("beta", 2f)));
        var source = TestModels.Model(graph, 13);
        var input = OrtRunner.RandomInput(2, 64);
        var expected = OrtRunner.RunFirst(source, input, 32, 2);

        var compressed = ModelCompressor.Compress(source, Recipe.Parse("dq8"));

        Assert.InRange(OrtRunner.RelativeError(OrtRunner.RunFirst(compressed.Model, input, 32, 2), expected), 0, 0.05);
    }

    [Fact]
    public void DynamicQuantize_KeepsConvWeightsFp32_WithANote()
    {
        var compressed = ModelCompressor.Compress(TestModels.SmallCnn(), Recipe.Parse("dq8"));

        Assert.Contains(compressed.Notes, n => n.Tensor == "conv2.weight" && n.Action == TensorAction.KeptExact && n.Detail == "dq8: no dynamic integer path for Conv");
        Assert.Contains(compressed.Model.Graph.Initializer, t => t.Name == "conv2.weight" && t.DataType == (int)DataType.Float);
        Assert.Contains(compressed.Notes, n => n.Tensor == "fc.weight" && n.Action == TensorAction.Compressed);
    }

    [Fact]
    public void Ternary_RuntimeTensorHoldsMinusOneZeroOne_WithTwoWireBits()
    {
        var compressed = ModelCompressor.Compress(TestModels.SmallCnn(), Recipe.Parse("ternary"));

        var encoded = compressed.Encodings["conv2.weight_q"];
        var codes = Assert.IsType<IntegerCodesEncoding>(encoded.Encoding);
        Assert.Equal(2, codes.Bits);
        Assert.Equal(DataType.Int4, encoded.DataType);
        var levels = codes.Codes.Select(c => c + codes.Offset).Distinct().Order().ToArray();
        Assert.Equal([-1, 0, 1], levels);
    }

    [Fact]
    public void Ternary_AlphaIsMeanMagnitudeAboveThreshold()
    {
        float[] row = [0.9f, -0.1f, 0.05f, -1.1f, 0.0f, 0.3f];
        var codes = new int[row.Length];
        var alphas = new float[1];

        Compression.Quantization.SignQuantizer.Ternarize(row, row.Length, codes, alphas);

        // Δ = 0.7 · mean|w| = 0.7 · 2.45 / 6 ≈ 0.286; above it: 0.9, 1.1, 0.3.
        Assert.Equal([2, 1, 1, 0, 1, 2], codes);
        Assert.Equal((0.9f + 1.1f + 0.3f) / 3, alphas[0], 5);
    }

    [Fact]
    public void Binary_RuntimeCodesAreOneBit_AndWeightsArePlusMinusMeanMagnitude()
    {
        var source = TestModels.Mlp();
        var input = OrtRunner.RandomInput(9, 784);
        var compressed = ModelCompressor.Compress(source, Recipe.Parse("binary"));

        var codes = Assert.IsType<IntegerCodesEncoding>(compressed.Encodings["fc1.weight_q"].Encoding);
        Assert.Equal(1, codes.Bits);
        var original = TensorData.ReadFloats(source.Graph.Initializer.Single(t => t.Name == "fc1.weight"));
        var restored = BinaryWeights(compressed.Model, "fc1.weight", input);
        for (var channel = 0; channel < 64; channel++)
        {
            var row = original.AsSpan(channel * 784, 784).ToArray();
            var alpha = row.Average(MathF.Abs);
            for (var i = 0; i < 784; i++)
            {
                Assert.Equal(row[i] >= 0 ? alpha : -alpha, restored[channel * 784 + i], 4);
            }
        }
    }

    [Fact]
    public void Ternary_FallsBackToInt8_WhenTheModelCannotReachOpset21()
    {
        // GridSample changed its mode names in opset 20, so this opset-16 model stays below 21.
        var random = new Random(6);
        var graph = new GraphProto { Name = "grid" };
        graph.Input.Add(TestModels.FloatInput("x", 1, 1, 4, 4));
        graph.Output.Add(TestModels.FloatInput("y", 1, 16));
        graph.Initializer.Add(TensorData.CreateFloat("grid", [1, 4, 4, 2], OrtRunner.RandomInput(1, 32)));
        graph.Initializer.Add(TestModels.Weights(random, "w", 16, 16));
        graph.Node.Add(TestModels.Node("GridSample", ["x", "grid"], ["s"]));
        graph.Node.Add(TestModels.Node("Flatten", ["s"], ["f"], ("axis", 1)));
        graph.Node.Add(TestModels.Node("MatMul", ["f", "w"], ["y"]));
        var source = TestModels.Model(graph, 16);
        var input = OrtRunner.RandomInput(2, 16);
        var expected = OrtRunner.RunFirst(source, input, 1, 1, 4, 4);

        var compressed = ModelCompressor.Compress(source, Recipe.Parse("ternary"));

        Assert.Equal(16, compressed.Model.DefaultOpset());
        Assert.Equal(DataType.Int8, compressed.Encodings["w_q"].DataType);
        Assert.InRange(OrtRunner.RelativeError(OrtRunner.RunFirst(compressed.Model, input, 1, 1, 4, 4), expected), 0, 1.0);
    }

    private static float[] BinaryWeights(ModelProto compressed, string weight, float[] input)
    {
        var probe = compressed.Clone();
        var add = probe.Graph.Node.Single(n => n.OpType == "Add" && n.Input[1] == weight + "_shift");
        probe.Graph.Output.Add(new ValueInfoProto
        {
            Name = add.Output[0],
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)DataType.Float } },
        });
        return OrtRunner.Run(probe, "input", input, [1, 784])[add.Output[0]];
    }
}
