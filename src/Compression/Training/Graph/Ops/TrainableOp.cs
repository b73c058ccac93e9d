using FleetQuant.Compression.Onnx;

namespace FleetQuant.Compression.Training.Graph.Ops;

/// <summary>What a node's forward pass may keep for its backward pass, plus the run's mode and counters.</summary>
internal sealed class OpContext(bool training, Random random, bool batchStatistics = false)
{
    public bool Training { get; } = training;

    /// <summary>BatchNormalization normalises with the batch's statistics and updates its running ones.</summary>
    public bool BatchStatistics { get; } = batchStatistics;

    /// <summary>Dropout masks draw from this, in node order, so a seed fixes them.</summary>
    public Random Random { get; } = random;

    public object? Saved { get; set; }

    public long Flops { get; private set; }

    public void AddFlops(long flops) => Flops += flops;
}

/// <summary>
/// One ONNX node with a forward pass and its reverse-mode gradient. Inputs past <see cref="DataInputs"/> are
/// build-time constants (shapes, ratios) the op read when it was created.
/// </summary>
internal abstract class TrainableOp(NodeProto node)
{
    public NodeProto Node { get; } = node;

    public string Name => string.IsNullOrEmpty(Node.Name) ? Node.Output.FirstOrDefault() ?? "?" : Node.Name;

    public virtual int DataInputs => Node.Input.Count;

    /// <summary>Data inputs that hold statistics rather than weights: not trained unless asked for by name.</summary>
    public virtual IReadOnlyList<int> StatisticInputs => [];

    public abstract GraphTensor[] Forward(GraphTensor?[] inputs, OpContext context);

    /// <summary>Gradients of the data inputs flagged in <paramref name="needed"/>; null elsewhere.</summary>
    public abstract GraphTensor?[] Backward(GraphTensor?[] inputs, GraphTensor[] outputs, GraphTensor[] outputGradients, object? saved, bool[] needed, OpContext context);

    protected GraphExecutionException Failure(string message) => new($"node '{Name}' ({Node.OpType}): {message}");

    protected static GraphTensor Required(GraphTensor? tensor, string what) =>
        tensor ?? throw new GraphExecutionException($"missing input {what}");
}

/// <summary>Reads node attributes with ONNX defaults.</summary>
internal static class NodeAttributes
{
    public static long Int(NodeProto node, string name, long fallback) =>
        Find(node, name) is { } a ? a.I : fallback;

    public static float Float(NodeProto node, string name, float fallback) =>
        Find(node, name) is { } a ? a.F : fallback;

    public static string String(NodeProto node, string name, string fallback) =>
        Find(node, name) is { } a ? a.S.ToStringUtf8() : fallback;

    public static long[]? Ints(NodeProto node, string name) =>
        Find(node, name) is { } a ? a.Ints.ToArray() : null;

    private static AttributeProto? Find(NodeProto node, string name) => node.Attribute.FirstOrDefault(a => a.Name == name);
}
