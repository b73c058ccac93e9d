using FleetQuant.Compression.Artifacts;
using FleetQuant.Compression.Onnx;
using FleetQuant.Compression.Pipeline;
using FleetQuant.Compression.Recipes;
using FleetQuant.Compression.TensorCoding;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using DataType = FleetQuant.Compression.Onnx.TensorProto.Types.DataType;
using FleetQuant.TestSupport;

namespace FleetQuant.Compression.Tests.Artifacts;

/// <summary>
/// Compressed models built by hand (integer codes at 1/2/4/8 bits, codebooks, sparse floats) so the container
/// and delta codecs are tested independently of the quantization steps.
/// </summary>
public static class ArtifactTestModels
{
    public static CompressedModel Fp32(ModelProto model) => ModelCompressor.Compress(model, Recipe.Fp32);

    /// <summary>
    /// Replaces a weight by symmetric integer codes and a DequantizeLinear node that rebuilds it, so the model
    /// still runs. <paramref name="layout"/> Int8 (INT8), UInt8 (UINT8 with zero point 128) or Packed4 (INT4, opset 21).
    /// </summary>
    public static CompressedModel Quantized(ModelProto source, int bits, CodeLayout layout, params string[] weights)
    {
        var model = source.Clone();
        if (layout == CodeLayout.Packed4)
        {
            model.IrVersion = 10;
        }
        var context = new CompressionContext(model, Recipe.Fp32, null);
        foreach (var name in weights)
        {
            var graph = model.Graph;
            var tensor = graph.Initializer.Single(t => t.Name == name);
            var values = TensorData.ReadFloats(tensor);
            var levels = (1 << (bits - 1)) - 1;
            var scale = Math.Max(values.Max(v => Math.Abs(v)) / Math.Max(levels, 1), 1e-8f);
            var half = 1 << (bits - 1);
            var codes = values.Select(v => Math.Clamp((int)MathF.Round(v / scale), -half, half - 1) + half).ToArray();
            var (type, offset) = layout switch
            {
                CodeLayout.UInt8 => (DataType.Uint8, 128 - half),
                CodeLayout.Packed4 => (DataType.Int4, -half),
                _ => (DataType.Int8, -half),
            };
            graph.Initializer.Remove(tensor);
            context.Publish(graph, new EncodedTensor(name + "_q", type, tensor.Dims.ToArray(), new IntegerCodesEncoding(bits, offset, layout, codes)));
            context.AddInitializer(graph, TensorData.CreateFloat(name + "_scale", [], [scale]));
            var inputs = new List<string> { name + "_q", name + "_scale" };
            if (layout == CodeLayout.UInt8)
            {
                context.AddInitializer(graph, TensorData.Create(name + "_zp", DataType.Uint8, [], [128]));
                inputs.Add(name + "_zp");
            }
            graph.Node.Insert(0, TestModels.Node("DequantizeLinear", [.. inputs], [name]));
        }
        return new CompressedModel(model, Recipe.Fp32, context.Encodings, context.Notes);
    }

    /// <summary>k-means-like weight sharing: 2^bits centroids at quantiles, each weight its nearest centroid.</summary>
    public static CompressedModel Codebook(ModelProto source, int bits, params string[] weights)
    {
        var model = source.Clone();
        var context = new CompressionContext(model, Recipe.Fp32, null);
        foreach (var name in weights)
        {
            var tensor = model.Graph.Initializer.Single(t => t.Name == name);
            var values = TensorData.ReadFloats(tensor);
            var sorted = values.Order().ToArray();
            var centroids = Enumerable.Range(0, 1 << bits).Select(i => sorted[(int)((i + 0.5) / (1 << bits) * sorted.Length)]).Distinct().ToArray();
            var indices = values.Select(v => Enumerable.Range(0, centroids.Length).MinBy(c => Math.Abs(centroids[c] - v))).ToArray();
            context.Publish(model.Graph, new EncodedTensor(name, DataType.Float, tensor.Dims.ToArray(), new CodebookEncoding(bits, centroids, indices)));
        }
        return new CompressedModel(model, Recipe.Fp32, context.Encodings, context.Notes);
    }

    /// <summary>Zeroes the smallest <paramref name="ratio"/> of each named weight (unstructured magnitude pruning).</summary>
    public static ModelProto Pruned(ModelProto source, double ratio, params string[] weights)
    {
        var model = source.Clone();
        foreach (var name in weights)
        {
            var tensor = model.Graph.Initializer.Single(t => t.Name == name);
            var values = TensorData.ReadFloats(tensor);
            var threshold = values.Select(Math.Abs).Order().ElementAt((int)(ratio * values.Length));
            TensorData.WriteFloats(tensor, values.Select(v => Math.Abs(v) < threshold ? 0f : v).ToArray());
        }
        return model;
    }

    /// <summary>A fine-tuned "next version": every float weight moves by N(0, (relative·σ)²) of its tensor.</summary>
    /// <summary>The opset-21 test MLP (v1) and its fine-tuned successor (v2), the pair the delta tests move between.</summary>
    public static readonly ModelProto MlpV1 = TestModels.Mlp(opset: 21);

    public static readonly ModelProto MlpV2 = FineTuned(MlpV1);

    /// <summary>The artifact of <see cref="MlpV1"/> or <see cref="MlpV2"/> ("v1" / "v2") under a recipe id.</summary>
    public static byte[] PackMlp(string recipe, string version) =>
        ArtifactWriter.Pack(ModelCompressor.Compress(version == "v1" ? MlpV1 : MlpV2, Recipe.Parse(recipe)));

    public static ModelProto FineTuned(ModelProto source, double relative = 0.01, int seed = 7)
    {
        var random = new Random(seed);
        var model = source.Clone();
        foreach (var tensor in model.Graph.Initializer.Where(TensorData.IsFloat))
        {
            var values = TensorData.ReadFloats(tensor);
            var mean = values.Average();
            var sigma = Math.Sqrt(values.Average(v => (v - mean) * (v - mean)));
            TensorData.WriteFloats(tensor, values.Select(v => v == 0 ? 0 : (float)(v + relative * sigma * Gaussian(random))).ToArray());
        }
        return model;
    }

    /// <summary>A few-hundred-byte model holding every tensor kind, for fuzzing.</summary>
    public static CompressedModel Tiny()
    {
        var random = new Random(3);
        var g = new GraphProto { Name = "tiny" };
        g.Input.Add(TestModels.FloatInput("input", -1, 16));
        g.Output.Add(TestModels.FloatInput("out", -1, 4));
        g.Initializer.Add(TestModels.Weights(random, "w1", 16, 12));
        g.Initializer.Add(TestModels.Weights(random, "b1", 12));
        g.Initializer.Add(TestModels.Weights(random, "w2", 12, 8));
        g.Initializer.Add(TestModels.Weights(random, "w3", 8, 4));
        g.Initializer.Add(TensorData.CreateInt64("shape", [2], [-1, 4]));
        g.Node.Add(TestModels.Node("MatMul", ["input", "w1"], ["h1"]));
        g.Node.Add(TestModels.Node("Add", ["h1", "b1"], ["a1"]));
        g.Node.Add(TestModels.Node("MatMul", ["a1", "w2"], ["h2"]));
        g.Node.Add(TestModels.Node("MatMul", ["h2", "w3"], ["h3"]));
        g.Node.Add(TestModels.Node("Reshape", ["h3", "shape"], ["out"]));
        var pruned = Pruned(TestModels.Model(g, 21), 0.5, "w1");
        var quantized = Quantized(pruned, 4, CodeLayout.Packed4, "w2");
        var shared = Codebook(quantized.Model, 2, "w3");
        return new CompressedModel(shared.Model, Recipe.Fp32,
            quantized.Encodings.Concat(shared.Encodings).ToDictionary(e => e.Key, e => e.Value), []);
    }

    /// <summary>Runs a model in ONNX Runtime on fixed random inputs and returns the first output.</summary>
    public static float[] Run(byte[] onnx, int[] sampleShape, int batch = 2)
    {
        using var session = new InferenceSession(onnx);
        var random = new Random(11);
        var size = sampleShape.Aggregate(1, (a, d) => a * d);
        var input = new DenseTensor<float>(Enumerable.Range(0, batch * size).Select(_ => (float)random.NextDouble()).ToArray(), [batch, .. sampleShape]);
        var name = session.InputMetadata.Keys.Single();
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(name, input)]);
        return results.First().AsEnumerable<float>().ToArray();
    }

    public static (byte[] Onnx, Compression.Artifacts.ArtifactInfo Info) Unpack(byte[] artifact, Compression.Artifacts.ArtifactLimits? limits = null)
    {
        using var input = new MemoryStream(artifact, writable: false);
        using var output = new MemoryStream();
        var info = Compression.Artifacts.ArtifactReader.Unpack(input, output, limits);
        return (output.ToArray(), info);
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
