using FleetQuant.Compression.Quantization;

namespace FleetQuant.Compression.Tests.Quantization;

public sealed class WeightQuantizerTests
{
    [Theory]
    [InlineData(8, true, 0.9999)]
    [InlineData(8, false, 0.9999)]
    [InlineData(4, true, 0.98)]
    [InlineData(2, false, 0.75)]
    public void Quantize_PerChannel_RoundTripsWithHighCosine(int bits, bool symmetric, double minCosine)
    {
        var weights = OrtRunner.RandomInput(1, 16 * 100);
        var codes = new int[weights.Length];
        var scales = new float[16];
        var zeroPoints = new int[16];

        WeightQuantizer.Quantize(weights, 100, 100, bits, symmetric, codes, scales, zeroPoints);
        var restored = new float[weights.Length];
        WeightQuantizer.Dequantize(codes, 100, 100, scales, zeroPoints, restored);

        Assert.All(codes, c => Assert.InRange(c, symmetric ? 1 : 0, (1 << bits) - 1));
        Assert.True(OrtRunner.Cosine(weights, restored) >= minCosine);
    }

    [Fact]
    public void Quantize_Blocks_ShortLastGroupPerRow()
    {
        var weights = OrtRunner.RandomInput(2, 2 * 40);
        var groups = WeightQuantizer.GroupCount(weights.Length, 40, 16);
        var codes = new int[weights.Length];
        var scales = new float[groups];
        var zeroPoints = new int[groups];

        WeightQuantizer.Quantize(weights, 40, 16, 4, false, codes, scales, zeroPoints);

        Assert.Equal(6, groups);
        var lastGroupMax = weights.Skip(32).Take(8).Max(MathF.Abs);
        Assert.True(scales[2] <= 2 * lastGroupMax / 15 * 1.001f);
    }

    [Fact]
    public void Quantize_AllZeroGroup_GivesZeroPointCodes()
    {
        var weights = new float[32];
        var codes = new int[32];
        var scales = new float[1];
        var zeroPoints = new int[1];

        WeightQuantizer.Quantize(weights, 32, 32, 8, true, codes, scales, zeroPoints);

        Assert.All(codes, c => Assert.Equal(128, c));
        Assert.True(scales[0] > 0);
    }

    [Fact]
    public void Quantize_NaNWeights_Throw()
    {
        var weights = new float[32];
        weights[5] = float.NaN;
        Assert.Throws<ArgumentException>(() => WeightQuantizer.Quantize(weights, 32, 32, 8, false, new int[32], new float[1], new int[1]));
    }

    [Fact]
    public void Quantize_MismatchedBuffers_Throw()
    {
        Assert.Throws<ArgumentException>(() => WeightQuantizer.Quantize(new float[32], 32, 16, 8, true, new int[32], new float[1], new int[1]));
    }
}
