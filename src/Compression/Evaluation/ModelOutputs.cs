namespace FleetQuant.Compression.Evaluation;

/// <summary>One output of a model over an evaluation set: a flattened vector per sample, and the size of its last axis.</summary>
public sealed record OutputValues(string Name, IReadOnlyList<float[]> Samples, int LastAxis);

/// <summary>Every tensor output of a model over an evaluation set, in the model's declaration order.</summary>
public sealed class ModelOutputs(IReadOnlyList<OutputValues> outputs)
{
    public IReadOnlyList<OutputValues> Outputs { get; } = outputs.Count > 0 ? outputs : throw new ArgumentException("a model has at least one output", nameof(outputs));

    /// <summary>The first output: the one labels are judged against.</summary>
    public OutputValues First => Outputs[0];

    public int Count => First.Samples.Count;

    public OutputValues? Find(string name) => Outputs.FirstOrDefault(o => o.Name == name);
}
