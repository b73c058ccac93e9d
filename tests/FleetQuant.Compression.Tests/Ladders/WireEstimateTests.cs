using FleetQuant.Compression.Artifacts;
using FleetQuant.Compression.Onnx;
using FleetQuant.Compression.Pipeline;
using FleetQuant.Compression.Recipes;
using FleetQuant.Compression.Tests.Artifacts;
using FleetQuant.Compression.Tests.Support;
using FleetQuant.TestSupport;

namespace FleetQuant.Compression.Tests.Ladders;

/// <summary>The ladder's wire bytes (<see cref="ArtifactWriter.EstimateLength"/>) stay within 1 % of the artifact shipped.</summary>
public sealed class WireEstimateTests
{
    private const double Bound = 0.01;

    private static readonly Lazy<ModelProto> ResNet18 = new(() => OnnxModelFile.Load(ResNet18Model.Path));

    public static TheoryData<string> MlpRecipes()
    {
        var recipes = new TheoryData<string> { "fp32" };
        foreach (var recipe in ArtifactLadderTests.LadderRecipes())
        {
            recipes.Add(recipe);
        }
        return recipes;
    }

    [Theory]
    [MemberData(nameof(MlpRecipes))]
    public void EstimateLength_SampleMlp_IsWithinOnePercentOfTheArtifact(string recipe) =>
        AssertWithinBound(ModelCompressor.Compress(TestModels.Mlp(), Recipe.Parse(recipe)));

    // The rungs where zstd 19 wins most streams (FP32 planes, k-means indices, pruned planes) and a 4-bit one.
    [Theory]
    [InlineData("fp32")]
    [InlineData("q4b32a")]
    [InlineData("km3")]
    [InlineData("p50")]
    public void EstimateLength_ResNet18_IsWithinOnePercentOfTheArtifact(string recipe) =>
        AssertWithinBound(ModelCompressor.Compress(ResNet18.Value, Recipe.Parse(recipe)));

    private static void AssertWithinBound(CompressedModel compressed)
    {
        var actual = ArtifactWriter.Pack(compressed).LongLength;
        var estimate = ArtifactWriter.EstimateLength(compressed);

        Assert.True(Math.Abs(estimate - actual) <= actual * Bound,
            $"{compressed.Recipe.Id}: estimate {estimate} bytes, artifact {actual} ({(estimate - actual) * 100.0 / actual:+0.00;-0.00} %)");
    }
}
