using FleetQuant.Compression.Planning;

namespace FleetQuant.Compression.Tests.Planning;

public class ClassBucketsTests
{
    [Theory]
    [InlineData(250_000, 250_000)]
    [InlineData(249_999, 200_000)]
    [InlineData(310_000, 250_000)]
    [InlineData(2_000_000, 2_000_000)]
    [InlineData(20_000_000, 20_000_000)]
    [InlineData(100_000_000, 100_000_000)]
    [InlineData(99_999_999, 80_000_000)]
    [InlineData(64, 64)]
    [InlineData(long.MaxValue, 8_000_000_000_000_000_000)]
    public void FloorDecimal_RoundsDownOntoTheR10Series(long value, long expected)
    {
        Assert.Equal(expected, ClassBuckets.FloorDecimal(value));
    }

    [Theory]
    [InlineData(8L << 20, 8L << 20)]
    [InlineData((8L << 20) + 12345, 8L << 20)]
    [InlineData(11L << 20, 10L << 20)]
    [InlineData((2L << 30) - 1, 7L << 28)]
    [InlineData(5, 5)]
    [InlineData(long.MaxValue, 7L << 60)]
    public void FloorBinary_RoundsDownToQuarterPowersOfTwo(long value, long expected)
    {
        Assert.Equal(expected, ClassBuckets.FloorBinary(value));
    }

    [Fact]
    public void Floors_NeverRoundUpAndLoseAtMostAQuarter()
    {
        var random = new Random(7);
        for (var i = 0; i < 10_000; i++)
        {
            var value = random.NextInt64(100, long.MaxValue / 2);
            var dec = ClassBuckets.FloorDecimal(value);
            var bin = ClassBuckets.FloorBinary(value);
            Assert.InRange(dec, value - value / 4, value);
            Assert.InRange(bin, value - value / 4, value);
        }
    }
}
