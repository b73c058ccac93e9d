namespace FleetQuant.Compression.Ladders;

/// <summary>Magnitude pruning of one tensor, for sensitivity probes that must touch a single layer.</summary>
internal static class SingleLayerPruning
{
    /// <summary>A copy with the <paramref name="ratio"/> fraction of smallest-magnitude values set to zero.</summary>
    public static float[] ZeroSmallest(float[] values, double ratio)
    {
        var count = (int)Math.Round(values.Length * ratio);
        var order = Enumerable.Range(0, values.Length).ToArray();
        var magnitudes = values.Select(Math.Abs).ToArray();
        Array.Sort(magnitudes, order);
        var result = (float[])values.Clone();
        for (var i = 0; i < count; i++)
        {
            result[order[i]] = 0;
        }
        return result;
    }
}
