using FleetQuant.Compression.Data;
using FleetQuant.Compression.Evaluation;
using FleetQuant.Compression.Onnx;
using FleetQuant.TestSupport;

namespace FleetQuant.Compression.Tests.Evaluation;

public sealed class ModelEvaluatorTests
{
    private static readonly ModelEvaluator Evaluator = new(new EvaluatorOptions { LatencyRuns = 5, WarmupRuns = 1, BatchSize = 64 });

    [Fact]
    public void Accuracy_LabelsFromTheModelsOwnArgmax_IsOne()
    {
        var model = OnnxModelFile.Serialize(TestModels.Mlp());
        var inputs = GeneratedInputs.Create([784], 300, seed: 3);
        var labels = OutputScores.ArgMaxes(Evaluator.Outputs(model, inputs));
        var labelled = new EvalSet(inputs.SampleShape, inputs.Data, labels);

        Assert.Equal(1.0, Evaluator.Accuracy(model, labelled));
    }

    [Fact]
    public void Accuracy_ShiftedLabels_IsZero()
    {
        var model = OnnxModelFile.Serialize(TestModels.Mlp());
        var inputs = GeneratedInputs.Create([784], 100, seed: 3);
        var labels = OutputScores.ArgMaxes(Evaluator.Outputs(model, inputs)).Select(l => (l + 1) % 10).ToArray();

        Assert.Equal(0.0, Evaluator.Accuracy(model, new EvalSet(inputs.SampleShape, inputs.Data, labels)));
    }

    [Fact]
    public void Fidelity_ModelAgainstItself_IsPerfect()
    {
        var model = OnnxModelFile.Serialize(TestModels.Mlp());

        var fidelity = Evaluator.Fidelity(model, model, GeneratedInputs.Create([784], 100, seed: 4));

        Assert.Equal(1, fidelity.Top1Agreement);
        Assert.Equal(1, fidelity.MeanCosine, 9);
        Assert.Equal(0, fidelity.MaxAbsError);
        Assert.Equal(OutputKind.Classes, Assert.Single(fidelity.Outputs).Kind);
    }

    [Fact]
    public void Fidelity_AgainstADifferentlySeededModel_IsImperfect()
    {
        var model = OnnxModelFile.Serialize(TestModels.Mlp(seed: 1));
        var other = OnnxModelFile.Serialize(TestModels.Mlp(seed: 7));

        var fidelity = Evaluator.Fidelity(model, other, GeneratedInputs.Create([784], 100, seed: 4));

        Assert.True(fidelity.Top1Agreement < 1);
        Assert.True(fidelity.MeanCosine < 0.99);
        Assert.True(fidelity.MaxAbsError > 0);
    }

    [Fact]
    public void Outputs_BatchesThatDoNotDivideTheSet_GiveOneOutputPerSample()
    {
        var model = OnnxModelFile.Serialize(TestModels.SmallCnn());
        var inputs = GeneratedInputs.Create([1, 8, 8], 150, seed: 5);

        var batched = Evaluator.Outputs(model, inputs);
        var single = new ModelEvaluator(new EvaluatorOptions { BatchSize = 1 }).Outputs(model, inputs);

        Assert.Equal(150, batched.Count);
        Assert.All(batched.First.Samples, o => Assert.Equal(10, o.Length));
        Assert.True(Fidelity.Compare(batched, single).MaxAbsError < 1e-4);
    }

    [Fact]
    public void Outputs_SamplesOfTheWrongShape_GiveATypedError()
    {
        var model = OnnxModelFile.Serialize(TestModels.Mlp());

        var error = Assert.Throws<OnnxModelException>(() => Evaluator.Outputs(model, GeneratedInputs.Create([100], 2, seed: 1)));

        Assert.Contains("input", error.Message);
    }

    [Fact]
    public void Outputs_BytesThatAreNotAModel_GiveATypedError()
    {
        Assert.Throws<OnnxModelException>(() => Evaluator.Outputs([1, 2, 3, 4], GeneratedInputs.Create([784], 1, seed: 1)));
    }

    [Fact]
    public void LatencyMs_IsPositiveAndFinite()
    {
        var latency = Evaluator.LatencyMs(OnnxModelFile.Serialize(TestModels.Mlp()), GeneratedInputs.Create([784], 4, seed: 1));

        Assert.InRange(latency, 1e-6, 1000);
    }
}
