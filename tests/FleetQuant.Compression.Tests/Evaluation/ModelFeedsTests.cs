using FleetQuant.Compression.Data;
using FleetQuant.Compression.Evaluation;
using FleetQuant.Compression.Ladders;
using FleetQuant.Compression.Onnx;
using DataType = FleetQuant.Compression.Onnx.TensorProto.Types.DataType;
using FleetQuant.TestSupport;

namespace FleetQuant.Compression.Tests.Evaluation;

public sealed class ModelFeedsTests
{
    private static readonly ModelEvaluator Evaluator = new(new EvaluatorOptions { LatencyRuns = 2, WarmupRuns = 1, MemoryRepeats = 1 });
    private static readonly byte[] Stateful = OnnxModelFile.Serialize(TestModels.Stateful());

    private static InputHints VadHints => InputHints.Parse(["input=1,512", "state=2,1,16"], ["sr=16000"], []);

    [Fact]
    public void Generated_UnknownInnerDimension_IsOneErrorNamingTheInputItsShapeAndTheFlag()
    {
        var error = Assert.Throws<OnnxModelException>(() => GeneratedInputs.ForModel(Stateful, InputHints.None, 4, seed: 1));

        Assert.Contains("'input'", error.Message);
        Assert.Contains("float[batch,sequence]", error.Message);
        Assert.Contains("--input-shape input=1,D1", error.Message);
    }

    [Fact]
    public void Generated_EveryInputGetsItsTypeShapeAndConstant()
    {
        var set = GeneratedInputs.ForModel(Stateful, VadHints, 4, seed: 1);

        var sr = set.Inputs.Single(i => i.Name == "sr");
        Assert.Equal(DataType.Int64, sr.ElementType);
        Assert.Empty(sr.SampleShape);
        Assert.All((long[])sr.Values, v => Assert.Equal(16000, v));
        Assert.Equal([1L, 512], set.Inputs.Single(i => i.Name == "input").SampleShape);
        Assert.Equal([2L, 1, 16], set.Inputs.Single(i => i.Name == "state").SampleShape);
        Assert.Equal(4, set.Count);
    }

    [Fact]
    public void Outputs_EveryOutputOfAMultiInputModel_OnePerSample()
    {
        var set = GeneratedInputs.ForModel(Stateful, VadHints, 5, seed: 2);

        var outputs = Evaluator.Outputs(Stateful, set);

        Assert.Equal(["output", "stateN"], outputs.Outputs.Select(o => o.Name));
        Assert.All(outputs.Find("output")!.Samples, s => Assert.InRange(Assert.Single(s), 0f, 1f));
        Assert.All(outputs.Find("stateN")!.Samples, s => Assert.Equal(32, s.Length));
        Assert.Equal(5, outputs.Count);
    }

    [Fact]
    public void Fidelity_AOneValueOutputIsJudgedByItsAbsoluteError()
    {
        var set = GeneratedInputs.ForModel(Stateful, VadHints, 8, seed: 3);
        var changedRate = set.WithHints(InputHints.Parse(["input=1,512", "state=2,1,16"], ["sr=8000"], []));
        var rebuilt = new EvalSet(set.Inputs.Where(i => i.Name != "sr").ToList()) { Hints = changedRate.Hints };

        var fidelity = Fidelity.Compare(Evaluator.Outputs(Stateful, rebuilt), Evaluator.Outputs(Stateful, set));

        var score = fidelity.Outputs.Single(o => o.Name == "output");
        Assert.Equal(OutputKind.Score, score.Kind);
        Assert.True(score.MeanAbsError > 0, "halving the sample rate moves the score");
        Assert.Equal(1 - score.MeanAbsError, score.Quality, 9);
        Assert.Equal(1, fidelity.Outputs.Single(o => o.Name == "stateN").MeanCosine, 6);
    }

    [Fact]
    public void Bind_AnInputTheDataLacks_NeedsAValueHint()
    {
        var set = GeneratedInputs.ForModel(Stateful, VadHints, 2, seed: 1);
        var withoutRate = new EvalSet(set.Inputs.Where(i => i.Name != "sr").ToList(), source: "vad.npz");

        var error = Assert.Throws<OnnxModelException>(() => Evaluator.Outputs(Stateful, withoutRate));

        Assert.Contains("vad.npz", error.Message);
        Assert.Contains("--input-value sr=V", error.Message);
    }

    [Fact]
    public void Bind_AWrongElementType_NamesTheInputAndBothTypes()
    {
        var set = GeneratedInputs.ForModel(Stateful, VadHints, 2, seed: 1);
        var floatRate = SampleArray.OfFloats("sr", [], [16000f, 16000f]);
        var wrong = new EvalSet(set.Inputs.Select(i => i.Name == "sr" ? floatRate : i).ToList(), source: "vad.npz");

        var error = Assert.Throws<OnnxModelException>(() => Evaluator.Outputs(Stateful, wrong));

        Assert.Contains("float values for input 'sr', which takes int64[]", error.Message);
    }

    [Fact]
    public void Bind_AnArrayForNoInput_IsAnErrorListingTheInputs()
    {
        var set = GeneratedInputs.ForModel(Stateful, VadHints, 2, seed: 1);
        var extra = new EvalSet([.. set.Inputs, SampleArray.OfFloats("speed", [], [1f, 2f])]);

        var error = Assert.Throws<OnnxModelException>(() => Evaluator.Outputs(Stateful, extra));

        Assert.Contains("'speed'", error.Message);
        Assert.Contains("input, sr, state", error.Message);
    }

    [Fact]
    public void Ladder_OfAModelWithoutClassScores_UsesTheWorstOutputsFidelityAndRecordsTheHints()
    {
        var set = GeneratedInputs.ForModel(Stateful, VadHints, 8, seed: 4);

        var ladder = new LadderBuilder(Evaluator).Build(TestModels.Stateful(), set,
            new LadderOptions { RecipeIds = ["fp32", "q8cs", "binary"], IncludeMixedPrecision = false, MeasureRuntime = false });

        Assert.Equal(Ladder.FidelityMetric, ladder.Metric);
        Assert.Equal(["output", "stateN"], ladder.Outputs!.Select(o => o.Name));
        Assert.Equal("score", ladder.Outputs![0].Kind);
        var sr = ladder.Inputs!.Single(i => i.Name == "sr");
        Assert.Equal(("constant", "value 16000", "int64"), (sr.Source, sr.Hint, sr.ElementType));
        Assert.True(ladder.Recipes.Single(r => r.Id == "fp32").Unchanged);
        var q8 = ladder.Recipes.Single(r => r.Id == "q8cs");
        var binary = ladder.Recipes.Single(r => r.Id == "binary");
        Assert.Null(q8.Error);
        Assert.Equal(2, q8.OutputFidelity!.Count);
        Assert.True(q8.Accuracy > binary.Accuracy, $"q8cs {q8.Accuracy} should beat binary {binary.Accuracy}");
        Assert.Equal(q8.OutputFidelity.Min(o => o.Kind == "score" ? 1 - o.MeanAbsError : o.Cosine), q8.Accuracy, 9);
    }

    [Fact]
    public void Generated_IntegersBoolsAndHalfFloatsStayInTheirRanges()
    {
        var graph = new GraphProto { Name = "types" };
        graph.Input.Add(TestModels.Input("ids", DataType.Int32, "batch", 6L));
        graph.Input.Add(TestModels.Input("mask", DataType.Bool, "batch", 6L));
        graph.Input.Add(TestModels.Input("half", DataType.Float16, "batch", 6L));
        graph.Output.Add(TestModels.Input("sum", DataType.Float, "batch", 6L));
        graph.Node.Add(TestModels.Node("Cast", ["ids"], ["ids_f"], ("to", (long)DataType.Float)));
        graph.Node.Add(TestModels.Node("Cast", ["mask"], ["mask_f"], ("to", (long)DataType.Float)));
        graph.Node.Add(TestModels.Node("Cast", ["half"], ["half_f"], ("to", (long)DataType.Float)));
        graph.Node.Add(TestModels.Node("Add", ["ids_f", "mask_f"], ["partial"]));
        graph.Node.Add(TestModels.Node("Add", ["partial", "half_f"], ["sum"]));
        var model = OnnxModelFile.Serialize(TestModels.Model(graph, 13));
        var hints = InputHints.Parse([], [], ["half=-0.5,0.5"]);

        var set = GeneratedInputs.ForModel(model, hints, 300, seed: 9);
        var outputs = Evaluator.Outputs(model, set);

        Assert.All((int[])set.Inputs[0].Values, v => Assert.InRange(v, GeneratedInputs.DefaultIntegerLow, GeneratedInputs.DefaultIntegerHigh));
        Assert.Contains(true, (bool[])set.Inputs[1].Values);
        Assert.Contains(false, (bool[])set.Inputs[1].Values);
        Assert.All((ushort[])set.Inputs[2].Values, v => Assert.InRange((float)BitConverter.UInt16BitsToHalf(v), -0.5f, 0.5f));
        using var session = new Microsoft.ML.OnnxRuntime.InferenceSession(model);
        Assert.True(ModelFeeds.Bind(session, set, hints, wantedBatch: 64).Stacked, "every input stacks along the batch axis");
        Assert.InRange(outputs.First.Samples.SelectMany(s => s).Max(), 0f, 10.5f);
    }
}
