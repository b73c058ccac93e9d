using FleetQuant.Compression.Data;
using FleetQuant.Compression.Evaluation;
using FleetQuant.Compression.Onnx;
using FleetQuant.Compression.Training;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace FleetQuant.Compression.Tests.Training;

public sealed class MlpTrainerTests
{
    private static readonly int[] SmallWidths = [784, 32, 16, 10];

    private static EvalSet Subset(int count) => EvalSetFile.Load(SampleData.FindCommittedEvalSet(), [784]).Take(count);

    private static double MeanLoss(MlpNetwork network, EvalSet set)
    {
        var probabilities = network.Predict(set.Data, set.Count);
        return Enumerable.Range(0, set.Count).Average(b => -Math.Log(Math.Max(probabilities[b * 10 + set.Labels![b]], 1e-12)));
    }

    private static byte[] TrainSmall(int seed, EvalSet train)
    {
        var network = MlpNetwork.Create(SmallWidths, seed);
        new MlpTrainer(network, new MlpTrainingOptions { Seed = seed, BatchSize = 32 }).TrainEpoch(train);
        var info = new SampleModelInfo("tiny", 1, "test", FashionSampleModels.Preprocessing, FashionSampleModels.ClassNames);
        return OnnxModelFile.Serialize(MlpOnnxExporter.Export(network, info));
    }

    [Fact]
    public void TrainEpoch_OnFewHundredSamples_LowersTheLoss()
    {
        var train = Subset(400);
        var network = MlpNetwork.Create(SmallWidths, seed: 3);
        var trainer = new MlpTrainer(network, new MlpTrainingOptions { Seed = 3, BatchSize = 32 });
        var before = MeanLoss(network, train);

        trainer.TrainEpoch(train);

        Assert.True(MeanLoss(network, train) < before * 0.8, $"loss {MeanLoss(network, train)} did not drop enough from {before}");
    }

    [Fact]
    public void Export_RunsInOnnxRuntime_WithProbabilitiesSummingToOne()
    {
        var set = Subset(300);
        var bytes = TrainSmall(seed: 4, set);

        using var session = new InferenceSession(bytes);
        Assert.Equal(MlpOnnxExporter.InputName, session.InputMetadata.Keys.Single());
        Assert.Equal(MlpOnnxExporter.OutputName, session.OutputMetadata.Keys.Single());
        var input = new DenseTensor<float>(set.Data.AsMemory(0, 8 * 784), [8, 784]);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(MlpOnnxExporter.InputName, input)]);
        var output = results[0].AsTensor<float>();

        Assert.Equal([8, 10], output.Dimensions.ToArray());
        for (var b = 0; b < 8; b++)
        {
            var sum = Enumerable.Range(0, 10).Sum(c => output[b, c]);
            Assert.InRange(sum, 0.9999f, 1.0001f);
        }
    }

    [Fact]
    public void Export_MatchesTheTrainersOwnPredictions()
    {
        var set = Subset(300);
        var network = MlpNetwork.Create(SmallWidths, seed: 8);
        new MlpTrainer(network, new MlpTrainingOptions { Seed = 8 }).TrainEpoch(set);
        var bytes = OnnxModelFile.Serialize(MlpOnnxExporter.Export(network, new SampleModelInfo("tiny", 1, "", "pixels/255", [])));

        Assert.Equal(network.Accuracy(set.Data, set.Labels), OnnxClassifierAccuracy.Measure(bytes, set), precision: 6);
    }

    [Fact]
    public void Export_SameSeed_GivesIdenticalBytes()
    {
        var train = Subset(300);

        var first = TrainSmall(seed: 5, train);
        var second = TrainSmall(seed: 5, train);
        var other = TrainSmall(seed: 6, train);

        Assert.Equal(first, second);
        Assert.NotEqual(first, other);
    }

    [Fact]
    public void Export_FollowsTheSampleModelContract()
    {
        var model = OnnxModelFile.Parse(TrainSmall(seed: 7, Subset(64)));

        Assert.Equal(13, model.DefaultOpset());
        Assert.Equal(["Gemm", "Relu", "Gemm", "Relu", "Gemm", "Softmax"], model.Graph.Node.Select(n => n.OpType));
        Assert.All(model.Graph.Node.Where(n => n.OpType == "Gemm"), n => Assert.Equal(1, n.Attribute.Single(a => a.Name == "transB").I));
        Assert.All(model.Graph.Initializer, t => Assert.False(t.RawData.IsEmpty));
        var metadata = model.MetadataProps.ToDictionary(p => p.Key, p => p.Value);
        Assert.Equal("pixels/255", metadata["preprocessing"]);
        Assert.Equal("1", metadata["version"]);
        Assert.Equal("tiny", metadata["model_name"]);
    }
}
