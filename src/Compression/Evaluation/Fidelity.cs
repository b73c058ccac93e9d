namespace FleetQuant.Compression.Evaluation;

/// <summary>How closely a model's outputs follow a reference model's on the same inputs.</summary>
/// <param name="Top1Agreement">Fraction of samples whose argmax matches the reference's.</param>
/// <param name="MeanCosine">Mean over samples of the cosine similarity of the output vectors.</param>
/// <param name="MaxAbsError">Largest absolute difference of any output value.</param>
public sealed record Fidelity(double Top1Agreement, double MeanCosine, double MaxAbsError)
{
    public static Fidelity Compare(IReadOnlyList<float[]> outputs, IReadOnlyList<float[]> reference)
    {
        if (outputs.Count != reference.Count || outputs.Count == 0)
        {
            throw new ArgumentException($"{outputs.Count} outputs to compare with {reference.Count} reference outputs");
        }

        var agree = 0;
        var cosineSum = 0.0;
        var maxAbs = 0.0;
        for (var i = 0; i < outputs.Count; i++)
        {
            var a = outputs[i];
            var b = reference[i];
            if (a.Length != b.Length)
            {
                throw new ArgumentException($"output {i} has {a.Length} values, the reference {b.Length}");
            }
            if (OutputScores.ArgMax(a) == OutputScores.ArgMax(b))
            {
                agree++;
            }
            cosineSum += Cosine(a, b);
            for (var j = 0; j < a.Length; j++)
            {
                var diff = Math.Abs((double)a[j] - b[j]);
                maxAbs = double.IsNaN(diff) ? double.PositiveInfinity : Math.Max(maxAbs, diff);
            }
        }
        return new Fidelity((double)agree / outputs.Count, cosineSum / outputs.Count, maxAbs);
    }

    /// <summary>Cosine similarity; two all-zero vectors count as identical, one all-zero vector as unrelated.</summary>
    public static double Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double dot = 0, na = 0, nb = 0;
        for (var i = 0; i < a.Length; i++)
        {
            dot += (double)a[i] * b[i];
            na += (double)a[i] * a[i];
            nb += (double)b[i] * b[i];
        }
        if (na == 0 && nb == 0)
        {
            return 1;
        }
        var cosine = na == 0 || nb == 0 ? 0 : dot / Math.Sqrt(na * nb);
        return double.IsNaN(cosine) ? 0 : Math.Clamp(cosine, -1, 1);
    }
}
