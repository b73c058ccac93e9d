using FleetQuant.Compression.Artifacts;
using FleetQuant.Compression.Deltas;
using FleetQuant.Compression.Tests.Artifacts;
using FleetQuant.TestSupport;

namespace FleetQuant.Compression.Tests.Deltas;

/// <summary>Recipe changes: target codes predicted from the base weight's dequantized values.</summary>
public sealed class DeltaPredictionTests
{
    [Theory]
    // 4-bit MatMulNBits (K padded to whole blocks, fc2 stored transposed) → 8-bit per-channel DequantizeLinear.
    [InlineData("q4b32a", "v1", "q8cs", "v1", 0.6)]
    [InlineData("q4b32a", "v1", "q8cs", "v2", 0.7)]
    // 8-bit → 4-bit: the 4-bit codes are almost fully determined by the 8-bit values.
    [InlineData("q8cs", "v1", "q4b32a", "v1", 0.3)]
    [InlineData("q8cs", "v1", "q4b128a", "v1", 0.3)]
    public void Delta_RecipeChange_IsFarSmallerThanTheTargetAndRebuildsItExactly(string fromRecipe, string fromVersion, string toRecipe, string toVersion, double maxShare)
    {
        var a = ArtifactTestModels.PackMlp(fromRecipe, fromVersion);
        var b = ArtifactTestModels.PackMlp(toRecipe, toVersion);

        var delta = DeltaEncoder.Create(a, b);
        var (patched, info) = DeltaRoundTripTests.Apply(a, delta);

        Assert.Equal(b, patched);
        Assert.True(info.TensorsPatched >= 3, $"{info.TensorsPatched} tensors patched");
        Assert.True(delta.Length < b.Length * maxShare, $"delta {delta.Length} bytes, target {b.Length}");
    }
}
