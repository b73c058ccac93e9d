namespace FleetQuant.Compression.Evaluation;

/// <summary>
/// Samples for one model input, stored contiguously, with optional class labels. Used for accuracy,
/// fidelity, calibration and sensitivity analysis.
/// </summary>
public sealed class EvalSet
{
    public EvalSet(long[] sampleShape, float[] data, int[]? labels)
    {
        SampleShape = sampleShape;
        SampleSize = checked((int)sampleShape.Aggregate(1L, (a, d) => a * d));
        if (SampleSize <= 0 || data.Length % SampleSize != 0)
        {
            throw new ArgumentException($"{data.Length} values do not split into samples of {SampleSize}");
        }
        Count = data.Length / SampleSize;
        if (labels is not null && labels.Length != Count)
        {
            throw new ArgumentException($"{labels.Length} labels for {Count} samples");
        }
        Data = data;
        Labels = labels;
    }

    /// <summary>Shape of one sample, without the batch dimension.</summary>
    public long[] SampleShape { get; }

    public int SampleSize { get; }

    public int Count { get; }

    public float[] Data { get; }

    public int[]? Labels { get; }

    public bool HasLabels => Labels is not null;

    public ReadOnlySpan<float> Sample(int index) => Data.AsSpan(index * SampleSize, SampleSize);

    /// <summary>The first <paramref name="count"/> samples (all of them when there are fewer).</summary>
    public EvalSet Take(int count)
    {
        var n = Math.Min(count, Count);
        return new EvalSet(SampleShape, Data[..(n * SampleSize)], Labels?[..n]);
    }
}
