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
}
