using FleetQuant.Compression.Onnx;
using FleetQuant.Compression.Tests.Support;
using DataType = FleetQuant.Compression.Onnx.TensorProto.Types.DataType;
using FleetQuant.TestSupport;

namespace FleetQuant.Compression.Tests.Quantization;

public sealed class OpsetUpgraderTests
{
    private static readonly int[] InputShape = [2, 3, 4];

    /// <summary>Small graphs at an old opset, each built around one op the upgrader rewrites.</summary>
    public static TheoryData<string, long, long> RewrittenOps() => new()
    {
        { "Squeeze", 11, 13 },
        { "Unsqueeze", 11, 21 },
        { "Clip", 7, 21 },
        { "ClipMinOnly", 7, 11 },
        { "Pad", 7, 21 },
        { "ReduceMean", 13, 18 },
        { "ReduceMeanAllAxes", 7, 21 },
        { "ReduceSum", 11, 13 },
        { "Dropout", 7, 21 },
        { "BatchNormalization", 7, 21 },
        { "Softmax", 11, 13 },
        { "SoftmaxMiddleAxis", 11, 13 },
        { "SoftmaxMiddleAxis", 9, 21 },
        { "LogSoftmax", 7, 21 },
        { "Slice", 9, 21 },
        { "Split", 11, 18 },
        { "TopK", 9, 10 },
    };

    [Theory]
    [MemberData(nameof(RewrittenOps))]
    public void Upgrade_RewritesOp_AndKeepsItsOutputs(string op, long from, long to)
    {
        var model = Build(op, from);
        var input = OrtRunner.RandomInput(7, 24);
        var before = OrtRunner.RunFirst(model, input, InputShape);

        OpsetUpgrader.Upgrade(model, to);
        var after = OrtRunner.RunFirst(model, input, InputShape);

        Assert.Equal(to, model.DefaultOpset());
        Assert.True(model.IrVersion >= OpsetUpgrader.MinIrVersion(to));
        // Same values up to float rounding: a rewritten reduction may run another ORT kernel that sums in another order.
        Assert.Equal(before.Length, after.Length);
        Assert.All(before.Zip(after), pair => Assert.Equal(pair.First, pair.Second, 1e-6f * Math.Max(1f, Math.Abs(pair.First))));
    }

    [Fact]
    public void Upgrade_TurnsDropoutIntoIdentity()
    {
        var model = Build("Dropout", 7);
        OpsetUpgrader.Upgrade(model, 21);
        Assert.Equal(["Identity"], model.Graph.Node.Select(n => n.OpType));
    }

    [Theory]
    [InlineData("Upsample", 9, "Upsample", "opset 10")]
    [InlineData("Resize", 10, "Resize", "opset 11")]
    public void Upgrade_RejectsOpWhoseMeaningChanged_AndLeavesModelUntouched(string op, long from, string named, string opset)
    {
        var model = Build(op, from);
        var original = model.Clone();

        var error = Assert.Throws<OnnxModelException>(() => OpsetUpgrader.Upgrade(model, 21));

        Assert.Contains(named, error.Message, StringComparison.Ordinal);
        Assert.Contains(opset, error.Message, StringComparison.Ordinal);
        Assert.Equal(original, model);
    }

    [Fact]
    public void Upgrade_RejectsUnknownOps()
    {
        var model = Graph(9, g => g.Node.Add(TestModels.Node("MysteryOp", ["x"], ["y"])));
        var error = Assert.Throws<OnnxModelException>(() => OpsetUpgrader.Upgrade(model, 13));
        Assert.Contains("MysteryOp", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Upgrade_NeverLowersTheOpset()
    {
        var model = TestModels.Mlp(opset: 13);
        OpsetUpgrader.Upgrade(model, 11);
        Assert.Equal(13, model.DefaultOpset());
    }

    [Fact]
    public void Upgrade_RewritesOpsInsideSubgraphs()
    {
        var then = new GraphProto { Name = "then" };
        then.Node.Add(TestModels.Node("Unsqueeze", ["x"], ["u"], ("axes", new long[] { 0 })));
        then.Node.Add(TestModels.Node("Squeeze", ["u"], ["then_y"], ("axes", new long[] { 0 })));
        then.Output.Add(TestModels.FloatInput("then_y", InputShape.Select(d => (long)d).ToArray()));
        var otherwise = new GraphProto { Name = "else" };
        otherwise.Node.Add(TestModels.Node("Neg", ["x"], ["else_y"]));
        otherwise.Output.Add(TestModels.FloatInput("else_y", InputShape.Select(d => (long)d).ToArray()));
        var model = Graph(11, g =>
        {
            g.Initializer.Add(TensorData.Create("cond", DataType.Bool, [], [1]));
            var node = TestModels.Node("If", ["cond"], ["y"]);
            node.Attribute.Add(new AttributeProto { Name = "then_branch", Type = AttributeProto.Types.AttributeType.Graph, G = then });
            node.Attribute.Add(new AttributeProto { Name = "else_branch", Type = AttributeProto.Types.AttributeType.Graph, G = otherwise });
            g.Node.Add(node);
        });
        var input = OrtRunner.RandomInput(3, 24);
        var before = OrtRunner.RunFirst(model, input, InputShape);

        OpsetUpgrader.Upgrade(model, 21);

        Assert.All(then.Node, n => Assert.Equal(2, n.Input.Count));
        Assert.Equal(before, OrtRunner.RunFirst(model, input, InputShape));
    }

    [Fact]
    public void Upgrade_TakesResNet18FromOpset8To21_WithTheSameOutputs()
    {
        var model = OnnxModelFile.Load(ResNet18Model.Path);
        var (input, shape) = ResNetInput(model, seed: 1);
        var before = OrtRunner.RunFirst(model, input, shape);

        OpsetUpgrader.Upgrade(model, 21);
        var after = OrtRunner.RunFirst(model, input, shape);

        Assert.Equal(21, model.DefaultOpset());
        Assert.Equal(10, model.IrVersion);
        var worst = before.Zip(after, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(worst <= 1e-4 * before.Max(Math.Abs), $"max difference {worst}");
    }

    internal static (float[] Input, int[] Shape) ResNetInput(ModelProto model, int seed)
    {
        var initializers = model.Graph.Initializer.Select(t => t.Name).ToHashSet();
        var dims = model.Graph.Input.First(i => !initializers.Contains(i.Name)).Type.TensorType.Shape.Dim
            .Select(d => d.DimValue > 0 ? (int)d.DimValue : 1).ToArray();
        return (OrtRunner.RandomInput(seed, dims.Aggregate(1, (a, b) => a * b)), dims);
    }

    private static ModelProto Build(string op, long opset) => op switch
    {
        "Squeeze" => Graph(opset, g =>
        {
            g.Node.Add(TestModels.Node("Unsqueeze", ["x"], ["u"], ("axes", new long[] { 1 })));
            g.Node.Add(TestModels.Node("Squeeze", ["u"], ["y"], ("axes", new long[] { 1 })));
        }),
        "Unsqueeze" => Graph(opset, g =>
        {
            g.Node.Add(TestModels.Node("Unsqueeze", ["x"], ["u"], ("axes", new long[] { 0, 3 })));
            g.Node.Add(TestModels.Node("Neg", ["u"], ["y"]));
        }),
        "Clip" => Graph(opset, g => g.Node.Add(TestModels.Node("Clip", ["x"], ["y"], ("min", -0.3f), ("max", 0.4f)))),
        "ClipMinOnly" => Graph(opset, g => g.Node.Add(TestModels.Node("Clip", ["x"], ["y"], ("min", -0.2f)))),
        "Pad" => Graph(opset, g => g.Node.Add(TestModels.Node("Pad", ["x"], ["y"], ("pads", new long[] { 0, 1, 2, 0, 0, 1 }), ("value", 1.5f)))),
        "ReduceMean" => Graph(opset, g => g.Node.Add(TestModels.Node("ReduceMean", ["x"], ["y"], ("axes", new long[] { 1, 2 }), ("keepdims", 0)))),
        "ReduceMeanAllAxes" => Graph(opset, g => g.Node.Add(TestModels.Node("ReduceMean", ["x"], ["y"]))),
        "ReduceSum" => Graph(opset, g => g.Node.Add(TestModels.Node("ReduceSum", ["x"], ["y"], ("axes", new long[] { -1 })))),
        "Dropout" => Graph(opset, g => g.Node.Add(TestModels.Node("Dropout", ["x"], ["y"], ("ratio", 0.5f)))),
        "BatchNormalization" => Graph(opset, g =>
        {
            g.Initializer.Add(TensorData.CreateFloat("scale", [3], [1f, 2f, 0.5f]));
            g.Initializer.Add(TensorData.CreateFloat("bias", [3], [0.1f, -0.2f, 0.3f]));
            g.Initializer.Add(TensorData.CreateFloat("mean", [3], [0f, 0.5f, -0.5f]));
            g.Initializer.Add(TensorData.CreateFloat("var", [3], [1f, 2f, 4f]));
            g.Node.Add(TestModels.Node("BatchNormalization", ["x", "scale", "bias", "mean", "var"], ["y"], ("spatial", 1), ("epsilon", 1e-5f)));
        }),
        "Softmax" => Graph(opset, g => g.Node.Add(TestModels.Node("Softmax", ["x"], ["y"], ("axis", 2)))),
        "SoftmaxMiddleAxis" => Graph(opset, g => g.Node.Add(TestModels.Node("Softmax", ["x"], ["y"], ("axis", 1)))),
        "LogSoftmax" => Graph(opset, g => g.Node.Add(TestModels.Node("LogSoftmax", ["x"], ["y"], ("axis", -1)))),
        "Slice" => Graph(opset, g => g.Node.Add(TestModels.Node("Slice", ["x"], ["y"], ("starts", new long[] { 1, 0 }), ("ends", new long[] { 3, 3 }), ("axes", new long[] { 1, 2 })))),
        "Split" => Graph(opset, g =>
        {
            g.Node.Add(TestModels.Node("Split", ["x"], ["a", "b"], ("axis", 2), ("split", new long[] { 1, 3 })));
            g.Node.Add(TestModels.Node("ReduceSum", ["b"], ["y"], ("axes", new long[] { 2 })));
            g.Node.Add(TestModels.Node("Neg", ["a"], ["unused"]));
        }),
        "TopK" => Graph(opset, g => g.Node.Add(TestModels.Node("TopK", ["x"], ["y", "indices"], ("k", 2), ("axis", -1)))),
        "Upsample" => Graph(opset, g =>
        {
            g.Initializer.Add(TensorData.CreateFloat("scales", [3], [1f, 1f, 2f]));
            g.Node.Add(TestModels.Node("Upsample", ["x", "scales"], ["y"]));
        }),
        "Resize" => Graph(opset, g =>
        {
            g.Initializer.Add(TensorData.CreateFloat("scales", [3], [1f, 1f, 2f]));
            g.Node.Add(TestModels.Node("Resize", ["x", "scales"], ["y"]));
        }),
        _ => throw new ArgumentException(op),
    };

    /// <summary>x [2, 3, 4] → nodes → y (first graph output, rank unknown to the graph).</summary>
    private static ModelProto Graph(long opset, Action<GraphProto> addNodes)
    {
        var graph = new GraphProto { Name = "g" };
        graph.Input.Add(TestModels.FloatInput("x", InputShape.Select(d => (long)d).ToArray()));
        graph.Output.Add(new ValueInfoProto
        {
            Name = "y",
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)DataType.Float } },
        });
        addNodes(graph);
        return TestModels.Model(graph, opset);
    }
}
