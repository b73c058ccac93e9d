namespace FleetQuant.Compression.Training.Graph;

/// <summary>A float initializer of the graph: its values (updated in place by training) and, when trainable, its gradient.</summary>
public sealed class GraphParameter
{
    internal GraphParameter(string name, GraphTensor tensor, bool trainable)
    {
        Name = name;
        Tensor = tensor;
        Trainable = trainable;
        Gradient = trainable ? new float[tensor.Length] : [];
    }

    public string Name { get; }

    public GraphTensor Tensor { get; }

    public float[] Value => Tensor.Data;

    public int[] Shape => Tensor.Shape;

    public bool Trainable { get; }

    /// <summary>Accumulated by <see cref="TrainableGraph.Backward"/>; cleared by <see cref="TrainableGraph.ZeroGradients"/>.</summary>
    public float[] Gradient { get; }

    /// <summary>Weight decay applies to matrices and kernels, not to biases, scales and other vectors.</summary>
    public bool Decays => Tensor.Rank >= 2;
}

/// <summary>A graph input the caller feeds: its name and declared dimensions (null where symbolic; no list when the shape is not declared).</summary>
public sealed record GraphInput(string Name, IReadOnlyList<int?>? Dimensions);
