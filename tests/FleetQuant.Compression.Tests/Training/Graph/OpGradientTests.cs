using FleetQuant.Compression.Training.Graph;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace FleetQuant.Compression.Tests.Training.Graph;

/// <summary>Every op of the trainable subset: gradients against finite differences, forward against ONNX Runtime.</summary>
public sealed class OpGradientTests
{
    public static TheoryData<string> Cases => OpCases.All();

    [Theory]
    [MemberData(nameof(Cases))]
    public void Backward_MatchesFiniteDifferences_ForEveryOperand(string name)
    {
        var op = OpCases.Create(name);
        var graph = TrainableGraph.Build(op.Model(firstAsInput: false), _ => true);

        GradientCheck.Projection(graph, OpCase.Output, op.Training);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Forward_MatchesOnnxRuntime(string name)
    {
        var op = OpCases.Create(name);
        if (op.Training)
        {
            return;
        }
        var model = op.Model(firstAsInput: true);
        var input = op.Tensors[0];
        var graph = TrainableGraph.Build(model);
        var ours = graph.Forward(new Dictionary<string, GraphTensor> { [input.Name] = new(input.Shape, input.Values) }).Value(OpCase.Output);

        using var session = new InferenceSession(Compression.Onnx.OnnxModelFile.Serialize(model));
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(input.Name, new DenseTensor<float>(input.Values, input.Shape))]);
        var theirs = results[0].AsTensor<float>();

        Assert.Equal(theirs.Dimensions.ToArray(), ours.Shape);
        var expected = theirs.ToArray();
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - ours.Data[i]) <= 1e-5f * Math.Max(1, Math.Abs(expected[i])), $"{name}[{i}]: ONNX Runtime {expected[i]}, trainer {ours.Data[i]}");
        }
    }

    [Fact]
    public void DropoutTraining_DropsAboutTheRatio_AndScalesTheRest()
    {
        var op = OpCases.Create("DropoutTraining") with { Tensors = [new TensorSpec("X", [100, 100], Enumerable.Repeat(1f, 10_000).ToArray())] };
        var graph = TrainableGraph.Build(op.Model(firstAsInput: false));
        var empty = new Dictionary<string, GraphTensor>();

        var trained = graph.Forward(empty, training: true, new Random(3)).Value(OpCase.Output).Data;
        var evaluated = graph.Forward(empty).Value(OpCase.Output).Data;

        Assert.InRange(trained.Count(v => v == 0f) / 10_000.0, 0.27, 0.33);
        Assert.All(trained.Where(v => v != 0f), v => Assert.Equal(1f / 0.7f, v, 5));
        Assert.All(evaluated, v => Assert.Equal(1f, v));
    }

    [Fact]
    public void BatchNormalizationWithBatchStatistics_Backward_MatchesFiniteDifferences()
    {
        var op = OpCases.Create("BatchNormalization");
        var graph = TrainableGraph.Build(op.Model(firstAsInput: false), name => name is not ("mean" or "var"), batchStatistics: true);

        GradientCheck.Projection(graph, OpCase.Output, training: true);
    }

    [Fact]
    public void BatchNormalizationWithBatchStatistics_NormalisesTheBatch_MovesAndExportsTheRunningStatistics()
    {
        var op = OpCases.Create("BatchNormalization");
        var model = op.Model(firstAsInput: false);
        var graph = TrainableGraph.Build(model, batchStatistics: true);
        var x = op.Tensors[0].Values;
        var (scale, bias, mean, variance) = (op.Tensors[1].Values, op.Tensors[2].Values, op.Tensors[3].Values, op.Tensors[4].Values);
        var empty = new Dictionary<string, GraphTensor>();

        var y = graph.Forward(empty, training: true).Value(OpCase.Output).Data;

        for (var ch = 0; ch < 3; ch++)
        {
            // [2, 3, 4, 4]: channel ch holds planes (s, ch) of 16 values.
            var values = Enumerable.Range(0, 2).SelectMany(s => x.Skip((s * 3 + ch) * 16).Take(16)).Select(v => (double)v).ToArray();
            var outputs = Enumerable.Range(0, 2).SelectMany(s => y.Skip((s * 3 + ch) * 16).Take(16)).Select(v => (double)v).ToArray();
            var batchMean = values.Average();
            var batchVariance = values.Average(v => (v - batchMean) * (v - batchMean));
            Assert.Equal(bias[ch], outputs.Average(), 4);
            Assert.Equal(scale[ch] * scale[ch] * batchVariance / (batchVariance + 1e-3), outputs.Average(v => (v - bias[ch]) * (v - bias[ch])), 3);
            var parameters = graph.Parameters.ToDictionary(p => p.Name);
            Assert.Equal(0.9 * mean[ch] + 0.1 * batchMean, parameters["mean"].Value[ch], 5);
            Assert.Equal(0.9 * variance[ch] + 0.1 * batchVariance, parameters["var"].Value[ch], 5);
        }
        var exported = graph.Export().Graph.Initializer.ToDictionary(t => t.Name, Compression.Onnx.TensorData.ReadFloats);
        Assert.Equal(graph.Parameters.Single(p => p.Name == "var").Value, exported["var"]);
        Assert.NotEqual(variance, exported["var"]);
        var evaluated = graph.Forward(empty).Value(OpCase.Output).Data;
        Assert.NotEqual(y, evaluated);
    }
}
