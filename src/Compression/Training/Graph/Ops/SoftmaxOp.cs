using System.Numerics.Tensors;
using FleetQuant.Compression.Onnx;

namespace FleetQuant.Compression.Training.Graph.Ops;

/// <summary>
/// Softmax and LogSoftmax. From opset 13 they normalise along one axis (default −1); before, over all axes from
/// <c>axis</c> (default 1) on, the input read as a 2-D matrix.
/// </summary>
internal sealed class SoftmaxOp(NodeProto node, long opset) : TrainableOp(node)
{
    private readonly long _axis = NodeAttributes.Int(node, "axis", opset >= 13 ? -1 : 1);
    private readonly bool _log = node.OpType == "LogSoftmax";

    public override GraphTensor[] Forward(GraphTensor?[] inputs, OpContext context)
    {
        var x = Required(inputs[0], "input");
        var (outer, length, inner) = Layout(x.Shape);
        var y = new float[x.Length];
        var row = new float[length];
        for (var o = 0; o < outer; o++)
        {
            for (var i = 0; i < inner; i++)
            {
                var start = o * length * inner + i;
                Gather(x.Data, start, inner, row);
                var max = TensorPrimitives.Max(row);
                TensorPrimitives.Subtract(row, max, row);
                if (_log)
                {
                    var logSum = MathF.Log(SumExp(row));
                    TensorPrimitives.Subtract(row, logSum, row);
                }
                else
                {
                    TensorPrimitives.Exp(row, row);
                    TensorPrimitives.Divide(row, TensorPrimitives.Sum(row), row);
                }
                Scatter(row, y, start, inner);
            }
        }
        context.AddFlops(4L * x.Length);
        return [new GraphTensor(x.Shape, y)];
    }

    public override GraphTensor?[] Backward(GraphTensor?[] inputs, GraphTensor[] outputs, GraphTensor[] outputGradients, object? saved, bool[] needed, OpContext context)
    {
        var y = outputs[0];
        var g = outputGradients[0];
        var (outer, length, inner) = Layout(y.Shape);
        var dx = new float[y.Length];
        var yRow = new float[length];
        var gRow = new float[length];
        for (var o = 0; o < outer; o++)
        {
            for (var i = 0; i < inner; i++)
            {
                var start = o * length * inner + i;
                Gather(y.Data, start, inner, yRow);
                Gather(g.Data, start, inner, gRow);
                if (_log)
                {
                    // d/dx log softmax: g − softmax · Σg
                    var sum = TensorPrimitives.Sum(gRow);
                    TensorPrimitives.Exp(yRow, yRow);
                    TensorPrimitives.MultiplyAdd(yRow, -sum, gRow, gRow);
                }
                else
                {
                    // d/dx softmax: y ⊙ (g − Σ g·y)
                    var dot = TensorPrimitives.Dot(gRow, yRow);
                    TensorPrimitives.Subtract(gRow, dot, gRow);
                    TensorPrimitives.Multiply(gRow, yRow, gRow);
                }
                Scatter(gRow, dx, start, inner);
            }
        }
        return [new GraphTensor(y.Shape, dx)];
    }

    private static float SumExp(float[] shifted)
    {
        var sum = 0f;
        foreach (var v in shifted)
        {
            sum += MathF.Exp(v);
        }
        return sum;
    }

    private (int Outer, int Length, int Inner) Layout(int[] shape)
    {
        var axis = (int)(_axis < 0 ? _axis + shape.Length : _axis);
        if (axis < 0 || axis >= shape.Length)
        {
            throw Failure($"axis {_axis} is outside a rank-{shape.Length} input");
        }
        var outer = GraphTensor.ElementCount(shape.AsSpan(0, axis));
        return opset >= 13
            ? (outer, shape[axis], GraphTensor.ElementCount(shape.AsSpan(axis + 1)))
            : (outer, GraphTensor.ElementCount(shape.AsSpan(axis)), 1);
    }

    private static void Gather(float[] source, int start, int stride, float[] row)
    {
        if (stride == 1)
        {
            source.AsSpan(start, row.Length).CopyTo(row);
            return;
        }
        for (var j = 0; j < row.Length; j++)
        {
            row[j] = source[start + j * stride];
        }
    }

    private static void Scatter(float[] row, float[] destination, int start, int stride)
    {
        if (stride == 1)
        {
            row.CopyTo(destination.AsSpan(start));
            return;
        }
        for (var j = 0; j < row.Length; j++)
        {
            destination[start + j * stride] = row[j];
        }
    }
}
