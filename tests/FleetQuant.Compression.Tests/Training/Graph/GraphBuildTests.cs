using FleetQuant.Compression.Onnx;
using FleetQuant.Compression.Training.Graph;

namespace FleetQuant.Compression.Tests.Training.Graph;

public sealed class GraphBuildTests
{
    private static ModelProto WithNode(NodeProto node, params TensorProto[] initializers)
    {
        var op = OpCases.Create("Relu");
        var model = op.Model(firstAsInput: true);
        model.Graph.Node.Clear();
        model.Graph.Node.Add(node);
        model.Graph.Initializer.AddRange(initializers);
        return model;
    }

    [Fact]
    public void Build_RefusesAnOpOutsideTheSubset_NamingTheOpAndTheNode()
    {
        var node = OpCases.Node("Resize", ["X", "", "scales"]);
        node.Name = "upsample3";

        var error = Assert.Throws<UntrainableGraphException>(() => TrainableGraph.Build(WithNode(node, TensorData.CreateFloat("scales", [2], [1f, 2f]))));

        Assert.Equal("Resize", error.OpType);
        Assert.Equal("upsample3", error.NodeName);
        Assert.Contains("node 'upsample3' (Resize)", error.Message);
    }

    [Fact]
    public void Build_RefusesOpsOfOtherDomains()
    {
        var node = OpCases.Node("Gelu", ["X"]);
        node.Domain = "com.microsoft";

        var error = Assert.Throws<UntrainableGraphException>(() => TrainableGraph.Build(WithNode(node)));

        Assert.Contains("com.microsoft", error.Reason);
    }

    [Fact]
    public void Build_RefusesAReshapeWhoseShapeIsNotAConstant()
    {
        var model = OpCases.Create("Reshape").Model(firstAsInput: true);
        model.Graph.Initializer.Clear();

        var error = Assert.Throws<UntrainableGraphException>(() => TrainableGraph.Build(model));

        Assert.Equal("Reshape", error.OpType);
        Assert.Contains("constant", error.Reason);
    }

    [Fact]
    public void Build_RefusesAGraphThatReadsMaxPoolIndices()
    {
        var node = OpCases.Node("MaxPool", ["X"], OpCases.Ints("kernel_shape", 2, 2));
        node.Output.Add("indices");
        var model = WithNode(node);
        model.Graph.Output.Add(new ValueInfoProto { Name = "indices" });

        var error = Assert.Throws<UntrainableGraphException>(() => TrainableGraph.Build(model));

        Assert.Equal("output", error.OpType);
        Assert.Contains("output #1 of node 'maxpool0' (MaxPool)", error.Reason);
    }

    [Fact]
    public void Build_AcceptsAnUnreadDropoutMask()
    {
        var model = OpCases.Create("Dropout").Model(firstAsInput: true);
        model.Graph.Node[0].Output.Add("mask");

        var graph = TrainableGraph.Build(model);

        Assert.Equal([OpCase.Output], graph.Outputs);
    }

    [Fact]
    public void Build_RefusesTrainingModeBatchNormalization()
    {
        var op = OpCases.Create("BatchNormalization");
        var model = op.Model(firstAsInput: true);
        model.Graph.Node[0].Attribute.Add(OpCases.Int("training_mode", 1));

        var error = Assert.Throws<UntrainableGraphException>(() => TrainableGraph.Build(model));

        Assert.Equal("BatchNormalization", error.OpType);
    }

    [Fact]
    public void Build_ByDefault_TrainsWeightsButNotRunningStatistics()
    {
        var graph = TrainableGraph.Build(OpCases.Create("BatchNormalization").Model(firstAsInput: true));

        Assert.Equal(["scale", "bias"], graph.TrainableParameters.Select(p => p.Name));
    }

    [Fact]
    public void Build_WithASelector_TrainsOnlyTheChosenInitializers()
    {
        var graph = TrainableGraph.Build(ClassifierGraphs.Mlp([6, 5, 3], seed: 1), name => name.StartsWith("fc2", StringComparison.Ordinal));

        Assert.Equal(["fc2.weight", "fc2.bias"], graph.TrainableParameters.Select(p => p.Name));
        Assert.Equal(4, graph.Parameters.Count);
    }
}
