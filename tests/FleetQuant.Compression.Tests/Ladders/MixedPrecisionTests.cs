using FleetQuant.Compression.Artifacts;
using FleetQuant.Compression.Data;
using FleetQuant.Compression.Evaluation;
using FleetQuant.Compression.Ladders;
using FleetQuant.Compression.Pipeline;
using FleetQuant.Compression.Recipes;
using FleetQuant.Compression.TensorCoding;
using FleetQuant.TestSupport;

namespace FleetQuant.Compression.Tests.Ladders;

public sealed class MixedPrecisionTests
{
    private static readonly ModelEvaluator Evaluator = new();

    [Fact]
    public void ChooseRaised_TakesBestGainPerByteFirst_AndSkipsWhatDoesNotFit()
    {
        LayerUpgrade[] upgrades =
        [
            new("big", Gain: 0.10, ExtraBytes: 1000),    // 1e-4 per byte
            new("small", Gain: 0.05, ExtraBytes: 100),   // 5e-4 per byte
            new("useless", Gain: 0, ExtraBytes: 1),
            new("medium", Gain: 0.02, ExtraBytes: 200),  // 1e-4 per byte
        ];

        Assert.Equal(["small", "medium"], MixedPrecisionPlanner.ChooseRaised(upgrades, baseBytes: 5000, budgetBytes: 5400));
        Assert.Equal(["small", "big", "medium"], MixedPrecisionPlanner.ChooseRaised(upgrades, baseBytes: 5000, budgetBytes: 7000));
        Assert.Empty(MixedPrecisionPlanner.ChooseRaised(upgrades, baseBytes: 5000, budgetBytes: 5000));
    }

    [Fact]
    public void Analyze_PruningOneLayerAtATime_RanksEveryLayerAndDamagesQuality()
    {
        var inputs = GeneratedInputs.Create([784], 128, seed: 6);

        var report = new SensitivityAnalyzer(Evaluator).Analyze(TestModels.Mlp(), inputs, [SensitivitySetting.Prune(0.9)]);

        Assert.Equal(["fc1.weight", "fc2.weight", "fc3.weight"], report.Layers.Select(l => l.Layer).Order().ToArray());
        Assert.All(report.Layers, l => Assert.True(l.Cosine < 1 && l.Damage > 0 && l.LayerWireBytes > 0, $"{l}"));
    }

    [Fact]
    public void Plan_OnMlp_GivesARecipeWithinTheBudgetThatRaisesSomeLayers()
    {
        var model = TestModels.Mlp();
        var inputs = GeneratedInputs.Create([784], 128, seed: 6);
        var low = Recipe.ParseStep("q2b32a");
        var high = Recipe.ParseStep("q8cs");
        var report = new SensitivityAnalyzer(Evaluator).Analyze(model, inputs, [SensitivitySetting.Quantize(low), SensitivitySetting.Quantize(high)]);
        var lowBytes = ArtifactWriter.EstimateLength(ModelCompressor.Compress(model, Recipe.Create([low])));
        var highBytes = ArtifactWriter.EstimateLength(ModelCompressor.Compress(model, Recipe.Create([high])));
        var budget = (lowBytes + highBytes) / 2;

        var plan = MixedPrecisionPlanner.Plan(model, report, low, high, budget);

        Assert.True(plan.FitsBudget, $"{plan.WireBytes} > {budget}");
        var compressed = ModelCompressor.Compress(model, plan.Recipe);
        Assert.Equal(plan.WireBytes, ArtifactWriter.EstimateLength(compressed));
        Assert.InRange(plan.WireBytes, ArtifactWriter.Pack(compressed).LongLength * 0.99, ArtifactWriter.Pack(compressed).LongLength * 1.01);
        Assert.NotEmpty(plan.RaisedLayers);
        Assert.All(plan.RaisedLayers, l => Assert.Equal(high, plan.Recipe.LayerOverrides[l]));
        Assert.Equal(plan.Recipe, Recipe.FromJson(plan.Recipe.ToJson()));
    }
}
