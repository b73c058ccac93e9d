using FleetQuant.Compression.Evaluation;
using FleetQuant.Compression.Onnx;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace FleetQuant.Compression.Pruning;

/// <summary>
/// Mean |activation| of each channel where it enters the next layer, measured with ONNX Runtime on calibration
/// samples: a scratch copy of the model exposes those values as extra graph outputs.
/// </summary>
internal static class ActivationImportance
{
    /// <summary>Samples measured at most: enough to rank channels, bounded so large models stay quick.</summary>
    public const int MaxSamples = 32;

    private const int BatchSize = 8;

    public static double[][] Measure(ModelProto model, EvalSet calibration, IReadOnlyList<PrunableLayer> layers)
    {
        var probe = model.Clone();
        var exposed = probe.Graph.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var name in layers.Select(l => l.NextLayerInput).Where(exposed.Add))
        {
            probe.Graph.Output.Add(new ValueInfoProto
            {
                Name = name,
                Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float } },
            });
        }

        var samples = calibration.Take(MaxSamples);
        var sums = layers.Select(l => new double[l.Channels]).ToArray();
        var counts = new long[layers.Count];
        using var options = ModelEvaluator.SingleThreaded();
        using var session = ModelEvaluator.Open(OnnxModelFile.Serialize(probe), options);
        var feeds = ModelFeeds.Bind(session, samples, samples.Hints, BatchSize);
        var batch = feeds.Batch;
        var names = layers.Select(l => l.NextLayerInput).ToArray();
        for (var start = 0; start < samples.Count; start += batch)
        {
            var n = Math.Min(batch, samples.Count - start);
            using var outputs = Run(session, feeds, start, n, names);
            for (var i = 0; i < layers.Count; i++)
            {
                // A fixed batch is zero-padded; only the real samples' rows count.
                var rows = feeds.Stacked ? (double)n / batch : 1;
                counts[i] += Accumulate(outputs[i], layers[i], rows, sums[i]);
            }
        }

        for (var i = 0; i < layers.Count; i++)
        {
            var perChannel = Math.Max(1, counts[i]);
            for (var c = 0; c < sums[i].Length; c++)
            {
                sums[i][c] /= perChannel;
            }
        }
        return sums;
    }

    /// <summary>Adds |x| per channel from one run's value; returns how many values each channel received.</summary>
    private static long Accumulate(OrtValue value, PrunableLayer layer, double realRows, double[] sums)
    {
        var info = value.GetTensorTypeAndShape();
        if (info.ElementDataType != TensorElementType.Float)
        {
            throw new OnnxModelException($"'{layer.NextLayerInput}' is {info.ElementDataType}, expected FLOAT activations");
        }
        var shape = info.Shape;
        var axis = shape.Length - layer.NextLayerLayout.FromEnd;
        var width = (long)layer.Channels * layer.NextLayerBlock;
        if (axis < 0 || shape[axis] != width)
        {
            throw new OnnxModelException($"'{layer.NextLayerInput}' has shape [{string.Join(",", shape)}]; expected {width} values for {layer.Channels} channels on axis {axis}");
        }

        var span = AxisSpan.Of(shape, axis);
        var outer = (long)Math.Ceiling(span.Outer * realRows);
        var data = value.GetTensorDataAsSpan<float>()[..(int)(outer * span.Length * span.Inner)];
        var perIndex = new AxisSpan(outer, span.Length, span.Inner).SumAlongAxis(data, v => Math.Abs(v));
        for (var index = 0; index < perIndex.Length; index++)
        {
            sums[index / layer.NextLayerBlock] += perIndex[index];
        }
        return outer * span.Inner * layer.NextLayerBlock;
    }

    private static IDisposableReadOnlyCollection<OrtValue> Run(InferenceSession session, ModelFeeds feeds, int start, int count, string[] names)
    {
        try
        {
            return feeds.Run(session, start, count, names);
        }
        catch (OnnxModelException ex)
        {
            throw new OnnxModelException($"measuring activations: {ex.Message}", ex);
        }
    }
}
