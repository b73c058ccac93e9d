using FleetQuant.Compression.Data;

namespace FleetQuant.Compression.Tests.Data;

public sealed class GeneratedInputsTests
{
    [Fact]
    public void Create_SameSeed_GivesSameValues_DifferentSeed_Differs()
    {
        var a = GeneratedInputs.Create([3, 8, 8], 4, seed: 5);
        var b = GeneratedInputs.Create([3, 8, 8], 4, seed: 5);
        var c = GeneratedInputs.Create([3, 8, 8], 4, seed: 6);

        Assert.Equal(a.Data, b.Data);
        Assert.NotEqual(a.Data, c.Data);
        Assert.Equal(4, a.Count);
        Assert.False(a.HasLabels);
    }

    [Fact]
    public void Create_IsStandardNormal()
    {
        var set = GeneratedInputs.Create([784], 100, seed: 1);

        var mean = set.Data.Average();
        var variance = set.Data.Average(v => (v - mean) * (v - mean));
        Assert.InRange(mean, -0.02, 0.02);
        Assert.InRange(variance, 0.97, 1.03);
    }

    [Theory]
    [InlineData(new long[] { -1, 784 }, 1)]
    [InlineData(new long[] { 784 }, 0)]
    [InlineData(new long[] { 3, 224, 224 }, 1_000_000)]
    public void Create_BadShapeOrHugeCount_IsRejected(long[] shape, int count)
    {
        Assert.ThrowsAny<ArgumentException>(() => GeneratedInputs.Create(shape, count, 1));
    }
}
