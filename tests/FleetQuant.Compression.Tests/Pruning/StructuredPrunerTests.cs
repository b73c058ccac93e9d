using FleetQuant.Compression.Evaluation;
using FleetQuant.Compression.Onnx;
using FleetQuant.Compression.Pipeline;
using FleetQuant.Compression.Recipes;
using FleetQuant.Compression.Tests.Support;
using FleetQuant.TestSupport;

namespace FleetQuant.Compression.Tests.Pruning;

public sealed class StructuredPrunerTests
{
    /// <summary>Each prunable layer of the test models: its weight, output-channel axis and bias.</summary>
    private static readonly Dictionary<string, (string Weight, int Axis, string Bias)[]> PrunableLayers = new()
    {
        ["mlp"] = [("fc1.weight", 0, "fc1.bias"), ("fc2.weight", 1, "fc2.bias")],
        ["cnn"] = [("conv1.weight", 0, "conv1.bias"), ("conv2.weight", 0, "conv2.bias")],
    };

    [Fact]
    public void Mlp_RemovesNeurons_AndRewiresEveryConsumer()
    {
        var compressed = ModelCompressor.Compress(TestModels.Mlp(), Recipe.Parse("sp25"));
        var model = compressed.Model;

        Assert.Equal(new long[] { 48, 784 }, SavedModelRunner.Dims(model, "fc1.weight"));
        Assert.Equal(new long[] { 48 }, SavedModelRunner.Dims(model, "fc1.bias"));
        Assert.Equal(new long[] { 48, 24 }, SavedModelRunner.Dims(model, "fc2.weight"));
        Assert.Equal(new long[] { 24 }, SavedModelRunner.Dims(model, "fc2.bias"));
        Assert.Equal(new long[] { 10, 24 }, SavedModelRunner.Dims(model, "fc3.weight"));
        Assert.Contains(compressed.Notes, n => n.Tensor == "fc3.weight" && n.Action == TensorAction.KeptExact && n.Detail.Contains("Softmax"));

        var (_, shape) = SavedModelRunner.Run(model, SavedModelRunner.RandomInput(1, 3 * 784), 3, 784);
        Assert.Equal(new[] { 3, 10 }, shape);
    }

    [Fact]
    public void Cnn_CutsConvChannels_AndTheMatchingBlocksAfterFlatten()
    {
        var model = ModelCompressor.Compress(TestModels.SmallCnn(), Recipe.Parse("sp50")).Model;

        Assert.Equal(new long[] { 8, 1, 3, 3 }, SavedModelRunner.Dims(model, "conv1.weight"));
        Assert.Equal(new long[] { 16, 8, 3, 3 }, SavedModelRunner.Dims(model, "conv2.weight"));
        Assert.Equal(new long[] { 16 }, SavedModelRunner.Dims(model, "conv2.bias"));
        Assert.Equal(new long[] { 10, 16 * 4 * 4 }, SavedModelRunner.Dims(model, "fc.weight"));
        var (_, shape) = SavedModelRunner.Run(model, SavedModelRunner.RandomInput(1, 2 * 64), 2, 1, 8, 8);
        Assert.Equal(new[] { 2, 10 }, shape);
    }

    /// <summary>
    /// Removing a channel must equal silencing it: the cut model gives the same outputs as the original with the
    /// lowest-norm channels' weights and biases set to zero (Relu(0) = 0 feeds nothing forward).
    /// </summary>
    [Theory]
    [InlineData("mlp", "sp25", 0.25)]
    [InlineData("mlp", "sp50", 0.5)]
    [InlineData("cnn", "sp50", 0.5)]
    [InlineData("cnn", "sp75", 0.75)]
    public void CutModel_MatchesOriginalWithLowestNormChannelsSilenced(string name, string recipe, double ratio)
    {
        var (source, input, shape) = MagnitudePrunerTests.Load(name);
        var silenced = source.Clone();
        foreach (var (weight, axis, bias) in PrunableLayers[name])
        {
            var tensor = SavedModelRunner.Initializer(silenced, weight);
            var dims = tensor.Dims.ToArray();
            var values = TensorData.ReadFloats(tensor);
            var biasValues = SavedModelRunner.Floats(silenced, bias);
            var channels = (int)dims[axis];
            foreach (var channel in LowestNormChannels(values, dims, axis, (int)Math.Floor(ratio * channels)))
            {
                ForEachInChannel(dims, axis, channel, i => values[i] = 0);
                biasValues[channel] = 0;
            }
            TensorData.WriteFloats(tensor, values);
            TensorData.WriteFloats(SavedModelRunner.Initializer(silenced, bias), biasValues);
        }

        var cut = ModelCompressor.Compress(source, Recipe.Parse(recipe)).Model;

        var expected = SavedModelRunner.Output(silenced, input, shape);
        var actual = SavedModelRunner.Output(cut, input, shape);
        Assert.Equal(expected.Length, actual.Length);
        Assert.True(SavedModelRunner.RelativeError(actual, expected) < 1e-5, $"error {SavedModelRunner.RelativeError(actual, expected)}");
        Assert.True(SavedModelRunner.RelativeError(actual, SavedModelRunner.Output(source, input, shape)) > 1e-3, "pruning changed nothing");
    }

    [Fact]
    public void ActivationImportance_KeepsChannelsTheCalibrationDataUse_WhereWeightNormWouldNot()
    {
        // Channel j reads input feature j with weight 4-j: by norm channels 0 and 1 matter most, but the
        // calibration data never excites them.
        var source = ChannelChoiceModel();
        var calibration = new EvalSet([4], Enumerable.Range(0, 16).SelectMany(i => new[] { 0f, 0f, 1f + i % 3, 1f }).ToArray(), null);

        var byNorm = ModelCompressor.Compress(source, Recipe.Parse("sp50")).Model;
        var byActivation = ModelCompressor.Compress(source, Recipe.Parse("sp50a"), calibration).Model;

        Assert.Equal(new[] { 4f, 0f, 0f, 3f, 0f, 0f, 0f, 0f }, SavedModelRunner.Floats(byNorm, "w1"));
        Assert.Equal(new[] { 0f, 0f, 0f, 0f, 2f, 0f, 0f, 1f }, SavedModelRunner.Floats(byActivation, "w1"));
        Assert.Equal(new[] { 1f, 1f }, SavedModelRunner.Floats(byActivation, "w2"));

        var sample = calibration.Sample(0).ToArray();
        var original = SavedModelRunner.Output(source, sample, 1, 4);
        Assert.Equal(original, SavedModelRunner.Output(byActivation, sample, 1, 4));
        Assert.NotEqual(original, SavedModelRunner.Output(byNorm, sample, 1, 4));
    }

    [Fact]
    public void WeightNorm_FoldsBatchNormalizationScale_IntoTheRanking()
    {
        // Channel 0 has the larger raw weight, but its BatchNormalization scales it by 0.01.
        var g = new GraphProto { Name = "bn" };
        g.Input.Add(TestModels.FloatInput("x", -1, 1, 4, 4));
        g.Output.Add(TestModels.FloatInput("y", -1, 1, 4, 4));
        g.Initializer.Add(TensorData.CreateFloat("w1", [2, 1, 1, 1], new[] { 10f, 1f }));
        g.Initializer.Add(TensorData.CreateFloat("gamma", [2], new[] { 0.01f, 1f }));
        g.Initializer.Add(TensorData.CreateFloat("beta", [2], new[] { 0f, 0f }));
        g.Initializer.Add(TensorData.CreateFloat("mean", [2], new[] { 0f, 0f }));
        g.Initializer.Add(TensorData.CreateFloat("var", [2], new[] { 1f, 1f }));
        g.Initializer.Add(TensorData.CreateFloat("w2", [1, 2, 1, 1], new[] { 1f, 1f }));
        g.Node.Add(TestModels.Node("Conv", ["x", "w1"], ["c"]));
        g.Node.Add(TestModels.Node("BatchNormalization", ["c", "gamma", "beta", "mean", "var"], ["n"]));
        g.Node.Add(TestModels.Node("Relu", ["n"], ["r"]));
        g.Node.Add(TestModels.Node("Conv", ["r", "w2"], ["y"]));

        var model = ModelCompressor.Compress(TestModels.Model(g, 13), Recipe.Parse("sp50")).Model;

        Assert.Equal(new[] { 1f }, SavedModelRunner.Floats(model, "w1"));
        Assert.Equal(new[] { 1f }, SavedModelRunner.Floats(model, "gamma"));
        Assert.Equal(new long[] { 1, 1, 1, 1 }, SavedModelRunner.Dims(model, "w2"));
        Assert.Equal(new[] { 1, 1, 4, 4 }, SavedModelRunner.Run(model, SavedModelRunner.RandomInput(2, 16), 1, 1, 4, 4).Shape);
    }

    [Fact]
    public void ActivationImportance_WithoutCalibration_FailsWithActionableMessage()
    {
        var error = Assert.Throws<RecipeException>(() => ModelCompressor.Compress(TestModels.Mlp(), Recipe.Parse("sp25a")));

        Assert.Contains("calibration", error.Message);
        Assert.Contains("sp25", error.Message);
    }

    [Fact]
    public void ResidualBranchAndLastLayer_AreLeftWhole_WithTheReason()
    {
        var source = ResidualModel();

        var compressed = ModelCompressor.Compress(source, Recipe.Parse("sp50"));

        Assert.DoesNotContain(compressed.Notes, n => n.Action == TensorAction.Pruned);
        Assert.Equal(source.Graph.Initializer.Select(t => t.Dims.ToArray()), compressed.Model.Graph.Initializer.Select(t => t.Dims.ToArray()));
        string Reason(string weight) => compressed.Notes.Single(n => n.Tensor == weight && n.Detail.StartsWith("structured", StringComparison.Ordinal)).Detail;
        Assert.Contains("2 readers", Reason("w1"));
        Assert.Contains("another activation", Reason("w2"));
        Assert.Contains("graph output", Reason("w3"));
    }

    [Fact]
    public void StructuredThenUnstructured_Composes()
    {
        var compressed = ModelCompressor.Compress(TestModels.SmallCnn(), Recipe.Parse("sp25+p50"));
        var model = compressed.Model;

        Assert.Equal(new long[] { 24, 12, 3, 3 }, SavedModelRunner.Dims(model, "conv2.weight"));
        Assert.Equal(new long[] { 10, 24 * 16 }, SavedModelRunner.Dims(model, "fc.weight"));
        foreach (var weight in new[] { "conv2.weight", "fc.weight" })
        {
            Assert.Equal(0.5, SavedModelRunner.Floats(model, weight).Average(v => v == 0 ? 1.0 : 0.0), 3);
        }
        var (values, shape) = SavedModelRunner.Run(model, SavedModelRunner.RandomInput(3, 64), 1, 1, 8, 8);
        Assert.Equal(new[] { 1, 10 }, shape);
        Assert.All(values, v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void ResNet18_HalvesItsPrunableConvs_AndKeepsItsOutputShape()
    {
        var source = OnnxModelFile.Load(ResNet18Model.Path);
        var before = source.Graph.Initializer.ToDictionary(t => t.Name, TensorData.ElementCount);

        var compressed = ModelCompressor.Compress(source, Recipe.Parse("sp50"));

        var after = compressed.Model.Graph.Initializer.ToDictionary(t => t.Name, TensorData.ElementCount);
        var changed = before.Keys.Where(k => after[k] != before[k]).ToList();
        var pruned = compressed.Notes.Where(n => n.Action == TensorAction.Pruned).ToList();
        // The first conv of each residual block reaches exactly one next conv through BatchNormalization and Relu.
        Assert.Equal(9, pruned.Count);
        Assert.Contains(compressed.Notes, n => n.Tensor == "Parameter91" && n.Detail.Contains("2 readers"));
        var largeBefore = changed.Where(k => before[k] >= 1024).Sum(k => before[k]);
        var largeAfter = changed.Where(k => before[k] >= 1024).Sum(k => after[k]);
        Assert.Equal(0.5, 1 - (double)largeAfter / largeBefore, 2);
        Assert.True(after.Values.Sum() < 0.8 * before.Values.Sum());

        var (values, shape) = SavedModelRunner.Run(compressed.Model, SavedModelRunner.RandomInput(5, 3 * 224 * 224), 1, 3, 224, 224);
        Assert.Equal(new[] { 1, 512, 1, 1 }, shape);
        Assert.All(values, v => Assert.True(float.IsFinite(v)));
    }

    private static IEnumerable<int> LowestNormChannels(float[] values, long[] dims, int axis, int count)
    {
        var norms = new double[dims[axis]];
        for (var c = 0; c < norms.Length; c++)
        {
            ForEachInChannel(dims, axis, c, i => norms[c] += values[i] * (double)values[i]);
        }
        return Enumerable.Range(0, norms.Length).OrderBy(c => norms[c]).Take(count);
    }

    /// <summary>Visits the flat indices of one channel of a row-major tensor along <paramref name="axis"/>.</summary>
    private static void ForEachInChannel(long[] dims, int axis, int channel, Action<int> visit)
    {
        var inner = (int)dims.Skip(axis + 1).Aggregate(1L, (a, d) => a * d);
        var outer = (int)dims.Take(axis).Aggregate(1L, (a, d) => a * d);
        for (var o = 0; o < outer; o++)
        {
            var start = (o * (int)dims[axis] + channel) * inner;
            for (var i = 0; i < inner; i++)
            {
                visit(start + i);
            }
        }
    }

    /// <summary>x[N,4] → MatMul w1 (4x4, diagonal 4,3,2,1) → Relu → MatMul w2 (4x1, ones) → y[N,1].</summary>
    private static ModelProto ChannelChoiceModel()
    {
        var g = new GraphProto { Name = "choice" };
        g.Input.Add(TestModels.FloatInput("x", -1, 4));
        g.Output.Add(TestModels.FloatInput("y", -1, 1));
        g.Initializer.Add(TensorData.CreateFloat("w1", [4, 4], new[] { 4f, 0, 0, 0, 0, 3, 0, 0, 0, 0, 2, 0, 0, 0, 0, 1 }));
        g.Initializer.Add(TensorData.CreateFloat("w2", [4, 1], new[] { 1f, 1, 1, 1 }));
        g.Node.Add(TestModels.Node("MatMul", ["x", "w1"], ["h"]));
        g.Node.Add(TestModels.Node("Relu", ["h"], ["a"]));
        g.Node.Add(TestModels.Node("MatMul", ["a", "w2"], ["y"]));
        return TestModels.Model(g, 13);
    }

    /// <summary>x → MatMul w1 → Relu → r; r → MatMul w2 → Add(r) → MatMul w3 → y: a branch, a residual, a last layer.</summary>
    private static ModelProto ResidualModel()
    {
        var random = new Random(3);
        var g = new GraphProto { Name = "residual" };
        g.Input.Add(TestModels.FloatInput("x", -1, 16));
        g.Output.Add(TestModels.FloatInput("y", -1, 4));
        g.Initializer.Add(TestModels.Weights(random, "w1", 16, 16));
        g.Initializer.Add(TestModels.Weights(random, "w2", 16, 16));
        g.Initializer.Add(TestModels.Weights(random, "w3", 16, 4));
        g.Node.Add(TestModels.Node("MatMul", ["x", "w1"], ["h1"]));
        g.Node.Add(TestModels.Node("Relu", ["h1"], ["r"]));
        g.Node.Add(TestModels.Node("MatMul", ["r", "w2"], ["h2"]));
        g.Node.Add(TestModels.Node("Add", ["h2", "r"], ["s"]));
        g.Node.Add(TestModels.Node("MatMul", ["s", "w3"], ["y"]));
        return TestModels.Model(g, 13);
    }
}
