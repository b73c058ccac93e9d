using FleetQuant.Compression.Onnx;
using FleetQuant.Compression.Pipeline;
using FleetQuant.Compression.Recipes;
using FleetQuant.Compression.Tests.Support;

namespace FleetQuant.Compression.Tests.Quantization;

public sealed class ResNet18QuantizationTests
{
    [Fact]
    public void Quantize8BitPerChannel_ResNet18_KeepsCosineAbove099_AndShrinksRuntimeBytes()
    {
        var source = OnnxModelFile.Load(ResNet18Model.Path);
        var compressed = ModelCompressor.Compress(source, Recipe.Parse("q8cs"));

        var samples = new[] { 1, 2 }.Select(seed => OpsetUpgraderTests.ResNetInput(source, seed)).ToList();
        var shape = samples[0].Shape;
        var expected = OrtRunner.RunEach(source, samples.Select(s => s.Input), shape);
        var actual = OrtRunner.RunEach(compressed.Model, samples.Select(s => s.Input), shape);
        var cosines = expected.Zip(actual, (e, a) => OrtRunner.Cosine(a, e)).ToList();

        Assert.True(cosines.Average() >= 0.99, $"mean cosine {cosines.Average():F5}");
        var fp32Bytes = InitializerBytes(source);
        var quantizedBytes = InitializerBytes(compressed.Model);
        Assert.True(quantizedBytes * 3.9 <= fp32Bytes, $"{quantizedBytes} runtime initializer bytes vs {fp32Bytes} FP32");
    }

    private static long InitializerBytes(ModelProto model) =>
        OnnxGraphs.All(model).SelectMany(g => g.Initializer).Sum(TensorData.ByteSize);
}
