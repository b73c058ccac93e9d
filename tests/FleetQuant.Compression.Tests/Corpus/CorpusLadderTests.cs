using FleetQuant.Compression.Artifacts;
using FleetQuant.Compression.Evaluation;
using FleetQuant.Compression.Ladders;
using FleetQuant.Compression.Onnx;
using FleetQuant.Compression.Pipeline;
using FleetQuant.Compression.Recipes;
using FleetQuant.Compression.Tests.Support;

namespace FleetQuant.Compression.Tests.Corpus;

/// <summary>
/// Each corpus model through the product's own path with its documented hints: a ladder on generated inputs (every
/// input fed, every output judged), then the q8cs rung packed, unpacked and evaluated against the original — which must
/// give exactly the fidelity the ladder recorded for that rung, in at most the bytes it estimated (within 1 %).
/// </summary>
[Trait("Category", "Corpus")]
public sealed class CorpusLadderTests
{
    private const int Samples = 6;

    private static readonly ModelEvaluator Evaluator = new(new EvaluatorOptions { LatencyRuns = 3, WarmupRuns = 1, MemoryRepeats = 1 });

    public static TheoryData<string> Models() => new(CorpusModels.All.Select(m => m.FileName));

    [Theory]
    [MemberData(nameof(Models))]
    public void Ladder_ThenTheShippedQ8Artifact_MeasureTheSame(string fileName)
    {
        var corpus = CorpusModels.Named(fileName);
        var source = OnnxModelFile.Load(CorpusModels.PathOf(corpus));
        var original = OnnxModelFile.Serialize(source);
        var set = corpus.Inputs(original, Samples, seed: 1);
        string[] recipes = corpus == CorpusModels.ResNet18 ? ["fp32", "q8cs"] : ["fp32", "q8cs", "q4b32a", "km4"];

        var ladder = new LadderBuilder(Evaluator).Build(source, set, new LadderOptions { RecipeIds = recipes, IncludeMixedPrecision = false });

        Assert.All(ladder.Recipes, r => Assert.True(r.Error is null, $"{r.Id} on {fileName}: {r.Error}"));
        Assert.Equal(set.Inputs.Select(i => i.Name), ladder.Inputs!.Select(i => i.Name));
        Assert.All(corpus.Hints.Values.Keys, name => Assert.Equal("constant", ladder.Inputs!.Single(i => i.Name == name).Source));
        Assert.True(ladder.Recipes.Single(r => r.Id == "fp32").Unchanged);
        var q8 = ladder.Recipes.Single(r => r.Id == "q8cs");
        Assert.Null(q8.Unchanged);
        Assert.True(q8.WireBytes < ladder.Baseline.WireBytes / 3, $"q8cs on {fileName}: {q8.WireBytes} of {ladder.Baseline.WireBytes} bytes");
        Assert.True(q8.Accuracy >= 0.98, $"q8cs on {fileName}: fidelity {q8.Accuracy:F4}");
        Assert.Equal(ladder.Outputs!.Count, q8.OutputFidelity!.Count);

        var artifact = ArtifactWriter.Pack(ModelCompressor.Compress(source, Recipe.Parse("q8cs")));
        using var unpacked = new MemoryStream();
        ArtifactReader.Unpack(new MemoryStream(artifact, writable: false), unpacked);
        var result = Evaluator.Evaluate(unpacked.ToArray(), set, original);

        Assert.InRange(artifact.LongLength, (long)(q8.WireBytes * 0.99), q8.WireBytes);
        Assert.Equal(q8.Accuracy, result.Fidelity!.Quality, 9);
        Assert.Equal(q8.MaxAbsError!.Value, result.Fidelity.MaxAbsError, 9);
    }
}
