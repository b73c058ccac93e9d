using System.Numerics.Tensors;
using FleetQuant.Compression.Evaluation;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace FleetQuant.Compression.Training;

/// <summary>
/// Top-1 accuracy of an exported classifier as ONNX Runtime computes it: the check that what was written is what
/// was trained.
/// </summary>
public static class OnnxClassifierAccuracy
{
    public static double Measure(byte[] model, EvalSet set, int batch = 500)
    {
        var labels = set.Labels ?? throw new ArgumentException("accuracy needs labelled samples", nameof(set));
        using var options = new SessionOptions { IntraOpNumThreads = Math.Min(Environment.ProcessorCount, 2) };
        using var session = new InferenceSession(model, options);
        var input = session.InputMetadata.Keys.Single();
        long[] sampleShape = set.SampleShape;

        var correct = 0;
        for (var start = 0; start < set.Count; start += batch)
        {
            var n = Math.Min(batch, set.Count - start);
            var data = set.Data.AsMemory(start * set.SampleSize, n * set.SampleSize);
            var tensor = new DenseTensor<float>(data, [n, .. sampleShape.Select(d => (int)d)]);
            using var results = session.Run([NamedOnnxValue.CreateFromTensor(input, tensor)]);
            var output = results[0].AsTensor<float>().ToArray();
            var classes = output.Length / n;
            for (var b = 0; b < n; b++)
            {
                if (TensorPrimitives.IndexOfMax(output.AsSpan(b * classes, classes)) == labels[start + b])
                {
                    correct++;
                }
            }
        }
        return set.Count == 0 ? 0 : (double)correct / set.Count;
    }
}
