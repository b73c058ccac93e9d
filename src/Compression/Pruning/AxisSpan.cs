namespace FleetQuant.Compression.Pruning;

/// <summary>
/// A row-major tensor seen as [Outer, Length, Inner] around one axis, so per-axis work (cutting, norms,
/// activation sums) is the same loop whatever the rank.
/// </summary>
internal readonly record struct AxisSpan(long Outer, long Length, long Inner)
{
    public static AxisSpan Of(IReadOnlyList<long> dims, int axis)
    {
        if (axis < 0 || axis >= dims.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(axis), $"axis {axis} outside a rank-{dims.Count} tensor");
        }
        long outer = 1;
        long inner = 1;
        for (var i = 0; i < axis; i++)
        {
            outer = checked(outer * dims[i]);
        }
        for (var i = axis + 1; i < dims.Count; i++)
        {
            inner = checked(inner * dims[i]);
        }
        return new AxisSpan(outer, dims[axis], inner);
    }

    /// <summary>Sum of f(value) for each index along the axis.</summary>
    public double[] SumAlongAxis(ReadOnlySpan<float> values, Func<float, double> f)
    {
        var sums = new double[Length];
        for (long o = 0; o < Outer; o++)
        {
            for (long a = 0; a < Length; a++)
            {
                var start = (o * Length + a) * Inner;
                double sum = 0;
                foreach (var v in values.Slice((int)start, (int)Inner))
                {
                    sum += f(v);
                }
                sums[a] += sum;
            }
        }
        return sums;
    }
}
