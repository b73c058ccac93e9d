using System.Numerics.Tensors;
using FleetQuant.Compression.Onnx;

namespace FleetQuant.Compression.Training.Graph.Ops;

/// <summary>Gemm: Y = alpha · op(A) · op(B) + beta · C, with C broadcast to [M, N].</summary>
internal sealed class GemmOp(NodeProto node) : TrainableOp(node)
{
    private readonly float _alpha = NodeAttributes.Float(node, "alpha", 1f);
    private readonly float _beta = NodeAttributes.Float(node, "beta", 1f);
    private readonly bool _transA = NodeAttributes.Int(node, "transA", 0) != 0;
    private readonly bool _transB = NodeAttributes.Int(node, "transB", 0) != 0;

    public override GraphTensor[] Forward(GraphTensor?[] inputs, OpContext context)
    {
        var a = Required(inputs[0], "A");
        var b = Required(inputs[1], "B");
        if (a.Rank != 2 || b.Rank != 2)
        {
            throw Failure($"Gemm takes 2-D operands, got {a.DescribeShape()} and {b.DescribeShape()}");
        }
        var (m, k) = _transA ? (a.Shape[1], a.Shape[0]) : (a.Shape[0], a.Shape[1]);
        var (kb, n) = _transB ? (b.Shape[1], b.Shape[0]) : (b.Shape[0], b.Shape[1]);
        if (k != kb)
        {
            throw Failure($"inner sizes differ: {a.DescribeShape()} and {b.DescribeShape()} (transA {_transA}, transB {_transB})");
        }
        var y = new GraphTensor([m, n]);
        var opA = _transA ? GemmKernels.Transpose(a.Data, 0, k, m) : a.Data;
        if (_transB)
        {
            GemmKernels.MultiplyNT(opA, 0, b.Data, 0, y.Data, 0, m, k, n, _alpha);
        }
        else
        {
            GemmKernels.MultiplyNN(opA, 0, b.Data, 0, y.Data, 0, m, k, n, _alpha);
        }
        if (inputs.Length > 2 && inputs[2] is { } c && _beta != 0f)
        {
            var bias = Broadcast.Expand(c, y.Shape);
            TensorPrimitives.MultiplyAdd(bias, _beta, y.Data, y.Data);
        }
        context.AddFlops(2L * m * n * k);
        return [y];
    }

    public override GraphTensor?[] Backward(GraphTensor?[] inputs, GraphTensor[] outputs, GraphTensor[] outputGradients, object? saved, bool[] needed, OpContext context)
    {
        var a = inputs[0]!;
        var b = inputs[1]!;
        var g = outputGradients[0];
        var (m, n) = (g.Shape[0], g.Shape[1]);
        var k = _transA ? a.Shape[0] : a.Shape[1];
        var result = new GraphTensor?[inputs.Length];
        if (needed[0])
        {
            // d op(A) = alpha · dY · op(B)ᵀ, an [M, K] matrix.
            var dOpA = new float[m * k];
            if (_transB)
            {
                GemmKernels.MultiplyNN(g.Data, 0, b.Data, 0, dOpA, 0, m, n, k, _alpha);
            }
            else
            {
                GemmKernels.MultiplyNT(g.Data, 0, b.Data, 0, dOpA, 0, m, n, k, _alpha);
            }
            result[0] = new GraphTensor(a.Shape, _transA ? GemmKernels.Transpose(dOpA, 0, m, k) : dOpA);
            context.AddFlops(2L * m * n * k);
        }
        if (needed[1])
        {
            var db = new float[k * n];
            if (_transB)
            {
                // dB = alpha · dYᵀ · op(A), stored [N, K].
                var opA = _transA ? GemmKernels.Transpose(a.Data, 0, k, m) : a.Data;
                GemmKernels.MultiplyNN(GemmKernels.Transpose(g.Data, 0, m, n), 0, opA, 0, db, 0, n, m, k, _alpha);
            }
            else
            {
                // dB = alpha · op(A)ᵀ · dY, stored [K, N].
                var opAT = _transA ? a.Data : GemmKernels.Transpose(a.Data, 0, m, k);
                GemmKernels.MultiplyNN(opAT, 0, g.Data, 0, db, 0, k, m, n, _alpha);
            }
            result[1] = new GraphTensor(b.Shape, db);
            context.AddFlops(2L * m * n * k);
        }
        if (inputs.Length > 2 && inputs[2] is { } c && needed[2])
        {
            var dc = Broadcast.Reduce(g.Data, g.Shape, c.Shape);
            if (_beta != 1f)
            {
                var scaled = new float[dc.Length];
                TensorPrimitives.Multiply(dc.Data, _beta, scaled);
                dc = new GraphTensor(c.Shape, scaled);
            }
            result[2] = dc;
        }
        return result;
    }
}

/// <summary>
/// MatMul of A [..., M, K] with a 2-D B [K, N] (leading axes of A fold into M), or with B [..., K, N] of the same
/// leading axes (batched).
/// </summary>
internal sealed class MatMulOp(NodeProto node) : TrainableOp(node)
{
    public override GraphTensor[] Forward(GraphTensor?[] inputs, OpContext context)
    {
        var a = Required(inputs[0], "A");
        var b = Required(inputs[1], "B");
        var (batches, m, k, n) = Dimensions(a, b);
        var shape = a.Shape[..^1].Append(n).ToArray();
        var y = new GraphTensor(shape);
        for (var i = 0; i < batches; i++)
        {
            GemmKernels.MultiplyNN(a.Data, i * m * k, b.Data, b.Rank == 2 ? 0 : i * k * n, y.Data, i * m * n, m, k, n);
        }
        context.AddFlops(2L * batches * m * n * k);
        return [y];
    }

    public override GraphTensor?[] Backward(GraphTensor?[] inputs, GraphTensor[] outputs, GraphTensor[] outputGradients, object? saved, bool[] needed, OpContext context)
    {
        var a = inputs[0]!;
        var b = inputs[1]!;
        var g = outputGradients[0].Data;
        var (batches, m, k, n) = Dimensions(a, b);
        var da = needed[0] ? new float[a.Length] : null;
        var db = needed[1] ? new float[b.Length] : null;
        for (var i = 0; i < batches; i++)
        {
            var bOffset = b.Rank == 2 ? 0 : i * k * n;
            if (da is not null)
            {
                // dA = dY · Bᵀ
                GemmKernels.MultiplyNT(g, i * m * n, b.Data, bOffset, da, i * m * k, m, n, k);
            }
            if (db is not null)
            {
                // dB = Aᵀ · dY, summed over the folded batch in order when B is shared.
                GemmKernels.MultiplyNN(GemmKernels.Transpose(a.Data, i * m * k, m, k), 0, g, i * m * n, db, bOffset, k, m, n, accumulate: true);
            }
        }
        context.AddFlops(2L * batches * m * n * k * ((da is null ? 0 : 1) + (db is null ? 0 : 1)));
        return [da is null ? null : new GraphTensor(a.Shape, da), db is null ? null : new GraphTensor(b.Shape, db)];
    }

    private (int Batches, int M, int K, int N) Dimensions(GraphTensor a, GraphTensor b)
    {
        if (a.Rank < 2 || b.Rank < 2)
        {
            throw Failure($"1-D MatMul operands are not supported, got {a.DescribeShape()} and {b.DescribeShape()}");
        }
        var k = a.Shape[^1];
        if (b.Shape[^2] != k)
        {
            throw Failure($"inner sizes differ: {a.DescribeShape()} and {b.DescribeShape()}");
        }
        if (b.Rank == 2)
        {
            // Folding A's leading axes into rows makes one large product instead of many small ones.
            return (1, a.Length / k, k, b.Shape[1]);
        }
        if (!a.Shape.AsSpan(0, a.Rank - 2).SequenceEqual(b.Shape.AsSpan(0, b.Rank - 2)) || a.Rank != b.Rank)
        {
            throw Failure($"batched MatMul needs equal leading axes, got {a.DescribeShape()} and {b.DescribeShape()}");
        }
        var m = a.Shape[^2];
        return (a.Length / (m * k), m, k, b.Shape[^1]);
    }
}
