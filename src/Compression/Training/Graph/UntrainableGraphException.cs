namespace FleetQuant.Compression.Training.Graph;

/// <summary>
/// The graph cannot be trained: a node uses an op (or a form of an op) outside the trainer's subset. The ladder
/// reports <see cref="Exception.Message"/> as the reason a model gets post-training rungs only.
/// </summary>
public sealed class UntrainableGraphException(string opType, string nodeName, string reason)
    : Exception($"node '{nodeName}' ({opType}) cannot be trained: {reason}")
{
    public string OpType { get; } = opType;

    public string NodeName { get; } = nodeName;

    public string Reason { get; } = reason;
}

/// <summary>A trainable graph met inputs it cannot compute with (wrong shapes, missing feeds).</summary>
public sealed class GraphExecutionException(string message) : Exception(message);
