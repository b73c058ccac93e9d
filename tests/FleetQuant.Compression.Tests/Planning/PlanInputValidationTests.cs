using FleetQuant.Compression.Planning;
using FleetQuant.Protocol.Messages;
using static FleetQuant.Compression.Tests.Planning.PlanningFixtures;

namespace FleetQuant.Compression.Tests.Planning;

public class PlanInputValidationTests
{
    public static TheoryData<DeviceProfile, string> BadProfiles => new()
    {
        { Device() with { ModelMemoryBudgetBytes = -1 }, "modelMemoryBudgetBytes must be positive, got -1" },
        { Device() with { BandwidthBitsPerSecond = 0 }, "bandwidthBitsPerSecond must be positive, got 0" },
        { Device() with { CpuCores = 0 }, "cpuCores must be at least 1, got 0" },
        { Device() with { RamBytes = -5 }, "ramBytes must be positive, got -5" },
        { Device() with { StorageBytes = 0 }, "storageBytes must be positive, got 0" },
        { Device() with { RamBytes = MiB, ModelMemoryBudgetBytes = 2 * MiB }, "modelMemoryBudgetBytes (2097152) exceeds ramBytes (1048576)" },
        { Device() with { DataCapBytesPerMonth = 0 }, "dataCapBytesPerMonth must be positive when set" },
        { Device() with { Arch = " " }, "profile: arch is required" },
        { Device() with { CpuFeatures = ["neon", ""] }, "cpuFeatures must be a list of non-empty feature names" },
    };

    [Theory]
    [MemberData(nameof(BadProfiles))]
    public void Plan_RejectsNonsensicalProfiles_NamingTheField(DeviceProfile profile, string expected)
    {
        var ex = Assert.Throws<ProfileException>(() => RecipePlanner.Plan(profile, VisionLadder, PlanPolicy.Default));

        Assert.Contains(expected, ex.Message);
    }

    public static TheoryData<PlanPolicy, string> BadPolicies => new()
    {
        { PlanPolicy.Default with { MaxAccuracyDrop = 1.5 }, "maxAccuracyDrop is a fraction in [0, 1]" },
        { PlanPolicy.Default with { MaxAccuracyDrop = -0.01 }, "maxAccuracyDrop is a fraction in [0, 1]" },
        { PlanPolicy.Default with { MinAccuracy = double.NaN }, "minAccuracy is a fraction in [0, 1]" },
        { PlanPolicy.Default with { MaxDataCapShare = 0 }, "maxDataCapShare must be above 0" },
        { PlanPolicy.Default with { AccuracyTolerance = 2 }, "accuracyTolerance is a fraction in [0, 1]" },
        { PlanPolicy.Default with { MaxTransferSeconds = 0 }, "maxTransferSeconds must be a positive number of seconds" },
        { PlanPolicy.Default with { MaxTransferSeconds = double.PositiveInfinity }, "maxTransferSeconds must be a positive number" },
    };

    [Theory]
    [MemberData(nameof(BadPolicies))]
    public void Plan_RejectsPolicyFractionsOutsideTheirRange(PlanPolicy policy, string expected)
    {
        var ex = Assert.Throws<ProfileException>(() => RecipePlanner.Plan(Device(), VisionLadder, policy));

        Assert.Contains(expected, ex.Message);
    }

    [Fact]
    public void Plan_RejectsNegativeDeltaSizes()
    {
        var current = new CurrentModel { RecipeId = "q8cs", DeltaBytesByRecipe = new Dictionary<string, long> { ["km4"] = -3 } };

        var ex = Assert.Throws<ProfileException>(() => RecipePlanner.Plan(Device(), VisionLadder, PlanPolicy.Default, current));

        Assert.Contains("delta to 'km4' has negative size -3", ex.Message);
    }

    [Fact]
    public void Plan_RejectsLaddersWithDuplicateOrSizelessRecipes()
    {
        var duplicate = VisionLadder with { Recipes = [.. VisionLadder.Recipes, VisionLadder.Recipes[0]] };
        var sizeless = VisionLadder with { Recipes = [VisionLadder.Recipes[0] with { RuntimeBytes = 0 }] };
        var empty = VisionLadder with { Recipes = [] };

        Assert.Contains("lists recipe 'fp32' twice", Assert.Throws<InvalidDataException>(() => RecipePlanner.Plan(Device(), duplicate, PlanPolicy.Default)).Message);
        Assert.Contains("needs positive wireBytes and runtimeBytes", Assert.Throws<InvalidDataException>(() => RecipePlanner.Plan(Device(), sizeless, PlanPolicy.Default)).Message);
        Assert.Contains("no recipes", Assert.Throws<InvalidDataException>(() => RecipePlanner.Plan(Device(), empty, PlanPolicy.Default)).Message);
    }

    [Fact]
    public void Plan_SkipsRecipesTheLadderMarksAsFailed()
    {
        var failed = VisionLadder.Recipes[0] with { Id = "q2b32a", WireBytes = 0, RuntimeBytes = 0, Accuracy = 0, Error = "ORT rejected MatMulNBits bits=2" };
        var ladder = VisionLadder with { Recipes = [failed, .. VisionLadder.Recipes] };
        var allFailed = VisionLadder with { Recipes = [failed] };

        Assert.Equal("q8cs", RecipePlanner.Plan(Device(), ladder, PlanPolicy.Default).Recipe);
        Assert.Contains("every recipe of the ladder failed", Assert.Throws<InvalidDataException>(() => RecipePlanner.Plan(Device(), allFailed, PlanPolicy.Default)).Message);
    }
}
