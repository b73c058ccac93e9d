using System.Numerics.Tensors;
using FleetQuant.Compression.Onnx;

namespace FleetQuant.Compression.Training.Graph.Ops;

/// <summary>
/// BatchNormalization, y = scale · (x − μ) / √(σ² + ε) + B per channel. By default in its inference form: μ and σ²
/// are the running statistics (the form a folded or exported model runs), read as inputs and not trained unless
/// asked for. With batch statistics (a training run of a graph built for them), μ and σ² are the batch's own
/// (population variance, as ONNX defines it) and the running statistics move towards them by <c>momentum</c>.
/// </summary>
internal sealed class BatchNormOp(NodeProto node) : TrainableOp(node)
{
    private readonly float _epsilon = NodeAttributes.Float(node, "epsilon", 1e-5f);
    private readonly float _momentum = NodeAttributes.Float(node, "momentum", 0.9f);

    private sealed record BatchStatistics(float[] Mean, float[] InverseStd);

    public override IReadOnlyList<int> StatisticInputs => [3, 4];

    public override GraphTensor[] Forward(GraphTensor?[] inputs, OpContext context)
    {
        var x = Required(inputs[0], "X");
        var (scale, bias, mean, variance) = (Required(inputs[1], "scale"), Required(inputs[2], "B"), Required(inputs[3], "mean"), Required(inputs[4], "var"));
        var (n, c, size) = Layout(x, scale, bias, mean, variance);
        var useMean = mean.Data;
        var inverseStd = new float[c];
        if (context.BatchStatistics)
        {
            var batch = Statistics(x, n, c, size);
            useMean = batch.Mean;
            for (var ch = 0; ch < c; ch++)
            {
                inverseStd[ch] = 1f / MathF.Sqrt(batch.Variance[ch] + _epsilon);
                mean.Data[ch] = mean.Data[ch] * _momentum + batch.Mean[ch] * (1 - _momentum);
                variance.Data[ch] = variance.Data[ch] * _momentum + batch.Variance[ch] * (1 - _momentum);
            }
            context.Saved = new BatchStatistics(useMean, inverseStd);
        }
        else
        {
            for (var ch = 0; ch < c; ch++)
            {
                inverseStd[ch] = 1f / MathF.Sqrt(variance.Data[ch] + _epsilon);
            }
        }
        var y = new GraphTensor(x.Shape);
        for (var s = 0; s < n; s++)
        {
            for (var ch = 0; ch < c; ch++)
            {
                var factor = scale.Data[ch] * inverseStd[ch];
                var shift = bias.Data[ch] - useMean[ch] * factor;
                var offset = (s * c + ch) * size;
                var row = y.Data.AsSpan(offset, size);
                TensorPrimitives.Multiply(x.Data.AsSpan(offset, size), factor, row);
                TensorPrimitives.Add(row, shift, row);
            }
        }
        context.AddFlops(2L * x.Length);
        return [y];
    }

    public override GraphTensor?[] Backward(GraphTensor?[] inputs, GraphTensor[] outputs, GraphTensor[] outputGradients, object? saved, bool[] needed, OpContext context)
    {
        var x = inputs[0]!;
        var (scale, mean, variance) = (inputs[1]!, inputs[3]!, inputs[4]!);
        var g = outputGradients[0].Data;
        var (n, c, size) = Layout(x, scale, inputs[2]!, mean, variance);
        var batch = saved as BatchStatistics;
        var dx = needed[0] ? new GraphTensor(x.Shape) : null;
        var (dScale, dBias, dMean, dVar) = (new float[c], new float[c], new float[c], new float[c]);
        var count = (double)n * size;
        for (var ch = 0; ch < c; ch++)
        {
            var mu = batch?.Mean[ch] ?? mean.Data[ch];
            var inverse = batch?.InverseStd[ch] ?? 1f / MathF.Sqrt(variance.Data[ch] + _epsilon);
            var factor = scale.Data[ch] * inverse;
            double sumG = 0, sumGX = 0;
            for (var s = 0; s < n; s++)
            {
                var offset = (s * c + ch) * size;
                sumG += TensorPrimitives.Sum(g.AsSpan(offset, size));
                sumGX += TensorPrimitives.Dot(g.AsSpan(offset, size), x.Data.AsSpan(offset, size));
            }
            // Σ g·(x − μ) = Σ g·x − μ · Σ g
            var centered = sumGX - mu * sumG;
            dScale[ch] = (float)(centered * inverse);
            dBias[ch] = (float)sumG;
            dMean[ch] = -factor * (float)sumG;
            dVar[ch] = (float)(-0.5 * scale.Data[ch] * centered * inverse * inverse * inverse);
            if (dx is null)
            {
                continue;
            }
            // Inference form: dx = factor · g. With batch statistics μ and σ² depend on x too:
            // dx = factor · (g − mean(g) − x̂ · mean(g·x̂)) = factor·g + b·x + shift.
            var (b, shift) = batch is null
                ? (0f, 0f)
                : ((float)(-factor * inverse * centered * inverse / count), (float)(-factor * sumG / count + factor * inverse * mu * centered * inverse / count));
            for (var s = 0; s < n; s++)
            {
                var offset = (s * c + ch) * size;
                var row = dx.Data.AsSpan(offset, size);
                TensorPrimitives.Multiply(g.AsSpan(offset, size), factor, row);
                if (batch is not null)
                {
                    TensorPrimitives.MultiplyAdd(x.Data.AsSpan(offset, size), b, row, row);
                    TensorPrimitives.Add(row, shift, row);
                }
            }
        }
        // With batch statistics the output does not depend on the running statistics.
        return
        [
            dx,
            needed[1] ? new GraphTensor(scale.Shape, dScale) : null,
            needed[2] ? new GraphTensor(inputs[2]!.Shape, dBias) : null,
            needed[3] ? new GraphTensor(mean.Shape, batch is null ? dMean : new float[c]) : null,
            needed[4] ? new GraphTensor(variance.Shape, batch is null ? dVar : new float[c]) : null,
        ];
    }

    /// <summary>Per-channel mean and population variance over the batch and spatial axes, summed in a fixed order.</summary>
    private static (float[] Mean, float[] Variance) Statistics(GraphTensor x, int n, int c, int size)
    {
        var (mean, variance) = (new float[c], new float[c]);
        var centered = new float[size];
        var count = (double)n * size;
        for (var ch = 0; ch < c; ch++)
        {
            double sum = 0;
            for (var s = 0; s < n; s++)
            {
                sum += TensorPrimitives.Sum(x.Data.AsSpan((s * c + ch) * size, size));
            }
            mean[ch] = (float)(sum / count);
            double squares = 0;
            for (var s = 0; s < n; s++)
            {
                TensorPrimitives.Subtract(x.Data.AsSpan((s * c + ch) * size, size), mean[ch], centered);
                squares += TensorPrimitives.SumOfSquares(centered);
            }
            variance[ch] = (float)(squares / count);
        }
        return (mean, variance);
    }

    private (int N, int C, int Size) Layout(GraphTensor x, params GraphTensor[] perChannel)
    {
        if (x.Rank < 2)
        {
            throw Failure($"expects [N, C, …], got {x.DescribeShape()}");
        }
        var c = x.Shape[1];
        if (perChannel.Any(t => t.Length != c))
        {
            throw Failure($"scale, B, mean and var must hold {c} values each");
        }
        return (x.Shape[0], c, x.Length / Math.Max(1, x.Shape[0] * c));
    }
}
