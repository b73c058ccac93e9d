using FleetQuant.Compression.Onnx;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace FleetQuant.Compression.Tests.Pruning;

/// <summary>Runs a model the way a device would: saved to a file, loaded by ONNX Runtime, first output read back.</summary>
internal static class SavedModelRunner
{
    public static (float[] Values, int[] Shape) Run(ModelProto model, float[] input, params int[] inputShape)
    {
        var path = Path.Combine(Path.GetTempPath(), $"fq-prune-{Guid.NewGuid():N}.onnx");
        try
        {
            OnnxModelFile.Save(model, path);
            using var session = new InferenceSession(path);
            var inputName = session.InputMetadata.Keys.First();
            using var results = session.Run([NamedOnnxValue.CreateFromTensor(inputName, new DenseTensor<float>(input, inputShape))]);
            var output = results.First().AsTensor<float>();
            return (output.ToArray(), output.Dimensions.ToArray());
        }
        finally
        {
            File.Delete(path);
        }
    }

    public static float[] Output(ModelProto model, float[] input, params int[] inputShape) => Run(model, input, inputShape).Values;

    public static float[] RandomInput(int seed, int count)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
    }

    /// <summary>‖actual − expected‖ / ‖expected‖.</summary>
    public static double RelativeError(float[] actual, float[] expected)
    {
        double diff = 0, norm = 0;
        for (var i = 0; i < expected.Length; i++)
        {
            diff += (actual[i] - (double)expected[i]) * (actual[i] - (double)expected[i]);
            norm += expected[i] * (double)expected[i];
        }
        return Math.Sqrt(diff / norm);
    }

    public static TensorProto Initializer(ModelProto model, string name) => model.Graph.Initializer.Single(t => t.Name == name);

    public static float[] Floats(ModelProto model, string name) => TensorData.ReadFloats(Initializer(model, name));

    public static long[] Dims(ModelProto model, string name) => Initializer(model, name).Dims.ToArray();
}
