using System.Numerics;

namespace FleetQuant.Compression.WeightSharing;

/// <summary>A tensor's shared weights: every value i is <c>Centroids[Indices[i]]</c>.</summary>
public sealed record KMeansResult(float[] Centroids, int[] Indices, int Iterations);

/// <summary>
/// One-dimensional k-means for weight sharing (Deep Compression): centroids start evenly spaced between the
/// smallest and largest value, then Lloyd iterations run until no value changes cluster (or
/// <see cref="MaxIterations"/>). Exact zeros — pruned weights — keep a centroid of their own at index 0 and do not
/// pull the others. Deterministic.
/// </summary>
/// <remarks>
/// In one dimension each cluster is a run of the sorted values between two centroid midpoints, so an iteration
/// only binary-searches the midpoints in the sorted values and reads cluster sums from prefix sums: after one
/// sort, 30 iterations cost almost nothing, and the final assignment is one pass over the tensor.
/// </remarks>
public static class KMeansCodebook
{
    public const int MaxIterations = 30;

    /// <summary>Clusters <paramref name="values"/> (finite) into at most 2^<paramref name="indexBits"/> centroids.</summary>
    public static KMeansResult Cluster(ReadOnlySpan<float> values, int indexBits)
    {
        if (indexBits is < 1 or > 16)
        {
            throw new ArgumentOutOfRangeException(nameof(indexBits), indexBits, "index bits must be 1 to 16");
        }

        var sorted = NonZeroSorted(values, out var hasZero);
        var indices = new int[values.Length];
        if (sorted.Length == 0)
        {
            return new KMeansResult([0f], indices, 0);
        }

        var prefix = new double[sorted.Length + 1];
        for (var i = 0; i < sorted.Length; i++)
        {
            prefix[i + 1] = prefix[i] + sorted[i];
        }

        var centroids = LinearCentroids(sorted[0], sorted[^1], (1 << indexBits) - (hasZero ? 1 : 0));
        var bounds = new int[centroids.Length + 1];
        var previous = new int[bounds.Length];
        Array.Fill(previous, -1);
        var iterations = 1;
        while (true)
        {
            Array.Sort(centroids);
            ClusterBounds(sorted, Midpoints(centroids), bounds);
            if (bounds.AsSpan().SequenceEqual(previous) || iterations == MaxIterations)
            {
                break;
            }
            for (var j = 0; j < centroids.Length; j++)
            {
                var count = bounds[j + 1] - bounds[j];
                if (count > 0)
                {
                    centroids[j] = (float)((prefix[bounds[j + 1]] - prefix[bounds[j]]) / count);
                }
            }
            bounds.CopyTo(previous, 0);
            iterations++;
        }

        Assign(values, centroids, hasZero ? 1 : 0, indices);
        return new KMeansResult(hasZero ? [0f, .. centroids] : centroids, indices, iterations);
    }

    private static float[] NonZeroSorted(ReadOnlySpan<float> values, out bool hasZero)
    {
        var nonZero = 0;
        foreach (var v in values)
        {
            if (!float.IsFinite(v))
            {
                throw new ArgumentException($"k-means needs finite values; found {v}", nameof(values));
            }
            if (v != 0)
            {
                nonZero++;
            }
        }
        hasZero = nonZero < values.Length;

        var sorted = new float[nonZero];
        var n = 0;
        foreach (var v in values)
        {
            if (v != 0)
            {
                sorted[n++] = v;
            }
        }
        Array.Sort(sorted);
        return sorted;
    }

    private static float[] LinearCentroids(float min, float max, int count)
    {
        if (min == max || count == 1)
        {
            return [min + (max - min) / 2];
        }
        var centroids = new float[count];
        for (var j = 0; j < count; j++)
        {
            centroids[j] = (float)(min + ((double)max - min) * j / (count - 1));
        }
        return centroids;
    }

    /// <summary>Midpoints between sorted centroids, padded with +∞ to a power of two minus one for the search.</summary>
    private static float[] Midpoints(float[] centroids)
    {
        var padded = (int)BitOperations.RoundUpToPowerOf2((uint)centroids.Length);
        var midpoints = new float[Math.Max(1, padded - 1)];
        Array.Fill(midpoints, float.PositiveInfinity);
        for (var j = 0; j + 1 < centroids.Length; j++)
        {
            midpoints[j] = centroids[j] + (centroids[j + 1] - centroids[j]) / 2;
        }
        return midpoints;
    }

    /// <summary>Cluster j holds sorted[bounds[j]..bounds[j+1]]: a value at or above a midpoint goes to the upper centroid.</summary>
    private static void ClusterBounds(float[] sorted, float[] midpoints, int[] bounds)
    {
        bounds[0] = 0;
        bounds[^1] = sorted.Length;
        for (var j = 1; j < bounds.Length - 1; j++)
        {
            bounds[j] = LowerBound(sorted, midpoints[j - 1]);
        }
    }

    private static int LowerBound(float[] sorted, float value)
    {
        int lo = 0, hi = sorted.Length;
        while (lo < hi)
        {
            var mid = lo + (hi - lo) / 2;
            if (sorted[mid] < value)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }
        return lo;
    }

    /// <summary>Each non-zero value's nearest centroid, by a branch-light binary search over the midpoints.</summary>
    private static void Assign(ReadOnlySpan<float> values, float[] centroids, int offset, int[] indices)
    {
        var midpoints = Midpoints(centroids);
        var half = (midpoints.Length + 1) >> 1;
        for (var i = 0; i < values.Length; i++)
        {
            var v = values[i];
            if (v == 0)
            {
                continue;
            }
            var cluster = 0;
            for (var step = half; step > 0; step >>= 1)
            {
                if (v >= midpoints[cluster + step - 1])
                {
                    cluster += step;
                }
            }
            indices[i] = cluster + offset;
        }
    }
}
