namespace FleetQuant.Compression.Evaluation;

/// <summary>
/// Samples for a model's inputs — one <see cref="SampleArray"/> per input, all with the same sample count — with optional
/// class labels (judged against the first output) and optional outputs recorded with the data
/// (<see cref="References"/>, by output name). Used for accuracy, fidelity, calibration and sensitivity analysis.
/// </summary>
public sealed class EvalSet
{
    public EvalSet(IReadOnlyList<SampleArray> inputs, int[]? labels = null, IReadOnlyList<SampleArray>? references = null, string? source = null)
    {
        if (inputs.Count == 0)
        {
            throw new ArgumentException("an evaluation set needs at least one input", nameof(inputs));
        }
        Count = inputs[0].Count;
        if (inputs.Any(i => i.Count != Count) || references?.Any(r => r.Count != Count) == true)
        {
            throw new ArgumentException($"every array must hold the same number of samples: {string.Join(", ", inputs.Concat(references ?? []).Select(a => a.Describe()))}");
        }
        if (inputs.Count > 1 && inputs.Any(i => i.Name is null))
        {
            throw new ArgumentException("several inputs need a name each", nameof(inputs));
        }
        if (inputs.Select(i => i.Name).Distinct(StringComparer.Ordinal).Count() != inputs.Count)
        {
            throw new ArgumentException($"inputs named twice: {string.Join(", ", inputs.Select(i => i.Name))}", nameof(inputs));
        }
        if (labels is not null && labels.Length != Count)
        {
            throw new ArgumentException($"{labels.Length} labels for {Count} samples");
        }
        Inputs = inputs;
        Labels = labels;
        References = references ?? [];
        Source = source;
    }

    /// <summary>A set of float samples for the model's first input (IDX images, generated data, the trainer's batches).</summary>
    public EvalSet(long[] sampleShape, float[] data, int[]? labels)
        : this([SampleArray.OfFloats(null, sampleShape, data)], labels)
    {
    }

    public IReadOnlyList<SampleArray> Inputs { get; }

    public int Count { get; }

    public int[]? Labels { get; }

    public bool HasLabels => Labels is not null;

    /// <summary>Outputs recorded with the data (ONNX test-data <c>output_K.pb</c>, <c>.npz</c> <c>reference_*</c>).</summary>
    public IReadOnlyList<SampleArray> References { get; }

    /// <summary>The file or directory the set was read from, for messages; null for generated or uploaded sets.</summary>
    public string? Source { get; }

    /// <summary>The hints the set was made with; inputs the data lacks are fed their <c>--input-value</c> constants.</summary>
    public InputHints Hints { get; init; } = InputHints.None;

    /// <summary>The only input, for code that handles single-input models (the trainer, image helpers).</summary>
    public SampleArray Single => Inputs.Count == 1
        ? Inputs[0]
        : throw new InvalidOperationException($"this set feeds {Inputs.Count} inputs; a single-input set is needed here");

    /// <summary>Shape of one sample of the only input.</summary>
    public long[] SampleShape => Single.SampleShape;

    /// <summary>Values in one sample of the only input.</summary>
    public int SampleSize => checked((int)Single.SampleElements);

    /// <summary>The only input's values, when they are floats.</summary>
    public float[] Data => Single.Floats;

    public ReadOnlySpan<float> Sample(int index) => Data.AsSpan(index * SampleSize, SampleSize);

    /// <summary>The same samples with <paramref name="hints"/> for the inputs the data lacks.</summary>
    public EvalSet WithHints(InputHints hints) => new(Inputs, Labels, References, Source) { Hints = hints };

    /// <summary>The first <paramref name="count"/> samples (all of them when there are fewer).</summary>
    public EvalSet Take(int count)
    {
        var n = Math.Min(count, Count);
        return n == Count ? this : new EvalSet(Inputs.Select(i => i.Take(n)).ToList(), Labels?[..n], References.Select(r => r.Take(n)).ToList(), Source) { Hints = Hints };
    }

    public string Describe() => $"{Count} samples of {string.Join(", ", Inputs.Select(i => i.Describe()))}{(Source is null ? "" : $" from {Source}")}";
}
