using FleetQuant.Compression.Artifacts;
using FleetQuant.Compression.Onnx;
using FleetQuant.Compression.Pipeline;
using FleetQuant.Compression.Recipes;
using FleetQuant.Compression.Tests.Quantization;
using FleetQuant.Compression.Tests.Support;
using Microsoft.ML.OnnxRuntime;

namespace FleetQuant.Compression.Tests.Corpus;

/// <summary>
/// Third-party models (LSTM in If branches, weights in Constant nodes, ConvTranspose, depthwise Conv, opset 8 to
/// 16) through compress → pack → unpack → ONNX Runtime: the unpacked model must load and give finite outputs.
/// </summary>
public sealed class CorpusCompressionTests
{
    private const int Seed = 7;

    private static readonly string[] Recipes = ["q8cs", "q4b32a", "q2b32a", "ternary", "km4", "p50", "sp25"];

    /// <summary>ResNet18 is 45 MB of weights: a few recipes cover its code paths within the time budget.</summary>
    private static readonly string[] ResNetRecipes = ["q8cs", "q4b32a", "sp25"];

    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var model in CorpusModels.All)
        {
            foreach (var recipe in model == CorpusModels.ResNet18 ? ResNetRecipes : Recipes)
            {
                data.Add(model.FileName, recipe);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void CompressPackUnpack_RunsInOnnxRuntime_WithFiniteOutputs(string fileName, string recipeId)
    {
        var corpus = CorpusModels.All.Single(m => m.FileName == fileName);
        var source = OnnxModelFile.Load(CorpusModels.PathOf(corpus));
        var compressed = ModelCompressor.Compress(source, Recipe.Parse(recipeId));

        using var packed = new MemoryStream(ArtifactWriter.Pack(compressed));
        using var unpacked = new MemoryStream();
        ArtifactReader.Unpack(packed, unpacked);
        AssertSameModel(compressed.Model, OnnxModelFile.Parse(unpacked.ToArray()));

        var output = RunFirstOutput(unpacked.ToArray(), corpus);
        Assert.All(output, v => Assert.True(float.IsFinite(v), $"{recipeId} on {fileName} gave a non-finite output"));
        if (recipeId == "q8cs")
        {
            var reference = RunFirstOutput(OnnxModelFile.Serialize(source), corpus);
            var cosine = OrtRunner.Cosine(output, reference);
            Assert.True(cosine >= 0.99, $"q8cs on {fileName}: cosine {cosine:F4} to FP32");
        }
    }

    /// <summary>The artifact may reorder initializers; everything else must come back exactly.</summary>
    private static void AssertSameModel(ModelProto expected, ModelProto actual)
    {
        Assert.Equal(expected.Graph.Node, actual.Graph.Node);
        Assert.Equal(expected.OpsetImport, actual.OpsetImport);
        Assert.Equal(
            expected.Graph.Initializer.OrderBy(t => t.Name, StringComparer.Ordinal),
            actual.Graph.Initializer.OrderBy(t => t.Name, StringComparer.Ordinal));
    }

    private static float[] RunFirstOutput(byte[] model, CorpusModel corpus)
    {
        using var session = new InferenceSession(model);
        var inputs = corpus.Inputs.Select(i => i.Create(Seed)).ToList();
        try
        {
            using var run = new RunOptions();
            using var results = session.Run(run, corpus.Inputs.Select(i => i.Name).ToList(), inputs, [session.OutputNames[0]]);
            return results[0].GetTensorDataAsSpan<float>().ToArray();
        }
        finally
        {
            inputs.ForEach(i => i.Dispose());
        }
    }
}
