using System.Buffers;
using System.Numerics.Tensors;
using FleetQuant.Compression.Onnx;

namespace FleetQuant.Compression.Training.Graph.Ops;

/// <summary>Spatial geometry shared by Conv and the pooling ops: kernel, strides, dilations and pads of a 2-D window.</summary>
internal readonly record struct Window2D(int KernelH, int KernelW, int StrideH, int StrideW, int DilationH, int DilationW, int PadTop, int PadLeft, int PadBottom, int PadRight, bool CeilMode)
{
    public static Window2D Read(NodeProto node, int kernelH, int kernelW, int inputH, int inputW, Func<string, GraphExecutionException> failure)
    {
        var strides = NodeAttributes.Ints(node, "strides") ?? [1, 1];
        var dilations = NodeAttributes.Ints(node, "dilations") ?? [1, 1];
        var pads = NodeAttributes.Ints(node, "pads") ?? [0, 0, 0, 0];
        if (strides.Length != 2 || dilations.Length != 2 || pads.Length != 4)
        {
            throw failure("only 2-D windows (strides, dilations of 2 values, pads of 4) are supported");
        }
        var window = new Window2D(kernelH, kernelW, (int)strides[0], (int)strides[1], (int)dilations[0], (int)dilations[1],
            (int)pads[0], (int)pads[1], (int)pads[2], (int)pads[3], NodeAttributes.Int(node, "ceil_mode", 0) != 0);
        var autoPad = NodeAttributes.String(node, "auto_pad", "NOTSET");
        return autoPad switch
        {
            "NOTSET" => window,
            "VALID" => window with { PadTop = 0, PadLeft = 0, PadBottom = 0, PadRight = 0 },
            "SAME_UPPER" or "SAME_LOWER" => window.Same(inputH, inputW, autoPad == "SAME_UPPER"),
            _ => throw failure($"auto_pad '{autoPad}' is not supported"),
        };
    }

    public int OutputH(int inputH) => Output(inputH, KernelH, StrideH, DilationH, PadTop + PadBottom);

    public int OutputW(int inputW) => Output(inputW, KernelW, StrideW, DilationW, PadLeft + PadRight);

    private int Output(int input, int kernel, int stride, int dilation, int pads)
    {
        var span = input + pads - ((kernel - 1) * dilation + 1);
        return (CeilMode ? (span + stride - 1) / stride : span / stride) + 1;
    }

    private Window2D Same(int inputH, int inputW, bool upper)
    {
        var padH = Math.Max(0, ((inputH + StrideH - 1) / StrideH - 1) * StrideH + (KernelH - 1) * DilationH + 1 - inputH);
        var padW = Math.Max(0, ((inputW + StrideW - 1) / StrideW - 1) * StrideW + (KernelW - 1) * DilationW + 1 - inputW);
        var (top, left) = upper ? (padH / 2, padW / 2) : (padH - padH / 2, padW - padW / 2);
        return this with { PadTop = top, PadLeft = left, PadBottom = padH - top, PadRight = padW - left };
    }
}

/// <summary>
/// 2-D Conv (groups, pads, strides, dilations) as im2col + GEMM: per group, the whole batch's patches form one
/// matrix, so the weight gradient is one product whose sums run in a fixed order. The scratch matrices of one call
/// come from the shared array pool (megabytes per batch; fresh ones cost page faults and collections), and every
/// element read from them is written first, so reuse cannot change a result.
/// </summary>
internal sealed class ConvOp(NodeProto node) : TrainableOp(node)
{
    private readonly int _groups = (int)NodeAttributes.Int(node, "group", 1);

    private sealed record Saved(float[][] Columns, Window2D Window, int OutH, int OutW);

    public override GraphTensor[] Forward(GraphTensor?[] inputs, OpContext context)
    {
        var x = Required(inputs[0], "X");
        var w = Required(inputs[1], "W");
        var (n, c, h, wi, m, cg, window, oh, ow) = Geometry(x, w);
        var mg = m / _groups;
        var ckk = cg * window.KernelH * window.KernelW;
        var plane = oh * ow;
        var y = new GraphTensor([n, m, oh, ow]);
        var columns = new float[_groups][];
        var product = ArrayPool<float>.Shared.Rent(mg * n * plane);
        for (var g = 0; g < _groups; g++)
        {
            columns[g] = Im2Col(x, g * cg, cg, window, oh, ow);
            GemmKernels.MultiplyNN(w.Data, g * mg * ckk, columns[g], 0, product, 0, mg, ckk, n * plane);
            // The product is [Mg, N·plane]; the output wants [N, M, plane].
            for (var o = 0; o < mg; o++)
            {
                for (var s = 0; s < n; s++)
                {
                    product.AsSpan((o * n + s) * plane, plane).CopyTo(y.Data.AsSpan((s * m + g * mg + o) * plane));
                }
            }
        }
        ArrayPool<float>.Shared.Return(product);
        if (inputs.Length > 2 && inputs[2] is { } bias)
        {
            for (var s = 0; s < n; s++)
            {
                for (var o = 0; o < m; o++)
                {
                    var row = y.Data.AsSpan((s * m + o) * plane, plane);
                    TensorPrimitives.Add(row, bias.Data[o], row);
                }
            }
        }
        context.AddFlops(2L * n * m * plane * ckk);
        context.Saved = new Saved(columns, window, oh, ow);
        return [y];
    }

    public override GraphTensor?[] Backward(GraphTensor?[] inputs, GraphTensor[] outputs, GraphTensor[] outputGradients, object? saved, bool[] needed, OpContext context)
    {
        var x = inputs[0]!;
        var w = inputs[1]!;
        var (columns, window, oh, ow) = (Saved)saved!;
        var (n, c, _, _, m, cg, _, _, _) = Geometry(x, w);
        var mg = m / _groups;
        var ckk = cg * window.KernelH * window.KernelW;
        var plane = oh * ow;
        var g = outputGradients[0].Data;
        var dx = needed[0] ? new GraphTensor(x.Shape) : null;
        var dw = needed[1] ? new GraphTensor(w.Shape) : null;
        var grouped = ArrayPool<float>.Shared.Rent(mg * n * plane);
        for (var group = 0; group < _groups; group++)
        {
            for (var o = 0; o < mg; o++)
            {
                for (var s = 0; s < n; s++)
                {
                    g.AsSpan((s * m + group * mg + o) * plane, plane).CopyTo(grouped.AsSpan((o * n + s) * plane));
                }
            }
            if (dw is not null)
            {
                // dW_g = dY_g · colsᵀ: one dot product over the whole batch per weight.
                GemmKernels.MultiplyNT(grouped, 0, columns[group], 0, dw.Data, group * mg * ckk, mg, n * plane, ckk);
            }
            if (dx is not null)
            {
                var dColumns = ArrayPool<float>.Shared.Rent(ckk * n * plane);
                GemmKernels.MultiplyNN(GemmKernels.Transpose(w.Data, group * mg * ckk, mg, ckk), 0, grouped, 0, dColumns, 0, ckk, mg, n * plane);
                Col2Im(dColumns, dx, group * cg, cg, window, oh, ow);
                ArrayPool<float>.Shared.Return(dColumns);
            }
        }
        ArrayPool<float>.Shared.Return(grouped);
        context.AddFlops(2L * n * m * plane * ckk * ((dx is null ? 0 : 1) + (dw is null ? 0 : 1)));
        GraphTensor? db = null;
        if (inputs.Length > 2 && inputs[2] is { } bias && needed[2])
        {
            db = new GraphTensor(bias.Shape);
            for (var o = 0; o < m; o++)
            {
                var sum = 0f;
                for (var s = 0; s < n; s++)
                {
                    sum += TensorPrimitives.Sum(g.AsSpan((s * m + o) * plane, plane));
                }
                db.Data[o] = sum;
            }
        }
        return inputs.Length > 2 ? [dx, dw, db] : [dx, dw];
    }

    private (int N, int C, int H, int W, int M, int Cg, Window2D Window, int OutH, int OutW) Geometry(GraphTensor x, GraphTensor w)
    {
        if (x.Rank != 4 || w.Rank != 4)
        {
            throw Failure($"only 2-D convolution (rank-4 X and W) is supported, got {x.DescribeShape()} and {w.DescribeShape()}");
        }
        var (n, c, h, wi) = (x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]);
        var (m, cg) = (w.Shape[0], w.Shape[1]);
        if (_groups <= 0 || c != cg * _groups || m % _groups != 0)
        {
            throw Failure($"X {x.DescribeShape()} and W {w.DescribeShape()} do not agree with group {_groups}");
        }
        var window = Window2D.Read(Node, w.Shape[2], w.Shape[3], h, wi, Failure);
        var (oh, ow) = (window.OutputH(h), window.OutputW(wi));
        if (oh <= 0 || ow <= 0)
        {
            throw Failure($"the kernel does not fit in {x.DescribeShape()}");
        }
        return (n, c, h, wi, m, cg, window, oh, ow);
    }

    /// <summary>
    /// Patches of channels [first, first + count) as a [count·kH·kW, N·outH·outW] matrix; rows in parallel. Not pooled:
    /// the run keeps it for a backward pass that may come at any time, or never.
    /// </summary>
    private static float[] Im2Col(GraphTensor x, int first, int count, Window2D window, int oh, int ow)
    {
        var (n, c, h, wi) = (x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]);
        var kk = window.KernelH * window.KernelW;
        var width = n * oh * ow;
        var columns = new float[count * kk * width];
        FixedPartitions.For(count * kk, width, (start, end) =>
        {
            for (var r = start; r < end; r++)
            {
                var (channel, kernel) = (first + r / kk, r % kk);
                var kh = kernel / window.KernelW * window.DilationH - window.PadTop;
                var kw = kernel % window.KernelW * window.DilationW - window.PadLeft;
                var destination = r * width;
                for (var s = 0; s < n; s++)
                {
                    var source = (s * c + channel) * h * wi;
                    for (var y = 0; y < oh; y++, destination += ow)
                    {
                        var ih = y * window.StrideH + kh;
                        if (ih < 0 || ih >= h)
                        {
                            continue;
                        }
                        if (window.StrideW == 1)
                        {
                            // Unit stride: the valid part of the patch row is one contiguous run of the input row.
                            var (lo, hi) = (Math.Max(0, -kw), Math.Min(ow, wi - kw));
                            if (hi > lo)
                            {
                                x.Data.AsSpan(source + ih * wi + lo + kw, hi - lo).CopyTo(columns.AsSpan(destination + lo));
                            }
                            continue;
                        }
                        for (var xo = 0; xo < ow; xo++)
                        {
                            var iw = xo * window.StrideW + kw;
                            if (iw >= 0 && iw < wi)
                            {
                                columns[destination + xo] = x.Data[source + ih * wi + iw];
                            }
                        }
                    }
                }
            }
        });
        return columns;
    }

    /// <summary>Adds patch gradients back onto the input; each (sample, channel) plane is summed by one task in a fixed order.</summary>
    private static void Col2Im(float[] columns, GraphTensor dx, int first, int count, Window2D window, int oh, int ow)
    {
        var (n, c, h, wi) = (dx.Shape[0], dx.Shape[1], dx.Shape[2], dx.Shape[3]);
        var kk = window.KernelH * window.KernelW;
        var width = n * oh * ow;
        FixedPartitions.For(n * count, (long)kk * oh * ow, (start, end) =>
        {
            for (var p = start; p < end; p++)
            {
                var (s, channel) = (p / count, p % count);
                var target = (s * c + first + channel) * h * wi;
                for (var kernel = 0; kernel < kk; kernel++)
                {
                    var kh = kernel / window.KernelW * window.DilationH - window.PadTop;
                    var kw = kernel % window.KernelW * window.DilationW - window.PadLeft;
                    var source = (channel * kk + kernel) * width + s * oh * ow;
                    for (var y = 0; y < oh; y++, source += ow)
                    {
                        var ih = y * window.StrideH + kh;
                        if (ih < 0 || ih >= h)
                        {
                            continue;
                        }
                        if (window.StrideW == 1)
                        {
                            var (lo, hi) = (Math.Max(0, -kw), Math.Min(ow, wi - kw));
                            if (hi > lo)
                            {
                                var row = dx.Data.AsSpan(target + ih * wi + lo + kw, hi - lo);
                                TensorPrimitives.Add(row, columns.AsSpan(source + lo, hi - lo), row);
                            }
                            continue;
                        }
                        for (var xo = 0; xo < ow; xo++)
                        {
                            var iw = xo * window.StrideW + kw;
                            if (iw >= 0 && iw < wi)
                            {
                                dx.Data[target + ih * wi + iw] += columns[source + xo];
                            }
                        }
                    }
                }
            }
        });
    }
}
