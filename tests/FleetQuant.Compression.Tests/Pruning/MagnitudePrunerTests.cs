using FleetQuant.Compression.Onnx;
using FleetQuant.Compression.Pipeline;
using FleetQuant.Compression.Pruning;
using FleetQuant.Compression.Recipes;
using FleetQuant.TestSupport;

namespace FleetQuant.Compression.Tests.Pruning;

public sealed class MagnitudePrunerTests
{
    private const int Batch = 8;

    public static TheoryData<string, string> ModelsAndRatios()
    {
        var data = new TheoryData<string, string>();
        foreach (var model in new[] { "mlp", "cnn" })
        {
            foreach (var recipe in new[] { "p25", "p50", "p75", "p90" })
            {
                data.Add(model, recipe);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(ModelsAndRatios))]
    public void PerLayer_ZeroesTheRatioOfEveryWeight_ByMagnitude_AndRuns(string model, string recipe)
    {
        var (source, input, shape) = Load(model);
        var ratio = ((PruneStep)Recipe.Parse(recipe).Steps[0]).Ratio;

        var compressed = ModelCompressor.Compress(source, Recipe.Parse(recipe));

        var weights = WeightCatalog.Find(source).Weights;
        Assert.NotEmpty(weights);
        foreach (var weight in weights)
        {
            var original = TensorData.ReadFloats(weight.Tensor);
            var pruned = SavedModelRunner.Floats(compressed.Model, weight.Name);
            var zeros = pruned.Count(v => v == 0);
            Assert.Equal(Math.Round(original.Length * ratio, MidpointRounding.AwayFromZero), zeros);
            var removed = original.Where((_, i) => pruned[i] == 0).Max(Math.Abs);
            var kept = original.Where((_, i) => pruned[i] != 0).Min(Math.Abs);
            Assert.True(removed <= kept, $"{weight.Name}: pruned |w| {removed} above kept |w| {kept}");
            Assert.All(original.Zip(pruned), p => Assert.True(p.Second == 0 || p.Second == p.First));
            Assert.Contains(compressed.Notes, n => n.Tensor == weight.Name && n.Action == TensorAction.Pruned && n.Detail.Contains("sparse"));
        }

        var (values, outputShape) = SavedModelRunner.Run(compressed.Model, input, shape);
        Assert.Equal(SavedModelRunner.Run(source, input, shape).Shape, outputShape);
        Assert.All(values, v => Assert.True(float.IsFinite(v)));
    }

    [Theory]
    [InlineData("mlp")]
    [InlineData("cnn")]
    public void OutputError_GrowsWithPruneRatio(string model)
    {
        var (source, input, shape) = Load(model);
        var expected = SavedModelRunner.Output(source, input, shape);

        var errors = new[] { "p25", "p50", "p75", "p90" }
            .Select(id => SavedModelRunner.RelativeError(SavedModelRunner.Output(ModelCompressor.Compress(source, Recipe.Parse(id)).Model, input, shape), expected))
            .ToArray();

        Assert.True(errors[0] > 0, "pruning 25% changed nothing");
        for (var i = 1; i < errors.Length; i++)
        {
            Assert.True(errors[i - 1] < errors[i], $"errors not increasing: {string.Join(", ", errors)}");
        }
    }

    [Fact]
    public void Global_PrunesUnderOneThreshold_SoSmallWeightLayersLoseMore()
    {
        var source = TestModels.Mlp();
        var weights = WeightCatalog.Find(source).Weights.Select(w => w.Name).ToArray();

        var global = ModelCompressor.Compress(source, Recipe.Parse("p50g")).Model;
        var perLayer = ModelCompressor.Compress(source, Recipe.Parse("p50")).Model;

        var originals = weights.Select(w => SavedModelRunner.Floats(source, w)).ToArray();
        var pruned = weights.Select(w => SavedModelRunner.Floats(global, w)).ToArray();
        var total = originals.Sum(o => o.Length);
        Assert.Equal(Math.Round(total * 0.5, MidpointRounding.AwayFromZero), pruned.Sum(p => p.Count(v => v == 0)));

        var removed = originals.SelectMany((o, t) => o.Where((_, i) => pruned[t][i] == 0)).Max(Math.Abs);
        var kept = originals.SelectMany((o, t) => o.Where((_, i) => pruned[t][i] != 0)).Min(Math.Abs);
        Assert.True(removed <= kept);

        // fc1 has the largest fan-in, so the smallest weights: one global threshold prunes it hardest.
        double Sparsity(ModelProto m, string name) => SavedModelRunner.Floats(m, name).Average(v => v == 0 ? 1.0 : 0.0);
        Assert.True(Sparsity(global, "fc1.weight") > 0.5);
        Assert.True(Sparsity(global, "fc2.weight") < 0.5);
        Assert.All(weights, w => Assert.Equal(0.5, Sparsity(perLayer, w), 2));
    }

    [Fact]
    public void ZeroSmallest_BreaksTiesByPosition()
    {
        var values = new[] { 2f, -1f, 1f, 1f, -3f, 1f };

        MagnitudeSelection.ZeroSmallest(values, 3);

        Assert.Equal(new[] { 2f, 0f, 0f, 0f, -3f, 1f }, values);
    }

    [Fact]
    public void ZeroSmallest_Global_BreaksTiesByTensorOrder()
    {
        var first = new[] { 1f, 5f };
        var second = new[] { 1f, 1f };

        MagnitudeSelection.ZeroSmallest([first, second], 2);

        Assert.Equal(new[] { 0f, 5f }, first);
        Assert.Equal(new[] { 0f, 1f }, second);
    }

    internal static (ModelProto Model, float[] Input, int[] Shape) Load(string model) => model switch
    {
        "mlp" => (TestModels.Mlp(), SavedModelRunner.RandomInput(7, Batch * 784), [Batch, 784]),
        _ => (TestModels.SmallCnn(), SavedModelRunner.RandomInput(7, Batch * 64), [Batch, 1, 8, 8]),
    };
}
