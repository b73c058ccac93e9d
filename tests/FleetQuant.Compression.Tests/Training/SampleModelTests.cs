using FleetQuant.Compression.Data;
using FleetQuant.Compression.Onnx;
using FleetQuant.Compression.Training;
using Xunit.Abstractions;

namespace FleetQuant.Compression.Tests.Training;

/// <summary>Pins the committed sample models: they must keep working as the rest of the system expects.</summary>
public sealed class SampleModelTests(ITestOutputHelper output)
{
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
