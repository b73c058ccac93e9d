using FleetQuant.Compression.Artifacts;
using FleetQuant.Compression.Deltas;
using FleetQuant.Compression.Pipeline;
using FleetQuant.Compression.Recipes;
using FleetQuant.Compression.TensorCoding;
using FleetQuant.TestSupport;
using Google.Protobuf;

namespace FleetQuant.Compression.Tests.Artifacts;

/// <summary>Every ladder recipe, compressed by the real steps: exact round trips, smaller than the interim wire size.</summary>
public sealed class ArtifactLadderTests
{
    public static TheoryData<string> LadderRecipes() =>
    [
        "q8cs", "dq8", "q4b32a", "q4b128a", "q2b32a", "ternary", "binary", "km4", "km3", "km2",
        "p25", "p50", "p75", "p90", "sp25", "sp50", "p50+q8cs", "p50+q4b32a", "p25+km3", "sp25+p50+q4b32a",
    ];

    [Theory]
    [MemberData(nameof(LadderRecipes))]
    public void PackUnpack_LadderRecipe_RunsIdenticallyAndBeatsTheInterimWireSize(string recipe)
    {
        var compressed = ModelCompressor.Compress(TestModels.Mlp(), Recipe.Parse(recipe));

        var artifact = ArtifactWriter.Pack(compressed);
        var (onnx, info) = ArtifactTestModels.Unpack(artifact);

        Assert.Equal(recipe, info.RecipeId);
        Assert.Equal(ArtifactTestModels.Run(compressed.Model.ToByteArray(), [784]), ArtifactTestModels.Run(onnx, [784]));
        var interim = InterimWireSize.Measure(compressed);
        Assert.True(artifact.Length < interim, $"{recipe}: artifact {artifact.Length} bytes, interim {interim}");
    }

    [Theory]
    [InlineData("q4b32a", "q8cs")]
    [InlineData("q8cs", "p50+q4b32a")]
    [InlineData("km4", "ternary")]
    public void Patch_RecipeChange_RebuildsTheTargetByteForByte(string from, string to)
    {
        var v1 = TestModels.Mlp();
        var a = ArtifactWriter.Pack(ModelCompressor.Compress(v1, Recipe.Parse(from)));
        var b = ArtifactWriter.Pack(ModelCompressor.Compress(ArtifactTestModels.FineTuned(v1), Recipe.Parse(to)));

        var delta = DeltaEncoder.Create(a, b);

        Assert.Equal(b, Deltas.DeltaRoundTripTests.Apply(a, delta).Target);
    }
}
