using FleetQuant.Compression.Onnx;

namespace FleetQuant.Compression.Training.Graph.Ops;

/// <summary>Flatten and Reshape: same values, new shape; the gradient takes the input's shape back.</summary>
internal sealed class ReshapeOp : TrainableOp
{
    private readonly long[]? _target;
    private readonly long _axis;

    /// <summary><paramref name="target"/> is Reshape's constant shape input; null for Flatten.</summary>
    public ReshapeOp(NodeProto node, long[]? target)
        : base(node)
    {
        _target = target;
        _axis = NodeAttributes.Int(node, "axis", 1);
    }

    public override int DataInputs => 1;

    public override GraphTensor[] Forward(GraphTensor?[] inputs, OpContext context)
    {
        var x = Required(inputs[0], "data");
        return [x.Reshaped(_target is null ? Flattened(x.Shape) : Reshaped(x))];
    }

    public override GraphTensor?[] Backward(GraphTensor?[] inputs, GraphTensor[] outputs, GraphTensor[] outputGradients, object? saved, bool[] needed, OpContext context) =>
        [outputGradients[0].Reshaped(inputs[0]!.Shape)];

    private int[] Flattened(int[] shape)
    {
        var axis = (int)(_axis < 0 ? _axis + shape.Length : _axis);
        if (axis < 0 || axis > shape.Length)
        {
            throw Failure($"axis {_axis} is outside a rank-{shape.Length} input");
        }
        return [GraphTensor.ElementCount(shape.AsSpan(0, axis)), GraphTensor.ElementCount(shape.AsSpan(axis))];
    }

    private int[] Reshaped(GraphTensor x)
    {
        var shape = new int[_target!.Length];
        var unknown = -1;
        var known = 1;
        for (var i = 0; i < shape.Length; i++)
        {
            var d = _target[i];
            if (d == -1)
            {
                unknown = unknown < 0 ? i : throw Failure("more than one -1 in the shape");
                continue;
            }
            // 0 copies the input's dimension (allowzero = 0, the default).
            shape[i] = d == 0 ? (i < x.Rank ? x.Shape[i] : throw Failure($"0 at axis {i} has no input axis to copy")) : checked((int)d);
            known *= shape[i];
        }
        if (unknown >= 0)
        {
            shape[unknown] = known == 0 || x.Length % known != 0 ? throw Failure($"cannot reshape {x.DescribeShape()} to [{string.Join(",", _target)}]") : x.Length / known;
        }
        return GraphTensor.ElementCount(shape) == x.Length ? shape : throw Failure($"cannot reshape {x.DescribeShape()} to [{string.Join(",", _target)}]");
    }
}

/// <summary>Transpose by <c>perm</c> (reversed axes by default); the gradient is the inverse permutation.</summary>
internal sealed class TransposeOp(NodeProto node) : TrainableOp(node)
{
    private readonly long[]? _perm = NodeAttributes.Ints(node, "perm");

    public override GraphTensor[] Forward(GraphTensor?[] inputs, OpContext context)
    {
        var x = Required(inputs[0], "data");
        return [Permute(x, Permutation(x.Rank))];
    }

    public override GraphTensor?[] Backward(GraphTensor?[] inputs, GraphTensor[] outputs, GraphTensor[] outputGradients, object? saved, bool[] needed, OpContext context)
    {
        var perm = Permutation(inputs[0]!.Rank);
        var inverse = new int[perm.Length];
        for (var i = 0; i < perm.Length; i++)
        {
            inverse[perm[i]] = i;
        }
        return [Permute(outputGradients[0], inverse)];
    }

    private int[] Permutation(int rank)
    {
        var perm = _perm?.Select(p => (int)p).ToArray() ?? Enumerable.Range(0, rank).Reverse().ToArray();
        if (perm.Length != rank || perm.Order().Where((p, i) => p != i).Any())
        {
            throw Failure($"perm [{string.Join(",", perm)}] is not a permutation of {rank} axes");
        }
        return perm;
    }

    private static GraphTensor Permute(GraphTensor x, int[] perm)
    {
        var rank = x.Rank;
        var inStrides = new int[rank];
        var stride = 1;
        for (var i = rank - 1; i >= 0; i--)
        {
            inStrides[i] = stride;
            stride *= x.Shape[i];
        }
        var shape = perm.Select(p => x.Shape[p]).ToArray();
        var strides = perm.Select(p => inStrides[p]).ToArray();
        var y = new GraphTensor(shape);
        var map = Broadcast.StridedIndexMap(shape, strides);
        for (var flat = 0; flat < y.Length; flat++)
        {
            y.Data[flat] = x.Data[map[flat]];
        }
        return y;
    }
}

/// <summary>Concat along <c>axis</c>; the gradient is split back into the inputs' slices.</summary>
internal sealed class ConcatOp(NodeProto node) : TrainableOp(node)
{
    private readonly long _axis = NodeAttributes.Int(node, "axis", 0);

    public override GraphTensor[] Forward(GraphTensor?[] inputs, OpContext context)
    {
        var parts = inputs.Select((t, i) => Required(t, $"#{i}")).ToArray();
        var axis = Axis(parts[0].Rank);
        var shape = (int[])parts[0].Shape.Clone();
        shape[axis] = 0;
        foreach (var part in parts)
        {
            if (part.Rank != shape.Length || Enumerable.Range(0, shape.Length).Any(i => i != axis && part.Shape[i] != parts[0].Shape[i]))
            {
                throw Failure($"cannot concatenate {parts[0].DescribeShape()} and {part.DescribeShape()} along axis {axis}");
            }
            shape[axis] += part.Shape[axis];
        }
        var y = new GraphTensor(shape);
        var outer = GraphTensor.ElementCount(shape.AsSpan(0, axis));
        var rowLength = y.Length / Math.Max(1, outer);
        var offset = 0;
        foreach (var part in parts)
        {
            var block = part.Length / Math.Max(1, outer);
            for (var o = 0; o < outer; o++)
            {
                part.Data.AsSpan(o * block, block).CopyTo(y.Data.AsSpan(o * rowLength + offset));
            }
            offset += block;
        }
        return [y];
    }

    public override GraphTensor?[] Backward(GraphTensor?[] inputs, GraphTensor[] outputs, GraphTensor[] outputGradients, object? saved, bool[] needed, OpContext context)
    {
        var g = outputGradients[0];
        var axis = Axis(g.Rank);
        var outer = GraphTensor.ElementCount(g.Shape.AsSpan(0, axis));
        var rowLength = g.Length / Math.Max(1, outer);
        var result = new GraphTensor?[inputs.Length];
        var offset = 0;
        for (var i = 0; i < inputs.Length; i++)
        {
            var part = inputs[i]!;
            var block = part.Length / Math.Max(1, outer);
            if (needed[i])
            {
                var d = new GraphTensor(part.Shape);
                for (var o = 0; o < outer; o++)
                {
                    g.Data.AsSpan(o * rowLength + offset, block).CopyTo(d.Data.AsSpan(o * block));
                }
                result[i] = d;
            }
            offset += block;
        }
        return result;
    }

    private int Axis(int rank)
    {
        var axis = (int)(_axis < 0 ? _axis + rank : _axis);
        return axis >= 0 && axis < rank ? axis : throw Failure($"axis {_axis} is outside a rank-{rank} input");
    }
}
