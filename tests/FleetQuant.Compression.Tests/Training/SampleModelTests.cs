using FleetQuant.Compression.Data;
using FleetQuant.Compression.Evaluation;
using FleetQuant.Compression.Onnx;
using FleetQuant.Compression.Training;
using Xunit.Abstractions;

namespace FleetQuant.Compression.Tests.Training;

/// <summary>Pins the committed sample models: they must keep working as the rest of the system expects.</summary>
public sealed class SampleModelTests(ITestOutputHelper output)
{
    private static EvalSet Subset(int count) => EvalSetFile.Load(SampleData.FindCommittedEvalSet(), [784]).Take(count);

    private static SampleModelPair TrainSmall(int seed, EvalSet train) =>
        FashionSampleModels.Train(train, train, new MlpTrainingOptions { Epochs = 1, Seed = seed, BatchSize = 32 });

    [Fact]
    public void Train_WritesTheSampleModelContract()
    {
        var models = TrainSmall(seed: 7, Subset(128));

        foreach (var (bytes, version) in new[] { (models.V1, "1"), (models.V2, "2") })
        {
            var model = OnnxModelFile.Parse(bytes);
            Assert.Equal(13, model.DefaultOpset());
            Assert.Equal(["Gemm", "Relu", "Gemm", "Relu", "Gemm", "Softmax"], model.Graph.Node.Select(n => n.OpType));
            Assert.All(model.Graph.Node.Where(n => n.OpType == "Gemm"), n => Assert.Equal(1, n.Attribute.Single(a => a.Name == "transB").I));
            Assert.Equal(["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias", "fc3.weight", "fc3.bias"], model.Graph.Initializer.Select(t => t.Name));
            Assert.All(model.Graph.Initializer, t => Assert.False(t.RawData.IsEmpty));
            var metadata = model.MetadataProps.ToDictionary(p => p.Key, p => p.Value);
            Assert.Equal(FashionSampleModels.Preprocessing, metadata["preprocessing"]);
            Assert.Equal(version, metadata["version"]);
            Assert.Equal(FashionSampleModels.ModelName, metadata["model_name"]);
            Assert.Equal(string.Join(",", FashionSampleModels.ClassNames), metadata["labels"]);
        }
    }

    [Fact]
    public void Train_ReportsTheAccuracyOnnxRuntimeMeasures()
    {
        var set = Subset(300);

        var models = TrainSmall(seed: 8, set);

        Assert.Equal(models.V1Accuracy, OnnxClassifierAccuracy.Measure(models.V1, set), precision: 6);
        Assert.Equal(models.V2Accuracy, OnnxClassifierAccuracy.Measure(models.V2, set), precision: 6);
    }

    [Fact]
    public void Train_SameSeed_GivesIdenticalBytes()
    {
        var train = Subset(200);

        var first = TrainSmall(seed: 5, train);
        var second = TrainSmall(seed: 5, train);
        var other = TrainSmall(seed: 6, train);

        Assert.Equal(first.V1, second.V1);
        Assert.Equal(first.V2, second.V2);
        Assert.NotEqual(first.V1, other.V1);
    }

    [Fact]
    public void CommittedV1_ReachesAtLeast85Percent_OnTheCommittedSubset_InOnnxRuntime()
    {
        var set = EvalSetFile.Load(SampleData.FindCommittedEvalSet(), [784]);

        var accuracy = OnnxClassifierAccuracy.Measure(File.ReadAllBytes(SampleData.ModelPath(SampleData.FashionMlpV1)), set);

        Assert.True(accuracy >= 0.85, $"v1 accuracy {accuracy:P2} on the committed subset");
    }

    [Fact]
    public void CommittedV2_IsAnUpdateOfV1_NearlyEveryWeightMovesALittle()
    {
        var v1 = OnnxModelFile.Load(SampleData.ModelPath(SampleData.FashionMlpV1));
        var v2 = OnnxModelFile.Load(SampleData.ModelPath(SampleData.FashionMlpV2));

        Assert.Equal(v1.Graph.Initializer.Select(t => t.Name), v2.Graph.Initializer.Select(t => t.Name));
        foreach (var (a, b) in v1.Graph.Initializer.Zip(v2.Graph.Initializer))
        {
            var before = TensorData.ReadFloats(a);
            var after = TensorData.ReadFloats(b);
            var changed = before.Zip(after).Count(p => p.First != p.Second);
            var largest = before.Zip(after).Max(p => Math.Abs(p.First - p.Second));
            output.WriteLine($"{a.Name}: {changed} of {before.Length} values changed, largest move {largest}");
            // First-layer weights fed by pixels that are nearly always black get almost no gradient and may not move.
            Assert.True(changed > before.Length * 0.85, $"{a.Name}: only {changed} of {before.Length} values changed");
            Assert.True(largest < 0.1, $"{a.Name}: a value moved by {largest}");
        }
        Assert.Equal("2", v2.MetadataProps.Single(p => p.Key == "version").Value);
    }
}
