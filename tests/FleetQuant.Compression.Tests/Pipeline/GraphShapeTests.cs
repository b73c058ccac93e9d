using FleetQuant.Compression.Artifacts;
using FleetQuant.Compression.Onnx;
using FleetQuant.Compression.Pipeline;
using FleetQuant.Compression.Recipes;
using FleetQuant.Compression.Tests.Quantization;
using Google.Protobuf;
using AttributeType = FleetQuant.Compression.Onnx.AttributeProto.Types.AttributeType;
using DataType = FleetQuant.Compression.Onnx.TensorProto.Types.DataType;
using FleetQuant.TestSupport;

namespace FleetQuant.Compression.Tests.Pipeline;

/// <summary>Graph shapes third-party exporters produce, each in a small model built here.</summary>
public sealed class GraphShapeTests
{
    private static readonly float[] Input = OrtRunner.RandomInput(5, 64);

    [Fact]
    public void Compress_QuantizesOuterWeight_ReadInsideAnIfBranch()
    {
        var model = IfModel();
        var compressed = AssertRunsClose(model, "q8cs", 0.999);

        Assert.Contains(compressed.Notes, n => n.Tensor == "w" && n.Action == TensorAction.Compressed);
        var branch = compressed.Model.Graph.Node.Single(n => n.OpType == "If").Attribute.Single(a => a.Name == "then_branch").G;
        Assert.Contains(branch.Node, n => n.OpType == "DequantizeLinear");
    }

    [Fact]
    public void Compress_QuantizesASharedWeight_OnceForEveryReader()
    {
        var g = Graph();
        g.Initializer.Add(TestModels.Weights(new Random(1), "w", 64, 64));
        g.Node.Add(TestModels.Node("MatMul", ["x", "w"], ["h"]));
        g.Node.Add(TestModels.Node("MatMul", ["h", "w"], ["y"]));

        var compressed = AssertRunsClose(TestModels.Model(g, 13), "q4b32a", 0.98);

        Assert.Single(compressed.Model.Graph.Node, n => n.OpType == "DequantizeLinear");
        Assert.All(compressed.Model.Graph.Node.Where(n => n.OpType == "MatMul"), n => Assert.NotEqual("w", n.Input[1]));
    }

    [Fact]
    public void Compress_LeavesAnInitializerThatIsAlsoAGraphInput_Exact()
    {
        var g = Graph();
        g.Initializer.Add(TestModels.Weights(new Random(1), "w", 64, 64));
        g.Input.Add(TestModels.FloatInput("w", 64, 64));
        g.Node.Add(TestModels.Node("MatMul", ["x", "w"], ["y"]));

        var compressed = ModelCompressor.Compress(TestModels.Model(g, 13), Recipe.Parse("q8cs"));

        Assert.Contains(compressed.Notes, n => n.Tensor == "w" && n.Action == TensorAction.KeptExact && n.Detail.Contains("graph input"));
        Assert.True(compressed.ChangesNothing);
    }

    [Fact]
    public void Compress_SharesWeightsHeldInAConstantNode()
    {
        var g = Graph();
        var constant = TestModels.Node("Constant", [], ["w"]);
        constant.Attribute.Add(new AttributeProto { Name = "value", Type = AttributeType.Tensor, T = TestModels.Weights(new Random(2), "", 64, 64) });
        g.Node.Add(constant);
        g.Node.Add(TestModels.Node("MatMul", ["x", "w"], ["y"]));

        var compressed = AssertRunsClose(TestModels.Model(g, 13), "km4", 0.99);

        Assert.DoesNotContain(compressed.Model.Graph.Node, n => n.OpType == "Constant");
        Assert.IsType<TensorCoding.CodebookEncoding>(compressed.Encodings["w"].Encoding);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Compress_QuantizesConvTransposeWeights_PerInputChannel(long group)
    {
        var g = new GraphProto { Name = "deconv" };
        g.Input.Add(TestModels.FloatInput("x", 1, 16, 2, 2));
        g.Output.Add(TestModels.FloatInput("y", 1, 8 * group, 4, 4));
        g.Initializer.Add(TestModels.Weights(new Random(3), "w", 16, 8, 2, 2));
        g.Node.Add(TestModels.Node("ConvTranspose", ["x", "w"], ["y"], ("strides", new long[] { 2, 2 }), ("group", group)));

        var compressed = AssertRunsClose(TestModels.Model(g, 13), "q8cs", 0.999, [1, 16, 2, 2]);

        Assert.Equal(0, compressed.Model.Graph.Node.Single(n => n.OpType == "DequantizeLinear").Attribute.Single(a => a.Name == "axis").I);
    }

    [Theory]
    [InlineData("q8cs", 0.999)]
    [InlineData("q4b32a", 0.97)]
    [InlineData("ternary", 0.8)]
    public void Compress_QuantizesDepthwiseConv(string recipe, double minCosine)
    {
        var g = new GraphProto { Name = "depthwise" };
        g.Input.Add(TestModels.FloatInput("x", 1, 16, 2, 2));
        g.Output.Add(TestModels.FloatInput("y", 1, 16, 2, 2));
        g.Initializer.Add(TestModels.Weights(new Random(4), "w", 16, 1, 5, 5));
        g.Node.Add(TestModels.Node("Conv", ["x", "w"], ["y"], ("group", 16L), ("pads", new long[] { 2, 2, 2, 2 })));

        AssertRunsClose(TestModels.Model(g, 13), recipe, minCosine, [1, 16, 2, 2]);
    }

    [Theory]
    [InlineData("LSTM", 4)]
    [InlineData("GRU", 3)]
    [InlineData("RNN", 1)]
    public void Compress_QuantizesRecurrentWeights_WeightOnly(string op, int gates)
    {
        var g = new GraphProto { Name = "recurrent" };
        g.Input.Add(TestModels.FloatInput("x", 4, 1, 16));
        g.Output.Add(TestModels.FloatInput("y", 4, 2, 1, 32));
        g.Initializer.Add(TestModels.Weights(new Random(5), "W", 2, gates * 32, 16));
        g.Initializer.Add(TestModels.Weights(new Random(6), "R", 2, gates * 32, 32));
        var node = TestModels.Node(op, ["x", "W", "R"], ["y"], ("hidden_size", 32L));
        node.Attribute.Add(new AttributeProto { Name = "direction", Type = AttributeType.String, S = Google.Protobuf.ByteString.CopyFromUtf8("bidirectional") });
        g.Node.Add(node);

        var compressed = AssertRunsClose(TestModels.Model(g, 13), "q8cs", 0.999, [4, 1, 16]);

        Assert.Contains(compressed.Notes, n => n.Tensor == "W" && n.Action == TensorAction.Compressed);
        Assert.Contains(compressed.Notes, n => n.Tensor == "R" && n.Action == TensorAction.Compressed);
    }

    [Theory]
    [InlineData(DataType.Float16)]
    [InlineData(DataType.Bfloat16)]
    public void Compress_KeepsHalfPrecisionWeightsExact_WithTheReason(DataType type)
    {
        var g = Graph();
        g.Initializer.Add(TensorData.Create("w", type, [64, 64], new byte[64 * 64 * 2]));
        g.Node.Add(TestModels.Node("Cast", ["w"], ["w32"], ("to", (long)DataType.Float)));
        g.Node.Add(TestModels.Node("MatMul", ["x", "w32"], ["y"]));

        var compressed = ModelCompressor.Compress(TestModels.Model(g, 13), Recipe.Parse("q4b32a"));

        Assert.Contains(compressed.Notes, n => n.Tensor == "w" && n.Action == TensorAction.KeptExact && n.Detail.StartsWith(type.ToString(), StringComparison.Ordinal));
        Assert.True(compressed.ChangesNothing);
        RunUnpacked(compressed, [1, 64]);
    }

    [Fact]
    public void Compress_LeavesWeightsExact_WhenTheOpsetCannotBeRaised()
    {
        var g = Graph();
        g.Initializer.Add(TestModels.Weights(new Random(1), "w", 64, 64));
        g.Initializer.Add(TensorData.CreateFloat("scales", [2], [1f, 1f]));
        g.Node.Add(TestModels.Node("Gemm", ["x", "w"], ["h"]));
        g.Node.Add(TestModels.Node("Upsample", ["h", "scales"], ["y"]));

        var compressed = ModelCompressor.Compress(TestModels.Model(g, 9), Recipe.Parse("q8cs"));

        Assert.Contains(compressed.Notes, n => n.Tensor == "w" && n.Action == TensorAction.KeptExact && n.Detail.Contains("Upsample"));
        Assert.Equal(9, compressed.Model.DefaultOpset());
        Assert.True(compressed.ChangesNothing);
    }

    [Theory]
    [InlineData("q8cs", 0.999)]
    [InlineData("q4b32a", 0.99)]
    [InlineData("q2b32a", 0.9)]
    [InlineData("ternary", 0.8)]
    [InlineData("binary", 0.7)]
    [InlineData("km4", 0.99)]
    public void Compress_CodesAWeightReadBySlice_DequantizedOnceAtLoad(string recipe, double minCosine)
    {
        // LSTM exports that cut gate rows out of one matrix: y = x · Slice(w, rows 0..64).
        var g = Graph();
        g.Initializer.Add(TestModels.Weights(new Random(4), "w", 128, 64));
        g.Initializer.Add(TensorData.CreateInt64("starts", [1], [0]));
        g.Initializer.Add(TensorData.CreateInt64("ends", [1], [64]));
        g.Initializer.Add(TensorData.CreateInt64("axes", [1], [0]));
        g.Node.Add(TestModels.Node("Slice", ["w", "starts", "ends", "axes"], ["rows"]));
        g.Node.Add(TestModels.Node("MatMul", ["x", "rows"], ["y"]));

        var compressed = AssertRunsClose(TestModels.Model(g, 13), recipe, minCosine);

        var note = Assert.Single(compressed.Notes, n => n.Tensor == "w");
        Assert.Equal(TensorAction.Compressed, note.Action);
        if (recipe != "km4")
        {
            Assert.DoesNotContain(compressed.Model.Graph.Initializer, t => t.Name == "w");
            Assert.Contains("dequantized once at load for Slice", note.Detail, StringComparison.Ordinal);
            var dequantize = Assert.Single(compressed.Model.Graph.Node, n => n.OpType == "DequantizeLinear");
            var slice = compressed.Model.Graph.Node.Single(n => n.OpType == "Slice");
            Assert.True(compressed.Model.Graph.Node.IndexOf(dequantize) < compressed.Model.Graph.Node.IndexOf(slice));
        }
    }

    [Fact]
    public void Compress_CodesAWeightAddedToAnActivation_PerRow()
    {
        // A learned positional table [1, 64] would be per-tensor; this one has 4 rows, each with its own scale.
        var g = new GraphProto { Name = "g" };
        g.Input.Add(TestModels.FloatInput("x", 4, 64));
        g.Output.Add(TestModels.FloatInput("y", 4, 64));
        g.Initializer.Add(TestModels.Weights(new Random(5), "table", 4, 64));
        g.Node.Add(TestModels.Node("Add", ["x", "table"], ["y"]));

        var compressed = AssertRunsClose(TestModels.Model(g, 13), "q8cs", 0.999, [4, 64]);

        var dequantize = Assert.Single(compressed.Model.Graph.Node, n => n.OpType == "DequantizeLinear");
        var scale = compressed.Model.Graph.Initializer.Single(t => t.Name == dequantize.Input[1]);
        Assert.Equal([4L], scale.Dims);
        Assert.Equal(0, dequantize.Attribute.Single(a => a.Name == "axis").I);
    }

    [Fact]
    public void Compress_KeepsAFloatResizeScalesTensorExact_AndCodesTheData()
    {
        // A float tensor read as Resize scales is shape data however large; the image it resizes is data.
        var g = new GraphProto { Name = "g" };
        g.Input.Add(TestModels.FloatInput("x", 1, 1, 16, 16));
        g.Output.Add(TestModels.FloatInput("y", 1, 1, 32, 32));
        g.Initializer.Add(TestModels.Weights(new Random(6), "image", 1, 1, 16, 16));
        g.Node.Add(TestModels.Node("Add", ["x", "image"], ["sum"]));
        g.Initializer.Add(TensorData.CreateFloat("resize_scales", [4, 64], Enumerable.Repeat(2f, 256).ToArray()));
        g.Node.Add(TestModels.Node("Resize", ["sum", "", "resize_scales"], ["y"]));

        var compressed = ModelCompressor.Compress(TestModels.Model(g, 13), Recipe.Parse("q4b32a"));

        var kept = Assert.Single(compressed.Notes, n => n.Tensor == "resize_scales");
        Assert.Equal(TensorAction.KeptExact, kept.Action);
        Assert.Contains("input 2 of Resize, read as shape or index data", kept.Detail, StringComparison.Ordinal);
        Assert.Equal(TensorData.ReadFloats(g.Initializer.Single(t => t.Name == "resize_scales")), TensorData.ReadFloats(compressed.Model.Graph.Initializer.Single(t => t.Name == "resize_scales")));
        Assert.Contains(compressed.Notes, n => n.Tensor == "image" && n.Action == TensorAction.Compressed);
        var pruned = ModelCompressor.Compress(TestModels.Model(g, 13), Recipe.Parse("sp50"));
        Assert.Equal(TensorData.ReadFloats(g.Initializer.Single(t => t.Name == "resize_scales")), TensorData.ReadFloats(pruned.Model.Graph.Initializer.Single(t => t.Name == "resize_scales")));
    }

    [Fact]
    public void Compress_SharesOneDequantization_ForAnOperandReadInBothIfBranches()
    {
        var g = Graph();
        g.Initializer.Add(TestModels.Weights(new Random(7), "w", 128, 64));
        g.Initializer.Add(TensorData.Create("cond", DataType.Bool, [], [1]));
        g.Initializer.Add(TensorData.CreateInt64("starts", [1], [0]));
        g.Initializer.Add(TensorData.CreateInt64("ends", [1], [64]));
        var node = TestModels.Node("If", ["cond"], ["y"]);
        foreach (var branch in new[] { "then_branch", "else_branch" })
        {
            var body = new GraphProto { Name = branch };
            body.Node.Add(TestModels.Node("Slice", ["w", "starts", "ends"], [branch + "_rows"]));
            body.Node.Add(TestModels.Node("MatMul", ["x", branch + "_rows"], [branch + "_y"]));
            body.Output.Add(TestModels.FloatInput(branch + "_y", 1, 64));
            node.Attribute.Add(new AttributeProto { Name = branch, Type = AttributeType.Graph, G = body });
        }
        g.Node.Add(node);

        var compressed = AssertRunsClose(TestModels.Model(g, 13), "q8cs", 0.999);

        Assert.Contains(compressed.Notes, n => n.Tensor == "w" && n.Action == TensorAction.Compressed);
        Assert.Single(OnnxGraphs.All(compressed.Model).SelectMany(b => b.Node), n => n.OpType == "DequantizeLinear");
        Assert.Equal("DequantizeLinear", compressed.Model.Graph.Node[0].OpType);
    }

    [Theory]
    [InlineData("km4")]
    [InlineData("q2b32a")]
    public void Pack_CodesSubgraphInitializers_AtTheirBitWidth(string recipe)
    {
        // Each branch holds its own 'w' (the names collide, so they stay in their branches).
        var g = Graph();
        g.Initializer.Add(TensorData.Create("cond", DataType.Bool, [], [1]));
        var node = TestModels.Node("If", ["cond"], ["y"]);
        foreach (var (branch, seed) in new[] { ("then_branch", 8), ("else_branch", 9) })
        {
            var body = new GraphProto { Name = branch };
            body.Initializer.Add(TestModels.Weights(new Random(seed), "w", 64, 64));
            body.Node.Add(TestModels.Node("MatMul", ["x", "w"], [branch + "_y"]));
            body.Output.Add(TestModels.FloatInput(branch + "_y", 1, 64));
            node.Attribute.Add(new AttributeProto { Name = branch, Type = AttributeType.Graph, G = body });
        }
        g.Node.Add(node);
        var model = TestModels.Model(g, 13);

        var compressed = AssertRunsClose(model, recipe, 0.9);
        var artifact = ArtifactWriter.Pack(compressed);

        Assert.Equal(ArtifactTable.FormatVersion, BitConverter.ToUInt16(artifact, 4));
        // 2 × 4096 weights at 4 bits (km4) or 2 bits (q2b32a) plus scales, not 2 × 16 KiB of floats.
        Assert.True(artifact.Length < 12_000, $"{artifact.Length} bytes");
        using var unpacked = new MemoryStream();
        ArtifactReader.Unpack(new MemoryStream(artifact), unpacked);
        Assert.Equal(compressed.Model.ToByteArray().Length, unpacked.Length);
    }

    [Fact]
    public void MagnitudePruning_LeavesOperandsDense()
    {
        var g = new GraphProto { Name = "g" };
        g.Input.Add(TestModels.FloatInput("x", 4, 64));
        g.Output.Add(TestModels.FloatInput("y", 4, 64));
        g.Initializer.Add(TestModels.Weights(new Random(5), "table", 4, 64));
        g.Node.Add(TestModels.Node("Add", ["x", "table"], ["y"]));

        var compressed = ModelCompressor.Compress(TestModels.Model(g, 13), Recipe.Parse("p50"));

        Assert.DoesNotContain(compressed.Notes, n => n.Tensor == "table" && n.Action == TensorAction.Pruned);
        Assert.DoesNotContain(TensorData.ReadFloats(compressed.Model.Graph.Initializer.Single(t => t.Name == "table")), v => v == 0);
    }

    [Fact]
    public void ChangesNothing_IsFalse_WhenAWeightWasCompressed()
    {
        Assert.False(ModelCompressor.Compress(TestModels.Mlp(), Recipe.Parse("q8cs")).ChangesNothing);
        Assert.True(ModelCompressor.Compress(TestModels.Mlp(), Recipe.Fp32).ChangesNothing);
    }

    [Fact]
    public void Load_ReadsExternalData_RelativeToTheModel_AndNamesAMissingFile()
    {
        var directory = Directory.CreateTempSubdirectory("fq-external-");
        try
        {
            var model = TestModels.Mlp();
            var weight = model.Graph.Initializer.Single(t => t.Name == "fc1.weight");
            File.WriteAllBytes(Path.Combine(directory.FullName, "weights.bin"), weight.RawData.ToByteArray());
            weight.RawData = Google.Protobuf.ByteString.Empty;
            weight.DataLocation = TensorProto.Types.DataLocation.External;
            weight.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = "weights.bin" });
            var path = Path.Combine(directory.FullName, "model.onnx");
            OnnxModelFile.Save(model, path);

            var compressed = ModelCompressor.Compress(OnnxModelFile.Load(path), Recipe.Parse("q8cs"));
            Assert.Contains(compressed.Notes, n => n.Tensor == "fc1.weight" && n.Action == TensorAction.Compressed);

            File.Delete(Path.Combine(directory.FullName, "weights.bin"));
            var error = Assert.Throws<OnnxModelException>(() => OnnxModelFile.Load(path));
            Assert.Contains("weights.bin", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    /// <summary>x [1, 64] → nodes → y.</summary>
    private static GraphProto Graph()
    {
        var g = new GraphProto { Name = "g" };
        g.Input.Add(TestModels.FloatInput("x", 1, 64));
        g.Output.Add(TestModels.FloatInput("y", 1, 64));
        return g;
    }

    /// <summary>y = If(true) { x · w } else { x }, with w an initializer of the main graph.</summary>
    private static ModelProto IfModel()
    {
        var g = Graph();
        g.Initializer.Add(TestModels.Weights(new Random(1), "w", 64, 64));
        g.Initializer.Add(TensorData.Create("cond", DataType.Bool, [], [1]));
        var then = new GraphProto { Name = "then" };
        then.Node.Add(TestModels.Node("MatMul", ["x", "w"], ["then_y"]));
        then.Output.Add(TestModels.FloatInput("then_y", 1, 64));
        var otherwise = new GraphProto { Name = "else" };
        otherwise.Node.Add(TestModels.Node("Identity", ["x"], ["else_y"]));
        otherwise.Output.Add(TestModels.FloatInput("else_y", 1, 64));
        var node = TestModels.Node("If", ["cond"], ["y"]);
        node.Attribute.Add(new AttributeProto { Name = "then_branch", Type = AttributeType.Graph, G = then });
        node.Attribute.Add(new AttributeProto { Name = "else_branch", Type = AttributeType.Graph, G = otherwise });
        g.Node.Add(node);
        return TestModels.Model(g, 13);
    }

    /// <summary>Compresses, packs and unpacks, and checks the unpacked model's output against the FP32 one.</summary>
    private static CompressedModel AssertRunsClose(ModelProto model, string recipe, double minCosine, int[]? shape = null)
    {
        shape ??= [1, 64];
        var input = OrtRunner.RandomInput(5, shape.Aggregate(1, (a, d) => a * d));
        var expected = OrtRunner.RunFirst(model, input, shape);
        var compressed = ModelCompressor.Compress(model, Recipe.Parse(recipe));
        Assert.False(compressed.ChangesNothing);
        var actual = RunUnpacked(compressed, shape, input);
        var cosine = OrtRunner.Cosine(actual, expected);
        Assert.True(cosine >= minCosine, $"{recipe}: cosine {cosine:F4}");
        return compressed;
    }

    private static float[] RunUnpacked(CompressedModel compressed, int[] shape, float[]? input = null)
    {
        using var packed = new MemoryStream(ArtifactWriter.Pack(compressed));
        using var unpacked = new MemoryStream();
        ArtifactReader.Unpack(packed, unpacked);
        var output = OrtRunner.RunFirst(OnnxModelFile.Parse(unpacked.ToArray()), input ?? Input, shape);
        Assert.All(output, v => Assert.True(float.IsFinite(v)));
        return output;
    }
}
