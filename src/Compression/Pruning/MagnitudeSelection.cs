namespace FleetQuant.Compression.Pruning;

/// <summary>
/// Chooses the smallest-magnitude values of one or more weight tensors, with ties broken by position (earlier
/// tensor, then lower index, is pruned first) so the result never depends on sort stability.
/// </summary>
public static class MagnitudeSelection
{
    /// <summary>Zeroes the <paramref name="count"/> smallest-magnitude values of <paramref name="values"/>.</summary>
    public static void ZeroSmallest(float[] values, long count) => ZeroSmallest([values], count);

    /// <summary>
    /// Zeroes the <paramref name="count"/> smallest-magnitude values over all <paramref name="tensors"/> together,
    /// under one threshold (global pruning). NaN counts as the smallest magnitude.
    /// </summary>
    public static void ZeroSmallest(IReadOnlyList<float[]> tensors, long count)
    {
        var total = tensors.Sum(t => (long)t.Length);
        if (count <= 0 || total == 0)
        {
            return;
        }
        if (count >= total)
        {
            foreach (var tensor in tensors)
            {
                Array.Clear(tensor);
            }
            return;
        }

        var threshold = KthSmallestMagnitude(tensors, total, count);
        var atThreshold = count - tensors.Sum(t => CountBelow(t, threshold));
        foreach (var tensor in tensors)
        {
            for (var i = 0; i < tensor.Length; i++)
            {
                var magnitude = Magnitude(tensor[i]);
                if (magnitude < threshold)
                {
                    tensor[i] = 0;
                }
                else if (magnitude == threshold && atThreshold > 0)
                {
                    tensor[i] = 0;
                    atThreshold--;
                }
            }
        }
    }

    /// <summary>|v|, with NaN ranked below every number so corrupt weights are pruned first and ordering stays total.</summary>
    private static float Magnitude(float v) => float.IsNaN(v) ? -1f : Math.Abs(v);

    private static float KthSmallestMagnitude(IReadOnlyList<float[]> tensors, long total, long count)
    {
        var magnitudes = new float[total];
        long offset = 0;
        foreach (var tensor in tensors)
        {
            for (var i = 0; i < tensor.Length; i++)
            {
                magnitudes[offset + i] = Magnitude(tensor[i]);
            }
            offset += tensor.Length;
        }
        Array.Sort(magnitudes);
        return magnitudes[count - 1];
    }

    private static long CountBelow(float[] values, float threshold)
    {
        long n = 0;
        foreach (var v in values)
        {
            if (Magnitude(v) < threshold)
            {
                n++;
            }
        }
        return n;
    }
}
