using FleetQuant.Compression.Data;
using FleetQuant.Compression.Evaluation;
using FleetQuant.TestSupport;

namespace FleetQuant.Compression.Tests.Data;

public sealed class DataSetFileTests
{
    [Fact]
    public void Load_IdxImages_ReshapeToTheModelsFirstInput()
    {
        var path = SampleData.FindCommittedEvalSet();
        var model = new ModelSignature(
            [new TensorSignature("image", Onnx.TensorProto.Types.DataType.Float, [-1, 1, 28, 28], ["batch", null, null, null])], []);

        var set = DataSetFile.Load(path, model);

        Assert.Equal([1L, 28, 28], set.SampleShape);
        Assert.Equal(1000, set.Count);
        Assert.Equal(path, set.Source);
        Assert.True(set.HasLabels);
        Assert.Null(set.Single.Name);
    }

    [Fact]
    public void Load_IdxDirectory_WithAFlatInput_GivesFlatSamples()
    {
        var directory = Path.GetDirectoryName(SampleData.FindCommittedEvalSet())!;

        var set = DataSetFile.Load(directory, ModelSignature.Of(TestModels.Mlp()));

        Assert.Equal([784L], set.SampleShape);
        Assert.Equal(1000, set.Count);
    }

    [Fact]
    public void Of_KeepsRealInputsOutputsAndSymbolicDims()
    {
        var model = TestModels.Mlp();
        model.Graph.Input.Add(new Onnx.ValueInfoProto { Name = "fc1.weight" });

        var signature = ModelSignature.Of(model);

        var input = Assert.Single(signature.Inputs);
        Assert.Equal("input", input.Name);
        Assert.Equal([-1L, 784], input.Dims!);
        Assert.Equal(new string?[] { "batch", null }, input.DimParams!);
        Assert.Equal(["probabilities"], signature.OutputNames);
        Assert.Equal([784L], signature.FirstInputSampleShape!);
    }
}
