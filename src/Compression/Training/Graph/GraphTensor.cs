namespace FleetQuant.Compression.Training.Graph;

/// <summary>A dense row-major float32 tensor: the only value type the graph trainer computes with.</summary>
public sealed class GraphTensor
{
    public GraphTensor(int[] shape, float[] data)
    {
        var count = ElementCount(shape);
        if (data.Length != count)
        {
            throw new ArgumentException($"shape [{string.Join(",", shape)}] holds {count} values, got {data.Length}", nameof(data));
        }
        Shape = shape;
        Data = data;
    }

    public GraphTensor(int[] shape)
        : this(shape, new float[ElementCount(shape)])
    {
    }

    public int[] Shape { get; }

    public float[] Data { get; }

    public int Rank => Shape.Length;

    public int Length => Data.Length;

    public static int ElementCount(ReadOnlySpan<int> shape)
    {
        var count = 1;
        foreach (var d in shape)
        {
            if (d < 0)
            {
                throw new ArgumentException($"negative dimension {d}", nameof(shape));
            }
            count = checked(count * d);
        }
        return count;
    }

    public GraphTensor Reshaped(int[] shape) => new(shape, Data);

    public string DescribeShape() => $"[{string.Join(",", Shape)}]";
}
