namespace FleetQuant.Compression.Evaluation;

/// <summary>Scores per-sample model outputs (one vector per sample, class scores for classifiers).</summary>
public static class OutputScores
{
    /// <summary>Index of the largest value; NaN never wins, ties go to the first.</summary>
    public static int ArgMax(ReadOnlySpan<float> values)
    {
        var best = -1;
        var bestValue = float.NegativeInfinity;
        for (var i = 0; i < values.Length; i++)
        {
            if (best < 0 || values[i] > bestValue)
            {
                if (!float.IsNaN(values[i]) || best < 0)
                {
                    best = i;
                    bestValue = float.IsNaN(values[i]) ? float.NegativeInfinity : values[i];
                }
            }
        }
        return best;
    }

    /// <summary>Fraction of samples whose first output's argmax equals the label.</summary>
    public static double Accuracy(ModelOutputs outputs, IReadOnlyList<int> labels) => Accuracy(outputs.First.Samples, labels);

    /// <summary>Fraction of samples whose argmax equals the label.</summary>
    public static double Accuracy(IReadOnlyList<float[]> outputs, IReadOnlyList<int> labels)
    {
        if (outputs.Count != labels.Count || outputs.Count == 0)
        {
            throw new ArgumentException($"{outputs.Count} outputs for {labels.Count} labels");
        }
        var correct = 0;
        for (var i = 0; i < outputs.Count; i++)
        {
            if (ArgMax(outputs[i]) == labels[i])
            {
                correct++;
            }
        }
        return (double)correct / outputs.Count;
    }

    /// <summary>The argmax of each sample's first output.</summary>
    public static int[] ArgMaxes(ModelOutputs outputs) => outputs.First.Samples.Select(o => ArgMax(o)).ToArray();
}
