using FleetQuant.Compression.Artifacts;
using FleetQuant.Compression.Evaluation;
using FleetQuant.Compression.Onnx;
using FleetQuant.Compression.Pipeline;
using FleetQuant.Compression.Recipes;
using FleetQuant.Compression.Tests.Support;

namespace FleetQuant.Compression.Tests.Corpus;

/// <summary>
/// Third-party models (LSTM in If branches, weights in Constant nodes, ConvTranspose, depthwise Conv, opset 8 to
/// 16) through compress → pack → unpack → ONNX Runtime: the unpacked model must load and give finite outputs.
/// </summary>
[Trait("Category", "Corpus")]
public sealed class CorpusCompressionTests
{
    private const int Seed = 7;
    private static readonly ModelEvaluator Evaluator = new();

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
        var corpus = CorpusModels.Named(fileName);
        var source = OnnxModelFile.Load(CorpusModels.PathOf(corpus));
        var compressed = ModelCompressor.Compress(source, Recipe.Parse(recipeId));

        using var packed = new MemoryStream(ArtifactWriter.Pack(compressed));
        using var unpacked = new MemoryStream();
        ArtifactReader.Unpack(packed, unpacked);
        AssertSameModel(compressed.Model, OnnxModelFile.Parse(unpacked.ToArray()));

        var original = OnnxModelFile.Serialize(source);
        var inputs = corpus.Inputs(original, 2, Seed);
        var outputs = Evaluator.Outputs(unpacked.ToArray(), inputs);
        Assert.All(outputs.Outputs.SelectMany(o => o.Samples).SelectMany(s => s), v => Assert.True(float.IsFinite(v), $"{recipeId} on {fileName} gave a non-finite output"));
        if (recipeId == "q8cs")
        {
            var fidelity = Fidelity.Compare(outputs, Evaluator.Outputs(original, inputs));
            Assert.True(fidelity.Quality >= 0.98, $"q8cs on {fileName}: {string.Join(", ", fidelity.Outputs.Select(o => $"{o.Name} {o.Kind} {o.Quality:F4}"))}");
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
}
