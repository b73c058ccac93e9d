using FleetQuant.Compression.Onnx;
using FleetQuant.Compression.Pipeline;
using FleetQuant.Compression.Recipes;
using FleetQuant.Compression.TensorCoding;
using DataType = FleetQuant.Compression.Onnx.TensorProto.Types.DataType;
using FleetQuant.TestSupport;

namespace FleetQuant.Compression.Tests.Ladders;

public sealed class InterimWireSizeTests
{
    [Fact]
    public void Measure_SameModelTwice_GivesTheSameBytes()
    {
        var model = TestModels.Mlp();

        Assert.Equal(InterimWireSize.Measure(model), InterimWireSize.Measure(model.Clone()));
        Assert.Equal(InterimWireSize.WireStream(InterimWireSize.Uncompressed(model)), InterimWireSize.WireStream(InterimWireSize.Uncompressed(TestModels.Mlp())));
    }

    [Fact]
    public void Measure_FewerBitsPerCode_IsSmaller()
    {
        var model = TestModels.Mlp();
        var sizes = new[] { 8, 4, 2, 1 }.Select(bits => InterimWireSize.Measure(WithCodes(model, bits))).ToArray();

        Assert.True(InterimWireSize.Measure(model) > sizes[0] * 3, $"fp32 vs 8-bit codes: {InterimWireSize.Measure(model)} vs {sizes[0]}");
        for (var i = 1; i < sizes.Length; i++)
        {
            Assert.True(sizes[i] < sizes[i - 1], $"sizes by bits 8,4,2,1: {string.Join(", ", sizes)}");
        }
    }

    [Fact]
    public void Measure_CodebookOfFewerCentroids_IsSmaller()
    {
        var model = TestModels.Mlp();

        Assert.True(InterimWireSize.Measure(WithCodebook(model, 2)) < InterimWireSize.Measure(WithCodebook(model, 4)));
    }

    [Fact]
    public void Measure_HalfTheWeightsZero_IsMuchSmaller()
    {
        var model = TestModels.Mlp();
        var pruned = model.Clone();
        var weight = pruned.Graph.Initializer.First(t => t.Name == "fc1.weight");
        var values = TensorData.ReadFloats(weight);
        for (var i = 0; i < values.Length; i += 2)
        {
            values[i] = 0;
        }
        TensorData.WriteFloats(weight, values);

        Assert.True(InterimWireSize.Measure(pruned) < InterimWireSize.Measure(model) * 0.6);
    }

    [Fact]
    public void MeasureTensors_OneLayer_IsSmallerThanTheWholeModel()
    {
        var compressed = WithCodes(TestModels.Mlp(), 4);

        var layer = InterimWireSize.MeasureTensors(compressed, ["fc1.weight"]);

        Assert.InRange(layer, 1, InterimWireSize.Measure(compressed) - 1);
        Assert.Equal(0, InterimWireSize.MeasureTensors(compressed, ["no such tensor"]));
    }

    /// <summary>fc1.weight as INT8 codes of the given width (deterministic pseudo-random codes).</summary>
    private static CompressedModel WithCodes(ModelProto source, int bits)
    {
        var model = source.Clone();
        var random = new Random(bits);
        var codes = Enumerable.Range(0, 64 * 784).Select(_ => random.Next(1 << bits)).ToArray();
        var encoded = new EncodedTensor("fc1.weight", DataType.Int8, [64, 784], new IntegerCodesEncoding(bits, -(1 << (bits - 1)), CodeLayout.Int8, codes));
        var index = model.Graph.Initializer.ToList().FindIndex(t => t.Name == "fc1.weight");
        model.Graph.Initializer[index] = encoded.Materialize();
        return new CompressedModel(model, Recipe.Fp32, new Dictionary<string, EncodedTensor> { ["fc1.weight"] = encoded }, []);
    }

    private static CompressedModel WithCodebook(ModelProto source, int bits)
    {
        var model = source.Clone();
        var random = new Random(bits);
        var centroids = Enumerable.Range(0, 1 << bits).Select(i => (float)(i - (1 << (bits - 1))) / 10).ToArray();
        var indices = Enumerable.Range(0, 64 * 784).Select(_ => random.Next(centroids.Length)).ToArray();
        var encoded = new EncodedTensor("fc1.weight", DataType.Float, [64, 784], new CodebookEncoding(bits, centroids, indices));
        var index = model.Graph.Initializer.ToList().FindIndex(t => t.Name == "fc1.weight");
        model.Graph.Initializer[index] = encoded.Materialize();
        return new CompressedModel(model, Recipe.Fp32, new Dictionary<string, EncodedTensor> { ["fc1.weight"] = encoded }, []);
    }
}
