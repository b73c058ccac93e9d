using System.Numerics.Tensors;
using FleetQuant.Compression.Onnx;

namespace FleetQuant.Compression.Training.Graph.Ops;

/// <summary>
/// MaxPool and AveragePool over 2-D windows; each (sample, channel) plane is one task. MaxPool routes the gradient
/// to the first maximum of each window; AveragePool spreads it over the window (padding counted only with
/// <c>count_include_pad</c>).
/// </summary>
internal sealed class PoolOp(NodeProto node) : TrainableOp(node)
{
    private readonly bool _max = node.OpType == "MaxPool";
    private readonly bool _countPads = NodeAttributes.Int(node, "count_include_pad", 0) != 0;
    private readonly long[] _kernel = NodeAttributes.Ints(node, "kernel_shape") ?? [];

    private sealed record Saved(int[] ArgMax, Window2D Window);

    public override GraphTensor[] Forward(GraphTensor?[] inputs, OpContext context)
    {
        var x = Required(inputs[0], "X");
        var window = Geometry(x);
        var (n, c, h, w) = (x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]);
        var (oh, ow) = (window.OutputH(h), window.OutputW(w));
        var y = new GraphTensor([n, c, oh, ow]);
        var argMax = _max ? new int[y.Length] : [];
        FixedPartitions.For(n * c, (long)oh * ow * window.KernelH * window.KernelW, (start, end) =>
        {
            for (var p = start; p < end; p++)
            {
                var source = p * h * w;
                for (var yo = 0; yo < oh; yo++)
                {
                    for (var xo = 0; xo < ow; xo++)
                    {
                        var index = (p * oh + yo) * ow + xo;
                        var best = float.NegativeInfinity;
                        var bestAt = -1;
                        var sum = 0f;
                        var count = 0;
                        for (var kh = 0; kh < window.KernelH; kh++)
                        {
                            var ih = yo * window.StrideH + kh * window.DilationH - window.PadTop;
                            for (var kw = 0; kw < window.KernelW; kw++)
                            {
                                var iw = xo * window.StrideW + kw * window.DilationW - window.PadLeft;
                                if (ih < 0 || ih >= h || iw < 0 || iw >= w)
                                {
                                    count += _countPads && InsidePads(ih, iw, h, w, window) ? 1 : 0;
                                    continue;
                                }
                                var v = x.Data[source + ih * w + iw];
                                sum += v;
                                count++;
                                if (v > best || bestAt < 0)
                                {
                                    best = v;
                                    bestAt = source + ih * w + iw;
                                }
                            }
                        }
                        if (_max)
                        {
                            y.Data[index] = best;
                            argMax[index] = bestAt;
                        }
                        else
                        {
                            y.Data[index] = count == 0 ? 0f : sum / count;
                        }
                    }
                }
            }
        });
        context.AddFlops((long)y.Length * window.KernelH * window.KernelW);
        context.Saved = new Saved(argMax, window);
        return [y];
    }

    public override GraphTensor?[] Backward(GraphTensor?[] inputs, GraphTensor[] outputs, GraphTensor[] outputGradients, object? saved, bool[] needed, OpContext context)
    {
        var x = inputs[0]!;
        var (argMax, window) = (Saved)saved!;
        var g = outputGradients[0].Data;
        var (n, c, h, w) = (x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]);
        var (oh, ow) = (window.OutputH(h), window.OutputW(w));
        var dx = new GraphTensor(x.Shape);
        FixedPartitions.For(n * c, (long)oh * ow * window.KernelH * window.KernelW, (start, end) =>
        {
            for (var p = start; p < end; p++)
            {
                var source = p * h * w;
                for (var index = p * oh * ow; index < (p + 1) * oh * ow; index++)
                {
                    if (_max)
                    {
                        if (argMax[index] >= 0)
                        {
                            dx.Data[argMax[index]] += g[index];
                        }
                        continue;
                    }
                    var (yo, xo) = (index / ow % oh, index % ow);
                    var divisor = WindowCount(yo, xo, h, w, window);
                    if (divisor == 0)
                    {
                        continue;
                    }
                    var share = g[index] / divisor;
                    for (var kh = 0; kh < window.KernelH; kh++)
                    {
                        var ih = yo * window.StrideH + kh * window.DilationH - window.PadTop;
                        for (var kw = 0; kw < window.KernelW; kw++)
                        {
                            var iw = xo * window.StrideW + kw * window.DilationW - window.PadLeft;
                            if (ih >= 0 && ih < h && iw >= 0 && iw < w)
                            {
                                dx.Data[source + ih * w + iw] += share;
                            }
                        }
                    }
                }
            }
        });
        return [dx];
    }

    /// <summary>The divisor of one average: the window's cells inside the image, plus its cells in the pads with count_include_pad.</summary>
    private int WindowCount(int yo, int xo, int h, int w, Window2D window)
    {
        var count = 0;
        for (var kh = 0; kh < window.KernelH; kh++)
        {
            var ih = yo * window.StrideH + kh * window.DilationH - window.PadTop;
            for (var kw = 0; kw < window.KernelW; kw++)
            {
                var iw = xo * window.StrideW + kw * window.DilationW - window.PadLeft;
                var inside = ih >= 0 && ih < h && iw >= 0 && iw < w;
                count += inside || (_countPads && InsidePads(ih, iw, h, w, window)) ? 1 : 0;
            }
        }
        return count;
    }

    /// <summary>Whether a position outside the image lies in the explicit pads (ceil_mode's overhang does not count).</summary>
    private static bool InsidePads(int ih, int iw, int h, int w, Window2D window) =>
        ih >= -window.PadTop && ih < h + window.PadBottom && iw >= -window.PadLeft && iw < w + window.PadRight;

    private Window2D Geometry(GraphTensor x)
    {
        if (x.Rank != 4 || _kernel.Length != 2)
        {
            throw Failure($"only 2-D pooling (rank-4 input, 2-D kernel_shape) is supported, got {x.DescribeShape()}");
        }
        var window = Window2D.Read(Node, (int)_kernel[0], (int)_kernel[1], x.Shape[2], x.Shape[3], Failure);
        return window.OutputH(x.Shape[2]) > 0 && window.OutputW(x.Shape[3]) > 0
            ? window
            : throw Failure($"the window does not fit in {x.DescribeShape()}");
    }
}

/// <summary>GlobalAveragePool: [N, C, …] to [N, C, 1, …], the mean of each plane.</summary>
internal sealed class GlobalAveragePoolOp(NodeProto node) : TrainableOp(node)
{
    public override GraphTensor[] Forward(GraphTensor?[] inputs, OpContext context)
    {
        var x = Required(inputs[0], "X");
        if (x.Rank < 3)
        {
            throw Failure($"expects [N, C, spatial…], got {x.DescribeShape()}");
        }
        var planes = x.Shape[0] * x.Shape[1];
        var size = x.Length / Math.Max(1, planes);
        var shape = x.Shape.Select((d, i) => i < 2 ? d : 1).ToArray();
        var y = new GraphTensor(shape);
        for (var p = 0; p < planes; p++)
        {
            y.Data[p] = TensorPrimitives.Sum(x.Data.AsSpan(p * size, size)) / size;
        }
        context.AddFlops(x.Length);
        return [y];
    }

    public override GraphTensor?[] Backward(GraphTensor?[] inputs, GraphTensor[] outputs, GraphTensor[] outputGradients, object? saved, bool[] needed, OpContext context)
    {
        var x = inputs[0]!;
        var planes = x.Shape[0] * x.Shape[1];
        var size = x.Length / Math.Max(1, planes);
        var dx = new GraphTensor(x.Shape);
        for (var p = 0; p < planes; p++)
        {
            dx.Data.AsSpan(p * size, size).Fill(outputGradients[0].Data[p] / size);
        }
        return [dx];
    }
}
