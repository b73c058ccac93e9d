using FleetQuant.Compression.Onnx;
using FleetQuant.Compression.Pipeline;
using FleetQuant.Compression.Recipes;
using FleetQuant.Compression.TensorCoding;
using DataType = FleetQuant.Compression.Onnx.TensorProto.Types.DataType;
using FleetQuant.TestSupport;

namespace FleetQuant.Compression.Tests.Quantization;

public sealed class QuantizeStepTests
{
    private const int Batch = 4;

    public static readonly string[] RecipeIds =
    [
        "q8ts", "q8cs", "q8ca", "q8b32s", "q8b64a",
        "q4ta", "q4cs", "q4ca", "q4b32s", "q4b32a", "q4b128a",
        "q2cs", "q2ca", "q2b16s", "q2b32a",
        "dq8", "ternary", "binary",
    ];

    public static TheoryData<string, string> EveryRecipeOnEveryModel()
    {
        var data = new TheoryData<string, string>();
        foreach (var model in new[] { "mlp", "cnn" })
        {
            foreach (var recipe in RecipeIds)
            {
                data.Add(model, recipe);
            }
        }
        return data;
    }

    public static TheoryData<string> Models() => ["mlp", "cnn"];

    [Theory]
    [MemberData(nameof(EveryRecipeOnEveryModel))]
    public void Compress_RunsInOnnxRuntime_WithOutputCloseToFp32(string model, string recipe)
    {
        var (source, input, shape) = Load(model);
        var expected = OrtRunner.RunFirst(source, input, shape);

        var compressed = ModelCompressor.Compress(source, Recipe.Parse(recipe));
        var actual = OrtRunner.RunFirst(compressed.Model, input, shape);

        Assert.Equal(expected.Length, actual.Length);
        Assert.All(actual, v => Assert.True(float.IsFinite(v)));
        var limit = Recipe.Parse(recipe).WeightBits switch { 8 => 0.05, 4 => 0.35, _ => 1.5 };
        Assert.InRange(OrtRunner.RelativeError(actual, expected), 0, limit);
        Assert.NotEmpty(compressed.Encodings);
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void OutputError_ShrinksAsBitsGrow(string model)
    {
        foreach (var family in new[] { ("q2b32a", "q4b32a", "q8b32a"), ("q2ca", "q4ca", "q8ca"), ("q2cs", "q4cs", "q8cs") })
        {
            var two = Error(model, family.Item1);
            var four = Error(model, family.Item2);
            var eight = Error(model, family.Item3);
            Assert.True(two > four && four > eight, $"{model} {family}: errors {two:F4} > {four:F4} > {eight:F4} expected");
        }
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void OutputError_BinaryAtLeastTernary_TernaryAboveFourBit(string model)
    {
        var binary = Error(model, "binary");
        var ternary = Error(model, "ternary");
        var four = Error(model, "q4cs");
        Assert.True(binary >= ternary, $"binary {binary:F4} should be at least ternary {ternary:F4}");
        Assert.True(ternary > four, $"ternary {ternary:F4} should be above 4-bit {four:F4}");
    }

    [Theory]
    [InlineData("mlp", "q8cs", 8)]
    [InlineData("mlp", "q4b32a", 4)]
    [InlineData("mlp", "q2b32a", 2)]
    [InlineData("cnn", "q4cs", 4)]
    [InlineData("cnn", "q2ca", 2)]
    [InlineData("cnn", "ternary", 2)]
    [InlineData("cnn", "binary", 1)]
    [InlineData("mlp", "dq8", 8)]
    public void Encodings_CarryTheBitWidth_AndMaterializeTheRuntimeTensor(string model, string recipe, int bits)
    {
        var (source, _, _) = Load(model);
        var compressed = ModelCompressor.Compress(source, Recipe.Parse(recipe));

        var quantized = WeightCatalog.Find(source).Weights.Where(w => compressed.Notes.Any(n => n.Tensor == w.Name && n.Action == TensorAction.Compressed)).ToList();
        Assert.NotEmpty(quantized);
        Assert.Equal(quantized.Count, compressed.Encodings.Count);
        foreach (var (name, encoded) in compressed.Encodings)
        {
            var codes = Assert.IsType<IntegerCodesEncoding>(encoded.Encoding);
            Assert.Equal(bits, codes.Bits);
            Assert.All(codes.Codes, c => Assert.InRange(c, 0, (1 << bits) - 1));
            var runtime = OnnxGraphs.All(compressed.Model).SelectMany(g => g.Initializer).Single(t => t.Name == name);
            Assert.Equal(runtime.RawData, encoded.Materialize().RawData);
            Assert.Equal(runtime.DataType, (int)encoded.DataType);
        }
        Assert.All(quantized, w => Assert.DoesNotContain(OnnxGraphs.All(compressed.Model).SelectMany(g => g.Initializer), t => t.Name == w.Name));
    }

    [Theory]
    [InlineData("mlp", "q8cs", 8, true)]
    [InlineData("mlp", "q8ta", 8, false)]
    [InlineData("mlp", "q4b32a", 4, false)]
    [InlineData("mlp", "q4cs", 4, true)]
    [InlineData("mlp", "q2b16s", 2, true)]
    [InlineData("cnn", "q8b32a", 8, false)]
    [InlineData("cnn", "q4b32s", 4, true)]
    [InlineData("cnn", "q4ca", 4, false)]
    public void DequantizedWeights_StayWithinHalfAStepOfTheOriginal(string model, string recipe, int bits, bool symmetric)
    {
        var (source, input, shape) = Load(model);
        var compressed = ModelCompressor.Compress(source, Recipe.Parse(recipe));

        foreach (var weight in WeightCatalog.Find(source).Weights)
        {
            var original = TensorData.ReadFloats(weight.Tensor);
            var restored = DequantizedWeights.Of(compressed.Model, weight.Name, weight.Consumer.OpType == "MatMul", input, shape);
            var absMax = original.Max(MathF.Abs);
            // The coarsest step any granularity can have is the per-tensor one.
            var step = symmetric ? absMax / ((1 << (bits - 1)) - 1) : 2 * absMax / ((1 << bits) - 1);
            var worst = original.Zip(restored, (a, b) => MathF.Abs(a - b)).Max();
            Assert.True(worst <= step / 2 * 1.001f, $"{weight.Name}: error {worst} above half step {step / 2}");
        }
    }

    [Theory]
    [InlineData("mlp", "q8ca")]
    [InlineData("mlp", "q8b32s")]
    [InlineData("mlp", "q4b32a")]
    [InlineData("mlp", "q4ta")]
    [InlineData("mlp", "q2ca")]
    [InlineData("cnn", "q4b64a")]
    [InlineData("cnn", "q2b32s")]
    [InlineData("cnn", "q8ts")]
    public void PrunedZeros_StayExactlyZero(string model, string recipe)
    {
        var (source, input, shape) = Load(model);
        foreach (var weight in WeightCatalog.Find(source).Weights)
        {
            var values = TensorData.ReadFloats(weight.Tensor);
            for (var i = 0; i < values.Length; i += 3)
            {
                values[i] = 0;
            }
            TensorData.WriteFloats(weight.Tensor, values);
        }

        var compressed = ModelCompressor.Compress(source, Recipe.Parse(recipe));

        foreach (var weight in WeightCatalog.Find(source).Weights)
        {
            var restored = DequantizedWeights.Of(compressed.Model, weight.Name, weight.Consumer.OpType == "MatMul", input, shape);
            for (var i = 0; i < restored.Length; i += 3)
            {
                Assert.Equal(0f, restored[i]);
            }
        }
    }

    [Fact]
    public void PrunedZeros_StayZero_UnderTernary()
    {
        var (source, _, _) = Load("cnn");
        var weight = WeightCatalog.Find(source).Weights.First(w => w.Consumer.OpType == "Conv");
        var values = TensorData.ReadFloats(weight.Tensor);
        Array.Clear(values, 0, values.Length / 2);
        TensorData.WriteFloats(weight.Tensor, values);

        var compressed = ModelCompressor.Compress(source, Recipe.Parse("ternary"));

        var codes = (IntegerCodesEncoding)compressed.Encodings[weight.Name + "_q"].Encoding;
        Assert.All(codes.Codes.Take(values.Length / 2), c => Assert.Equal(0, c + codes.Offset));
    }

    [Theory]
    [InlineData("q8cs", "DequantizeLinear")]
    [InlineData("q4b32a", "MatMulNBits")]
    [InlineData("q2cs", "MatMulNBits")]
    [InlineData("ternary", "DequantizeLinear")]
    [InlineData("binary", "DequantizeLinear")]
    [InlineData("dq8", "MatMulInteger")]
    public void WeightInsideIfSubgraph_IsQuantized_AndModelRuns(string recipe, string expectedOp)
    {
        var source = IfModel();
        var input = OrtRunner.RandomInput(5, 2 * 32);
        var expected = OrtRunner.RunFirst(source, input, 2, 32);

        var compressed = ModelCompressor.Compress(source, Recipe.Parse(recipe));
        var actual = OrtRunner.RunFirst(compressed.Model, input, 2, 32);

        var branches = OnnxGraphs.Subgraphs(compressed.Model.Graph).ToList();
        Assert.All(branches, b => Assert.Contains(b.Node, n => n.OpType == expectedOp));
        Assert.All(branches, b => Assert.DoesNotContain(b.Initializer, t => t.Name == b.Name + ".weight"));
        Assert.All(branches, b => Assert.Contains(b.Initializer, t => t.Name == b.Name + ".weight_q"));
        Assert.InRange(OrtRunner.RelativeError(actual, expected), 0, Recipe.Parse(recipe).WeightBits == 8 ? 0.05 : 1.5);
    }

    [Fact]
    public void Quantize4Bit_OnConv_RaisesOpsetTo21_AndUsesInt4()
    {
        var (source, _, _) = Load("cnn");
        var compressed = ModelCompressor.Compress(source, Recipe.Parse("q4cs"));

        Assert.Equal(21, compressed.Model.DefaultOpset());
        Assert.True(compressed.Model.IrVersion >= 10);
        Assert.Contains(compressed.Model.Graph.Initializer, t => t.Name == "conv2.weight_q" && t.DataType == (int)DataType.Int4);
        Assert.Contains(compressed.Model.Graph.Node, n => n.OpType == "MatMulNBits" && n.Domain == OnnxGraphs.MicrosoftDomain);
        Assert.Equal(1, compressed.Model.Opset(OnnxGraphs.MicrosoftDomain));
    }

    [Fact]
    public void Quantize4Bit_OnMatMulOnlyModel_KeepsOpsetAndAddsMicrosoftDomain()
    {
        var (source, _, _) = Load("mlp");
        var compressed = ModelCompressor.Compress(source, Recipe.Parse("q4b32s"));

        Assert.Equal(13, compressed.Model.DefaultOpset());
        Assert.Equal(3, compressed.Model.Graph.Node.Count(n => n.OpType == "MatMulNBits"));
        Assert.Contains(compressed.Notes, n => n.Tensor == "fc1.weight" && n.Detail.Contains("MatMulNBits", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("q4b32a", 1, "DequantizeLinear")]
    [InlineData("q2cs", 1, "DequantizeLinear")]
    [InlineData("q4b32s", 0, "MatMulNBits")]
    [InlineData("q2ca", 0, "MatMulNBits")]
    [InlineData("q8b16a", 0, "DequantizeLinear")]
    public void Quantize_Gemm_RunsWithBroadcastBias_AndTransposedA(string recipe, long transA, string expectedOp)
    {
        var random = new Random(8);
        var graph = new GraphProto { Name = "gemm" };
        graph.Input.Add(TestModels.FloatInput("x", transA == 1 ? [40, 3] : [3, 40]));
        graph.Output.Add(TestModels.FloatInput("y", 3, 24));
        graph.Initializer.Add(TestModels.Weights(random, "w", 40, 24));
        graph.Initializer.Add(TestModels.Weights(random, "c", 1, 24));
        graph.Node.Add(TestModels.Node("Gemm", ["x", "w", "c"], ["y"], ("transA", transA)));
        var source = TestModels.Model(graph, 13);
        var shape = transA == 1 ? new[] { 40, 3 } : [3, 40];
        var input = OrtRunner.RandomInput(4, 120);
        var expected = OrtRunner.RunFirst(source, input, shape);

        var compressed = ModelCompressor.Compress(source, Recipe.Parse(recipe));

        Assert.Contains(compressed.Model.Graph.Node, n => n.OpType == expectedOp);
        var limit = Recipe.Parse(recipe).WeightBits == 2 ? 1.0 : 0.2;
        Assert.InRange(OrtRunner.RelativeError(OrtRunner.RunFirst(compressed.Model, input, shape), expected), 0, limit);
    }

    [Fact]
    public void LayerOverrides_MixDifferentCodersInOneModel_AndItRuns()
    {
        var (source, input, shape) = Load("mlp");
        var expected = OrtRunner.RunFirst(source, input, shape);
        var recipe = Recipe.Create([Recipe.ParseStep("q8cs")], new Dictionary<string, RecipeStep?>
        {
            ["fc1.weight"] = Recipe.ParseStep("q4b32a"),
            ["fc2.weight"] = Recipe.ParseStep("ternary"),
            ["fc3.weight"] = Recipe.ParseStep("dq8"),
        });

        var compressed = ModelCompressor.Compress(source, recipe);

        Assert.Equal(["MatMulNBits", "DequantizeLinear", "MatMulInteger"], compressed.Model.Graph.Node
            .Where(n => n.OpType is "MatMulNBits" or "DequantizeLinear" or "MatMulInteger").Select(n => n.OpType));
        Assert.InRange(OrtRunner.RelativeError(OrtRunner.RunFirst(compressed.Model, input, shape), expected), 0, 1.0);
    }

    private static double Error(string model, string recipe)
    {
        var (source, input, shape) = Load(model);
        var expected = OrtRunner.RunFirst(source, input, shape);
        var actual = OrtRunner.RunFirst(ModelCompressor.Compress(source, Recipe.Parse(recipe)).Model, input, shape);
        return OrtRunner.RelativeError(actual, expected);
    }

    private static (ModelProto Model, float[] Input, int[] Shape) Load(string model) => model switch
    {
        "mlp" => (TestModels.Mlp(), OrtRunner.RandomInput(11, Batch * 784), [Batch, 784]),
        _ => (TestModels.SmallCnn(), OrtRunner.RandomInput(12, Batch * 64), [Batch, 1, 8, 8]),
    };

    /// <summary>x [2, 32] → If(cond) { x · W_then } else { x · W_else } → y [2, 16], weights inside the branches.</summary>
    internal static ModelProto IfModel()
    {
        var random = new Random(3);
        GraphProto Branch(string name)
        {
            var branch = new GraphProto { Name = name };
            branch.Initializer.Add(TestModels.Weights(random, name + ".weight", 32, 16));
            branch.Node.Add(TestModels.Node("MatMul", ["x", name + ".weight"], [name + "_y"]));
            branch.Output.Add(TestModels.FloatInput(name + "_y", 2, 16));
            return branch;
        }

        var graph = new GraphProto { Name = "if" };
        graph.Input.Add(TestModels.FloatInput("x", 2, 32));
        graph.Output.Add(TestModels.FloatInput("y", 2, 16));
        graph.Initializer.Add(TensorData.Create("cond", DataType.Bool, [], [1]));
        var node = TestModels.Node("If", ["cond"], ["y"]);
        node.Attribute.Add(new AttributeProto { Name = "then_branch", Type = AttributeProto.Types.AttributeType.Graph, G = Branch("then") });
        node.Attribute.Add(new AttributeProto { Name = "else_branch", Type = AttributeProto.Types.AttributeType.Graph, G = Branch("else") });
        graph.Node.Add(node);
        return TestModels.Model(graph, 13);
    }
}
