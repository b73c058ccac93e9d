using FleetQuant.Compression.Onnx;

namespace FleetQuant.Compression.Pruning;

/// <summary>Ranks a layer's output channels; the least important ones are removed.</summary>
internal static class ChannelRanking
{
    /// <summary>
    /// L2 norm of each output channel's weights, with any BatchNormalization on the way folded in: a BN divides
    /// out the weights' scale, so the raw norm alone would rank channels by a number the network ignores.
    /// </summary>
    public static double[] WeightNorms(PrunableLayer layer)
    {
        var values = TensorData.ReadFloats(layer.Weight);
        var squares = AxisSpan.Of(layer.Weight.Dims, layer.OutputAxis).SumAlongAxis(values, v => (double)v * v);
        var norms = squares.Select(Math.Sqrt).ToArray();
        foreach (var bn in layer.Normalizations)
        {
            var scale = TensorData.ReadFloats(bn.Scale);
            var variance = TensorData.ReadFloats(bn.Variance);
            for (var c = 0; c < norms.Length; c++)
            {
                norms[c] *= Math.Abs(scale[c]) / Math.Sqrt(Math.Max(0, variance[c] + (double)bn.Epsilon) + 1e-12);
            }
        }
        return norms;
    }

    /// <summary>
    /// The channels to keep, ascending: all but the <paramref name="remove"/> least important, ties broken
    /// toward removing the higher index so the choice is deterministic. NaN ranks lowest.
    /// </summary>
    public static int[] Keep(double[] importance, int remove)
    {
        var order = Enumerable.Range(0, importance.Length)
            .OrderByDescending(i => double.IsNaN(importance[i]) ? double.NegativeInfinity : importance[i])
            .ThenBy(i => i)
            .ToArray();
        var kept = order[..(importance.Length - remove)];
        Array.Sort(kept);
        return kept;
    }
}
