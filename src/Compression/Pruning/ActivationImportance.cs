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
        var input = ModelInput.Of(session, samples);
        var batch = input.BatchFor(BatchSize);
        var names = layers.Select(l => l.NextLayerInput).ToArray();
        var buffer = new float[batch * samples.SampleSize];
        for (var start = 0; start < samples.Count; start += batch)
        {
            var n = Math.Min(batch, samples.Count - start);
            samples.Data.AsSpan(start * samples.SampleSize, n * samples.SampleSize).CopyTo(buffer);
            buffer.AsSpan(n * samples.SampleSize).Clear();
            using var value = OrtValue.CreateTensorValueFromMemory(buffer, input.RunShape(batch));
            using var runOptions = new RunOptions();
            using var outputs = Run(session, runOptions, input.Name, value, names);
            for (var i = 0; i < layers.Count; i++)
            {
                // A fixed batch is zero-padded; only the real samples' rows count.
                var rows = input.HasBatchAxis ? (double)n / batch : 1;
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

    private static IDisposableReadOnlyCollection<OrtValue> Run(InferenceSession session, RunOptions runOptions, string inputName, OrtValue value, string[] names)
    {
        try
        {
            return session.Run(runOptions, [inputName], [value], names);
        }
        catch (OnnxRuntimeException ex)
        {
            throw new OnnxModelException($"ONNX Runtime failed to measure activations: {ex.Message.ReplaceLineEndings(" ").Trim()}", ex);
        }
    }
}
