using FleetQuant.Compression.Data;
using FleetQuant.Compression.Evaluation;
using FleetQuant.Compression.Ladders;
using FleetQuant.Compression.Onnx;
using FleetQuant.Compression.Recipes;
using FleetQuant.TestSupport;

namespace FleetQuant.Compression.Tests.Ladders;

public sealed class LadderBuilderTests
{
    private static readonly ModelEvaluator Evaluator = new(new EvaluatorOptions { LatencyRuns = 3, WarmupRuns = 1, MemoryRepeats = 1 });

    [Fact]
    public void Build_WithoutLabels_MeasuresAgreementAndReportsFailuresWithTheirError()
    {
        var inputs = GeneratedInputs.Create([784], 64, seed: 2);
        var progress = new List<LadderProgress>();

        var ladder = new LadderBuilder(Evaluator).Build(TestModels.Mlp(), inputs,
            new LadderOptions { RecipeIds = ["fp32", "q9zz"], IncludeMixedPrecision = false },
            new InlineProgress(progress.Add));

        Assert.Equal(Ladder.AgreementMetric, ladder.Metric);
        Assert.Equal(OnnxModelFile.Serialize(TestModels.Mlp()).LongLength, ladder.Baseline.WireBytes);
        var fp32 = ladder.Recipes.Single(r => r.Id == "fp32");
        Assert.Equal(1.0, fp32.Accuracy);
        Assert.Equal(0.0, fp32.AccuracyDrop);
        Assert.True(fp32.Pareto);
        Assert.InRange(fp32.WireBytes, 1, ladder.Baseline.WireBytes);
        Assert.True(fp32.RuntimeBytes > 0 && fp32.LatencyMs > 0);
        var unknown = ladder.Recipes.Single(r => r.Id == "q9zz");
        Assert.True(unknown.Failed);
        Assert.False(unknown.Pareto);
        Assert.Contains("q9zz", unknown.Error);
        Assert.Equal(("done", 2, 2), (progress[^1].Current, progress[^1].Done, progress[^1].Total));
    }

    [Fact]
    public void Build_WithLabels_ReportsAccuracyAndDropAgainstTheBaseline()
    {
        var model = TestModels.Mlp();
        var inputs = GeneratedInputs.Create([784], 64, seed: 2);
        var labels = OutputScores.ArgMaxes(Evaluator.Outputs(OnnxModelFile.Serialize(model), inputs));
        labels[0] = (labels[0] + 1) % 10;

        var ladder = new LadderBuilder(Evaluator).Build(model, new EvalSet([784], inputs.Data, labels),
            new LadderOptions { RecipeIds = ["fp32"], IncludeMixedPrecision = false, MeasureRuntime = false });

        Assert.Equal(Ladder.AccuracyMetric, ladder.Metric);
        Assert.Equal(63.0 / 64, ladder.Baseline.Accuracy, 9);
        Assert.Equal(63.0 / 64, ladder.Recipes[0].Accuracy, 9);
    }

    [Fact]
    public void Build_HarsherRecipes_LoseQualityAndShrink()
    {
        var inputs = GeneratedInputs.Create([784], 128, seed: 2);

        var ladder = new LadderBuilder(Evaluator).Build(TestModels.Mlp(), inputs,
            new LadderOptions { RecipeIds = ["q8cs", "q4b32a", "q2b32a"], IncludeMixedPrecision = false, MeasureRuntime = false });

        Assert.All(ladder.Recipes, r => Assert.Null(r.Error));
        var byId = ladder.Recipes.ToDictionary(r => r.Id);
        Assert.True(byId["q8cs"].WireBytes > byId["q4b32a"].WireBytes && byId["q4b32a"].WireBytes > byId["q2b32a"].WireBytes);
        Assert.True(byId["q8cs"].Cosine > byId["q4b32a"].Cosine && byId["q4b32a"].Cosine > byId["q2b32a"].Cosine);
        Assert.True(byId["q8cs"].Cosine > 0.999);
    }

    private sealed class InlineProgress(Action<LadderProgress> report) : IProgress<LadderProgress>
    {
        public void Report(LadderProgress value) => report(value);
    }
}
