using FleetQuant.Compression.Recipes;

namespace FleetQuant.Compression.Quantization;

/// <summary>
/// A weight's channel-major codes with their group scales and zero points, as <see cref="WeightQuantizer"/>
/// produced them for one granularity.
/// </summary>
internal sealed record GroupQuantization(int[] Codes, float[] Scales, int[] ZeroPoints, int KernelRowLength, int GroupSize, int RowLength)
{
    public int GroupsPerKernelRow => (KernelRowLength + GroupSize - 1) / GroupSize;

    public static GroupQuantization Run(ChannelMatrix matrix, QuantGranularity granularity, int blockSize, int bits, bool symmetric)
    {
        var total = matrix.Values.Length;
        var (rowLength, groupSize) = granularity switch
        {
            QuantGranularity.PerTensor => (total, total),
            QuantGranularity.PerChannel => (matrix.RowLength, matrix.RowLength),
            _ => (matrix.RowLength, blockSize),
        };
        var groups = WeightQuantizer.GroupCount(total, rowLength, groupSize);
        var codes = new int[total];
        var scales = new float[groups];
        var zeroPoints = new int[groups];
        WeightQuantizer.Quantize(matrix.Values, rowLength, groupSize, bits, symmetric, codes, scales, zeroPoints);
        return new GroupQuantization(codes, scales, zeroPoints, rowLength, groupSize, matrix.RowLength);
    }

    /// <summary>The group that holds element <paramref name="k"/> of output channel <paramref name="channel"/>.</summary>
    public int GroupOf(int channel, int k)
    {
        var flat = (long)channel * RowLength + k;
        return (int)(flat / KernelRowLength * GroupsPerKernelRow + flat % KernelRowLength / GroupSize);
    }
}
