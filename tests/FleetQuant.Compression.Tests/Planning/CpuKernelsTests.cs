using FleetQuant.Compression.Ladders;
using FleetQuant.Compression.Planning;
using static FleetQuant.Compression.Tests.Planning.PlanningFixtures;

namespace FleetQuant.Compression.Tests.Planning;

public class CpuKernelsTests
{
    [Theory]
    [InlineData("x86_64", "avx2", true)]
    [InlineData("amd64", "AVX512_VNNI", true)]
    [InlineData("x86_64", "sse4_2", false)]
    [InlineData("arm64", "dotprod", true)]
    [InlineData("aarch64", "asimddp", true)]
    [InlineData("arm64", "neon", false)]
    [InlineData("armv7", "neon", false)]
    [InlineData("arm64", "avx2", false)]
    [InlineData("riscv64", "dotprod", false)]
    public void HasFastIntegerKernels_FollowsTheArchAndFeatureRule(string arch, string feature, bool expected)
    {
        Assert.Equal(expected, CpuKernels.HasFastIntegerKernels(Device(arch: arch, features: [feature])));
    }

    [Theory]
    [InlineData("fp32", 32, false)]
    [InlineData("km4", 4, false)]
    [InlineData("sp50+p50", 32, false)]
    [InlineData("q8cs", 8, true)]
    [InlineData("dq8", 8, true)]
    [InlineData("sp25+p50+q4b32a", 4, true)]
    [InlineData("ternary", 2, true)]
    [InlineData("binary", 1, true)]
    [InlineData("vendor-special", 8, true)]
    [InlineData("vendor-float", 32, false)]
    [InlineData("weights.json", 32, false)]
    public void UsesIntegerKernels_ClassifiesRecipeIds(string id, int bits, bool expected)
    {
        Assert.Equal(expected, CpuKernels.UsesIntegerKernels(new LadderEntry(id, bits, 0, 1, 1, 0.9, 0, 1, false)));
    }

    [Fact]
    public void UsesIntegerKernels_SeesIntegerLayerOverridesOfAMixedRecipe()
    {
        var mixed = new LadderEntry("km4@mixed", 4, 0, 1, 1, 0.9, 0, 1, false)
        {
            RecipeJson = """{"steps":["km4"],"layers":{"fc1.weight":"q8cs"}}""",
        };

        Assert.True(CpuKernels.UsesIntegerKernels(mixed));
    }
}
