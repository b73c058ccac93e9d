namespace FleetQuant.Compression.Evaluation;

/// <summary>How one output is judged against its reference.</summary>
public enum OutputKind
{
    /// <summary>Class scores (rows that sum to 1, or the labelled output): top-1 agreement along the last axis, cosine, max abs error.</summary>
    Classes,

    /// <summary>One value per sample (a sigmoid score): judged by its absolute error, since a cosine of one value is always ±1.</summary>
    Score,

    /// <summary>Any other tensor (features, maps, states): cosine and max abs error.</summary>
    Values,
}

/// <summary>
/// How closely one output follows its reference. <see cref="Quality"/> folds it into one number in [0, 1] for ladders:
/// top-1 agreement for class scores, 1 − mean abs error for a score, the mean cosine otherwise.
/// </summary>
public sealed record OutputFidelity(string Name, OutputKind Kind, double? Top1Agreement, double MeanCosine, double MaxAbsError, double MeanAbsError)
{
    public double Quality => Kind switch
    {
        OutputKind.Classes => Top1Agreement ?? MeanCosine,
        OutputKind.Score => Math.Clamp(1 - MeanAbsError, 0, 1),
        _ => Math.Clamp(MeanCosine, 0, 1),
    };
}

/// <summary>
/// How closely a model's outputs follow a reference's on the same inputs, over every output. The headline figures are
/// the worst output's: the lowest top-1 agreement (null when no output is class scores), the lowest mean cosine of the
/// outputs judged by cosine, the largest absolute error anywhere.
/// </summary>
public sealed record Fidelity(double? Top1Agreement, double MeanCosine, double MaxAbsError, IReadOnlyList<OutputFidelity> Outputs)
{
    /// <summary>The worst output's <see cref="OutputFidelity.Quality"/>: the fidelity metric of a ladder built without labels.</summary>
    public double Quality => Outputs.Min(o => o.Quality);

    /// <summary>Whether every output is judged by top-1 agreement (the ladder's metric is then <c>top1Agreement</c>).</summary>
    public bool AllClasses => Outputs.All(o => o.Kind == OutputKind.Classes);

    /// <param name="classOutput">An output known to be class scores (the labelled first output), beside those whose rows sum to 1.</param>
    public static Fidelity Compare(ModelOutputs outputs, ModelOutputs reference, string? classOutput = null)
    {
        var figures = new List<OutputFidelity>(reference.Outputs.Count);
        foreach (var expected in reference.Outputs)
        {
            var actual = outputs.Find(expected.Name) ?? throw new ArgumentException($"output '{expected.Name}' is missing from the outputs compared");
            figures.Add(CompareOutput(actual, expected, Kind(expected, classOutput)));
        }
        var classes = figures.Where(f => f.Top1Agreement is not null).Select(f => f.Top1Agreement!.Value).ToList();
        var cosines = figures.Where(f => f.Kind != OutputKind.Score).Select(f => f.MeanCosine).ToList();
        return new Fidelity(classes.Count > 0 ? classes.Min() : null, cosines.Count > 0 ? cosines.Min() : 1, figures.Max(f => f.MaxAbsError), figures);
    }

    public static OutputKind Kind(OutputValues reference, string? classOutput)
    {
        if (reference.Samples.Count > 0 && reference.Samples[0].Length == 1)
        {
            return OutputKind.Score;
        }
        return reference.LastAxis > 1 && (reference.Name == classOutput || RowsAreDistributions(reference)) ? OutputKind.Classes : OutputKind.Values;
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

    private static OutputFidelity CompareOutput(OutputValues actual, OutputValues expected, OutputKind kind)
    {
        if (actual.Samples.Count != expected.Samples.Count || expected.Samples.Count == 0)
        {
            throw new ArgumentException($"output '{expected.Name}': {actual.Samples.Count} samples to compare with {expected.Samples.Count}");
        }
        long rows = 0, agree = 0, values = 0;
        double cosineSum = 0, maxAbs = 0, absSum = 0;
        for (var i = 0; i < expected.Samples.Count; i++)
        {
            var a = actual.Samples[i];
            var b = expected.Samples[i];
            if (a.Length != b.Length)
            {
                throw new ArgumentException($"output '{expected.Name}' sample {i} has {a.Length} values, the reference {b.Length}");
            }
            if (kind == OutputKind.Classes)
            {
                var width = expected.LastAxis;
                for (var row = 0; row + width <= b.Length; row += width)
                {
                    rows++;
                    if (OutputScores.ArgMax(a.AsSpan(row, width)) == OutputScores.ArgMax(b.AsSpan(row, width)))
                    {
                        agree++;
                    }
                }
            }
            cosineSum += Cosine(a, b);
            for (var j = 0; j < a.Length; j++)
            {
                var diff = Math.Abs((double)a[j] - b[j]);
                diff = double.IsNaN(diff) ? double.PositiveInfinity : diff;
                maxAbs = Math.Max(maxAbs, diff);
                absSum += diff;
            }
            values += a.Length;
        }
        double? top1 = kind == OutputKind.Classes ? rows == 0 ? 1 : (double)agree / rows : null;
        return new OutputFidelity(expected.Name, kind, top1, cosineSum / expected.Samples.Count, maxAbs, values == 0 ? 0 : absSum / values);
    }

    /// <summary>Softmax-like: every value in [0, 1] and every row along the last axis sums to 1.</summary>
    private static bool RowsAreDistributions(OutputValues output)
    {
        var width = output.LastAxis;
        foreach (var sample in output.Samples.Take(16))
        {
            for (var row = 0; row + width <= sample.Length; row += width)
            {
                var sum = 0.0;
                for (var j = row; j < row + width; j++)
                {
                    if (sample[j] is < 0 or > 1 || float.IsNaN(sample[j]))
                    {
                        return false;
                    }
                    sum += sample[j];
                }
                if (Math.Abs(sum - 1) > 1e-3)
                {
                    return false;
                }
            }
        }
        return true;
    }
}
