using System.Numerics;
using System.Numerics.Tensors;
using FleetQuant.Compression.Onnx;

namespace FleetQuant.Compression.Training.Graph.Ops;

/// <summary>Add, Sub and Mul with broadcasting; gradients are reduced back over the broadcast axes.</summary>
internal sealed class BinaryOp(NodeProto node) : TrainableOp(node)
{
    public override GraphTensor[] Forward(GraphTensor?[] inputs, OpContext context)
    {
        var a = Required(inputs[0], "A");
        var b = Required(inputs[1], "B");
        var shape = Broadcast.Shape(a.Shape, b.Shape);
        var x = Broadcast.Expand(a, shape);
        var y = Broadcast.Expand(b, shape);
        var result = new float[x.Length];
        switch (Node.OpType)
        {
            case "Add":
                TensorPrimitives.Add(x, y, result);
                break;
            case "Sub":
                TensorPrimitives.Subtract(x, y, result);
                break;
            default:
                TensorPrimitives.Multiply(x, y, result);
                break;
        }
        context.AddFlops(result.Length);
        return [new GraphTensor(shape, result)];
    }

    public override GraphTensor?[] Backward(GraphTensor?[] inputs, GraphTensor[] outputs, GraphTensor[] outputGradients, object? saved, bool[] needed, OpContext context)
    {
        var a = inputs[0]!;
        var b = inputs[1]!;
        var g = outputGradients[0];
        var shape = g.Shape;
        GraphTensor? da = null;
        GraphTensor? db = null;
        if (Node.OpType == "Mul")
        {
            if (needed[0])
            {
                var product = new float[g.Length];
                TensorPrimitives.Multiply(g.Data, Broadcast.Expand(b, shape), product);
                da = Broadcast.Reduce(product, shape, a.Shape);
            }
            if (needed[1])
            {
                var product = new float[g.Length];
                TensorPrimitives.Multiply(g.Data, Broadcast.Expand(a, shape), product);
                db = Broadcast.Reduce(product, shape, b.Shape);
            }
            return [da, db];
        }
        if (needed[0])
        {
            da = Broadcast.Reduce(g.Data, shape, a.Shape);
        }
        if (needed[1])
        {
            var source = g.Data;
            if (Node.OpType == "Sub")
            {
                source = new float[g.Length];
                TensorPrimitives.Negate(g.Data, source);
            }
            db = Broadcast.Reduce(source, shape, b.Shape);
        }
        return [da, db];
    }
}

/// <summary>Relu, LeakyRelu, Sigmoid, Tanh and Identity: one value in, one out.</summary>
internal sealed class UnaryOp(NodeProto node) : TrainableOp(node)
{
    private readonly float _alpha = NodeAttributes.Float(node, "alpha", 0.01f);

    public override GraphTensor[] Forward(GraphTensor?[] inputs, OpContext context)
    {
        var x = Required(inputs[0], "X");
        if (Node.OpType == "Identity")
        {
            return [x];
        }
        var y = new float[x.Length];
        switch (Node.OpType)
        {
            case "Relu":
                TensorPrimitives.Max(x.Data, 0f, y);
                break;
            case "Sigmoid":
                TensorPrimitives.Sigmoid(x.Data, y);
                break;
            case "Tanh":
                TensorPrimitives.Tanh(x.Data, y);
                break;
            default:
                for (var i = 0; i < y.Length; i++)
                {
                    var v = x.Data[i];
                    y[i] = v >= 0 ? v : _alpha * v;
                }
                break;
        }
        context.AddFlops(y.Length);
        return [new GraphTensor(x.Shape, y)];
    }

    public override GraphTensor?[] Backward(GraphTensor?[] inputs, GraphTensor[] outputs, GraphTensor[] outputGradients, object? saved, bool[] needed, OpContext context)
    {
        var g = outputGradients[0];
        if (Node.OpType == "Identity")
        {
            return [g];
        }
        var x = inputs[0]!.Data;
        var y = outputs[0].Data;
        var dx = new float[g.Length];
        switch (Node.OpType)
        {
            case "Relu":
                ReluGradient(y, g.Data, dx);
                break;
            case "Sigmoid":
                // σ' = σ (1 − σ)
                TensorPrimitives.Subtract(1f, y, dx);
                TensorPrimitives.Multiply(dx, y, dx);
                TensorPrimitives.Multiply(dx, g.Data, dx);
                break;
            case "Tanh":
                // tanh' = 1 − tanh²
                TensorPrimitives.Multiply(y, y, dx);
                TensorPrimitives.Subtract(1f, dx, dx);
                TensorPrimitives.Multiply(dx, g.Data, dx);
                break;
            default:
                for (var i = 0; i < dx.Length; i++)
                {
                    dx[i] = x[i] >= 0 ? g.Data[i] : _alpha * g.Data[i];
                }
                break;
        }
        return [new GraphTensor(g.Shape, dx)];
    }

    /// <summary>dx = g where the Relu's output is positive, else 0 (SIMD).</summary>
    private static void ReluGradient(float[] y, float[] g, float[] dx)
    {
        var i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i <= dx.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var active = Vector.GreaterThan(new Vector<float>(y, i), Vector<float>.Zero);
                Vector.ConditionalSelect(active, new Vector<float>(g, i), Vector<float>.Zero).CopyTo(dx, i);
            }
        }
        for (; i < dx.Length; i++)
        {
            dx[i] = y[i] > 0 ? g[i] : 0f;
        }
    }
}

/// <summary>
/// Dropout: identity outside training; in training, keeps each value with probability 1 − ratio and scales it by
/// 1 / (1 − ratio), drawing the mask from the run's seeded generator.
/// </summary>
internal sealed class DropoutOp(NodeProto node, float ratio) : TrainableOp(node)
{
    public override int DataInputs => 1;

    public override GraphTensor[] Forward(GraphTensor?[] inputs, OpContext context)
    {
        var x = Required(inputs[0], "data");
        if (!context.Training || ratio == 0f)
        {
            return [x];
        }
        var scale = 1f / (1f - ratio);
        var mask = new float[x.Length];
        for (var i = 0; i < mask.Length; i++)
        {
            mask[i] = context.Random.NextSingle() >= ratio ? scale : 0f;
        }
        var y = new float[x.Length];
        TensorPrimitives.Multiply(x.Data, mask, y);
        context.Saved = mask;
        return [new GraphTensor(x.Shape, y)];
    }

    public override GraphTensor?[] Backward(GraphTensor?[] inputs, GraphTensor[] outputs, GraphTensor[] outputGradients, object? saved, bool[] needed, OpContext context)
    {
        var g = outputGradients[0];
        if (saved is not float[] mask)
        {
            return [g];
        }
        var dx = new float[g.Length];
        TensorPrimitives.Multiply(g.Data, mask, dx);
        return [new GraphTensor(g.Shape, dx)];
    }
}
