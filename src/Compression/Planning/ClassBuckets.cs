namespace FleetQuant.Compression.Planning;

/// <summary>
/// Rounds measured quantities down onto coarse grids so that devices of one class, whose measurements jitter,
/// present the planner with identical inputs and land on the same recipes (few artifacts to build). Rounding is
/// always down, so a plan never assumes more memory or bandwidth than the device reported.
/// </summary>
public static class ClassBuckets
{
    // Renard R10 mantissas ×100: a value loses at most 22 % to its bucket; 250 kbit/s, 2, 20 and 100 Mbit/s are on it.
    private static readonly long[] RenardR10 = [100, 125, 160, 200, 250, 315, 400, 500, 630, 800];

    /// <summary>Bandwidth and data caps: the largest R10 value (decimal, 1-1.25-1.6-2-2.5-3.15-4-5-6.3-8) not above the input.</summary>
    public static long FloorDecimal(long value)
    {
        if (value < RenardR10[0])
        {
            return value;
        }
        long scale = 1;
        while (value / scale >= 1000)
        {
            scale *= 10;
        }
        var mantissa = value / scale;
        var step = RenardR10.Last(m => m <= mantissa);
        return step * scale;
    }

    /// <summary>Memory and storage: the largest of 1, 1.25, 1.5, 1.75 × 2^k not above the input (powers of two stay exact).</summary>
    public static long FloorBinary(long value)
    {
        if (value < 8)
        {
            return value;
        }
        var power = 63 - (int)long.LeadingZeroCount(value);
        var quarter = 1L << (power - 2);
        return value / quarter * quarter;
    }
}
