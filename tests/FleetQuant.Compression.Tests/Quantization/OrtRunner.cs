using FleetQuant.Compression.Onnx;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace FleetQuant.Compression.Tests.Quantization;

/// <summary>Runs models in ONNX Runtime for the quantization tests, always through a saved file.</summary>
internal static class OrtRunner
{
    /// <summary>Saves the model to a temp file, loads it with ONNX Runtime and returns every output as floats.</summary>
    public static Dictionary<string, float[]> Run(ModelProto model, string inputName, float[] input, int[] inputShape)
    {
        var path = Path.Combine(Path.GetTempPath(), $"fq-quant-{Guid.NewGuid():N}.onnx");
        try
        {
            OnnxModelFile.Save(model, path);
            using var session = new InferenceSession(path);
            using var results = session.Run([NamedOnnxValue.CreateFromTensor(inputName, new DenseTensor<float>(input, inputShape))]);
            return results.ToDictionary(r => r.Name, r => r.AsTensor<float>().ToArray());
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>One session, one run per input: the first output of each run.</summary>
    public static List<float[]> RunEach(ModelProto model, IEnumerable<float[]> inputs, int[] inputShape)
    {
        var path = Path.Combine(Path.GetTempPath(), $"fq-quant-{Guid.NewGuid():N}.onnx");
        try
        {
            OnnxModelFile.Save(model, path);
            using var session = new InferenceSession(path);
            var inputName = session.InputMetadata.Keys.First(name => model.Graph.Initializer.All(t => t.Name != name));
            var outputs = new List<float[]>();
            foreach (var input in inputs)
            {
                using var results = session.Run([NamedOnnxValue.CreateFromTensor(inputName, new DenseTensor<float>(input, inputShape))]);
                outputs.Add(results.First().AsTensor<float>().ToArray());
            }
            return outputs;
        }
        finally
        {
            File.Delete(path);
        }
    }

    public static float[] RunFirst(ModelProto model, float[] input, params int[] inputShape) =>
        Run(model, model.Graph.Input.First(i => model.Graph.Initializer.All(t => t.Name != i.Name)).Name, input, inputShape)[model.Graph.Output[0].Name];

    public static float[] RandomInput(int seed, int count)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
    }

    /// <summary>‖a − b‖ / ‖b‖: the output error relative to the FP32 output.</summary>
    public static double RelativeError(float[] actual, float[] expected)
    {
        double diff = 0, norm = 0;
        for (var i = 0; i < expected.Length; i++)
        {
            diff += (actual[i] - expected[i]) * (double)(actual[i] - expected[i]);
            norm += expected[i] * (double)expected[i];
        }
        return Math.Sqrt(diff / norm);
    }

    public static double Cosine(float[] a, float[] b)
    {
        double dot = 0, na = 0, nb = 0;
        for (var i = 0; i < a.Length; i++)
        {
            dot += a[i] * (double)b[i];
            na += a[i] * (double)a[i];
            nb += b[i] * (double)b[i];
        }
        return dot / Math.Sqrt(na * nb);
    }
}
