namespace FleetQuant.Grains.Devices;

/// <summary>
/// The distinct byte ranges of one transfer object the Gateway served a device, as sorted, merged [start, end) pairs
/// in a flat array: a chunk asked for twice counts once, so repeats cannot stand in for the bytes never fetched.
/// </summary>
public static class ServedRanges
{
    /// <summary>
    /// More disjoint ranges than a fetch window leaves open: a device that fragments its requests beyond this loses the
    /// evidence of the surplus ranges (its success then counts as unverified), never the grain's memory.
    /// </summary>
    public const int MaxRanges = 256;

    /// <summary>The ranges with [start, end) merged in; the input unchanged when the result would exceed <see cref="MaxRanges"/>.</summary>
    public static long[] Add(long[] ranges, long start, long end)
    {
        if (end <= start)
        {
            return ranges;
        }
        var merged = new List<long>(ranges.Length + 2);
        var placed = false;
        for (var i = 0; i < ranges.Length; i += 2)
        {
            var (s, e) = (ranges[i], ranges[i + 1]);
            if (e < start)
            {
                merged.Add(s);
                merged.Add(e);
            }
            else if (s > end)
            {
                if (!placed)
                {
                    merged.Add(start);
                    merged.Add(end);
                    placed = true;
                }
                merged.Add(s);
                merged.Add(e);
            }
            else
            {
                // Overlapping or touching: widen the new range and keep looking.
                (start, end) = (Math.Min(s, start), Math.Max(e, end));
            }
        }
        if (!placed)
        {
            merged.Add(start);
            merged.Add(end);
        }
        return merged.Count / 2 > MaxRanges ? ranges : [.. merged];
    }

    public static long Covered(long[] ranges)
    {
        long total = 0;
        for (var i = 0; i < ranges.Length; i += 2)
        {
            total += ranges[i + 1] - ranges[i];
        }
        return total;
    }
}
