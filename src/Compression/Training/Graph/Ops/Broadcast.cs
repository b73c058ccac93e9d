namespace FleetQuant.Compression.Training.Graph.Ops;

/// <summary>ONNX multidirectional broadcasting: expanding an operand to the output shape and reducing a gradient back.</summary>
internal static class Broadcast
{
    public static int[] Shape(int[] a, int[] b)
    {
        var rank = Math.Max(a.Length, b.Length);
        var shape = new int[rank];
        for (var i = 0; i < rank; i++)
        {
            var da = i - (rank - a.Length) >= 0 ? a[i - (rank - a.Length)] : 1;
            var db = i - (rank - b.Length) >= 0 ? b[i - (rank - b.Length)] : 1;
            if (da != db && da != 1 && db != 1)
            {
                throw new GraphExecutionException($"shapes [{string.Join(",", a)}] and [{string.Join(",", b)}] do not broadcast");
            }
            shape[i] = da == 1 ? db : da;
        }
        return shape;
    }

    /// <summary>The operand's values laid out in <paramref name="shape"/> (the operand itself when it already is).</summary>
    public static float[] Expand(GraphTensor operand, int[] shape)
    {
        if (operand.Shape.AsSpan().SequenceEqual(shape))
        {
            return operand.Data;
        }
        var result = new float[GraphTensor.ElementCount(shape)];
        if (TrailingBlock(operand.Shape, shape) is { } block)
        {
            // The common bias case: the operand repeats whole along the leading axes.
            for (var offset = 0; offset < result.Length; offset += block)
            {
                operand.Data.CopyTo(result.AsSpan(offset, block));
            }
            return result;
        }
        var map = IndexMap(operand.Shape, shape);
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = operand.Data[map[i]];
        }
        return result;
    }

    /// <summary>Sums a gradient of <paramref name="shape"/> over the axes <paramref name="target"/> was broadcast along, in index order.</summary>
    public static GraphTensor Reduce(float[] gradient, int[] shape, int[] target)
    {
        if (target.AsSpan().SequenceEqual(shape))
        {
            return new GraphTensor(target, gradient);
        }
        var result = new float[GraphTensor.ElementCount(target)];
        if (TrailingBlock(target, shape) is { } block)
        {
            for (var offset = 0; offset < gradient.Length; offset += block)
            {
                System.Numerics.Tensors.TensorPrimitives.Add(result, gradient.AsSpan(offset, block), result);
            }
            return new GraphTensor(target, result);
        }
        var map = IndexMap(target, shape);
        for (var i = 0; i < gradient.Length; i++)
        {
            result[map[i]] += gradient[i];
        }
        return new GraphTensor(target, result);
    }

    /// <summary>The operand's length when it equals the trailing axes of <paramref name="shape"/> (leading ones of size 1 aside).</summary>
    private static int? TrailingBlock(int[] operand, int[] shape)
    {
        var trimmed = operand.AsSpan();
        while (trimmed.Length > 0 && trimmed[0] == 1)
        {
            trimmed = trimmed[1..];
        }
        if (trimmed.Length > shape.Length || !shape.AsSpan(shape.Length - trimmed.Length).SequenceEqual(trimmed))
        {
            return null;
        }
        var block = GraphTensor.ElementCount(trimmed);
        return block == 0 ? null : block;
    }

    /// <summary>For each flat index of <paramref name="shape"/>, the flat index of the operand element it reads.</summary>
    private static int[] IndexMap(int[] operand, int[] shape)
    {
        var rank = shape.Length;
        var strides = new int[rank];
        var stride = 1;
        for (var i = rank - 1; i >= 0; i--)
        {
            var o = i - (rank - operand.Length);
            var d = o >= 0 ? operand[o] : 1;
            strides[i] = d == 1 ? 0 : stride;
            stride *= d;
        }
        return StridedIndexMap(shape, strides);
    }

    /// <summary>
    /// For each flat (row-major) index of <paramref name="shape"/>, the flat index reached by stepping
    /// <paramref name="strides"/> along its axes: a broadcast when some strides are 0, a transpose when they are permuted.
    /// </summary>
    internal static int[] StridedIndexMap(int[] shape, int[] strides)
    {
        var rank = shape.Length;
        var map = new int[GraphTensor.ElementCount(shape)];
        var counter = new int[rank];
        var index = 0;
        for (var flat = 0; flat < map.Length; flat++)
        {
            map[flat] = index;
            for (var axis = rank - 1; axis >= 0; axis--)
            {
                counter[axis]++;
                index += strides[axis];
                if (counter[axis] < shape[axis])
                {
                    break;
                }
                index -= strides[axis] * counter[axis];
                counter[axis] = 0;
            }
        }
        return map;
    }
}
