using FleetQuant.Compression.Evaluation;

namespace FleetQuant.Compression.Data;

/// <summary>
/// Unlabelled inputs drawn from a standard normal distribution, for measuring fidelity (agreement with the
/// uncompressed model) when no real data is at hand. The same seed always gives the same values.
/// </summary>
public static class GeneratedInputs
{
    /// <summary>Caps the values generated (64 Mi floats, 256 MB) so a mistyped count cannot exhaust memory.</summary>
    public const long MaxValues = 64L * 1024 * 1024;

    public static EvalSet Create(long[] sampleShape, int count, int seed)
    {
        if (sampleShape.Length == 0 || sampleShape.Any(d => d <= 0))
        {
            throw new ArgumentException($"sample shape [{string.Join(",", sampleShape)}] must have positive dimensions (no batch or symbolic dimension)", nameof(sampleShape));
        }
        if (count <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(count), count, "at least one sample is needed");
        }

        var sampleSize = sampleShape.Aggregate(1L, (a, d) => a > MaxValues ? a : a * d);
        if (sampleSize > MaxValues || sampleSize * count > MaxValues)
        {
            throw new ArgumentException($"{count} samples of [{string.Join(",", sampleShape)}] exceed the {MaxValues}-value limit for generated inputs");
        }

        var random = new Random(seed);
        var values = new float[sampleSize * count];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = StandardNormal(random);
        }
        return new EvalSet(sampleShape, values, labels: null);
    }

    /// <summary>Box–Muller; computed by hand so the values do not depend on a library's sampler.</summary>
    private static float StandardNormal(Random random)
    {
        var u1 = 1.0 - random.NextDouble();
        var u2 = random.NextDouble();
        return (float)(Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2));
    }
}
