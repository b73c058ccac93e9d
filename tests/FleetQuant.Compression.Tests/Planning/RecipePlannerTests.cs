using FleetQuant.Compression.Planning;
using static FleetQuant.Compression.Tests.Planning.PlanningFixtures;

namespace FleetQuant.Compression.Tests.Planning;

public class RecipePlannerTests
{
    private static readonly string[] NeonOnly = ["neon", "asimd"];

    [Fact]
    public void Plan_ChoosesQ8OverFp32_WhenEverythingFitsAndTheyAreEquallyAccurate()
    {
        var plan = RecipePlanner.Plan(Device(), VisionLadder, PlanPolicy.Default);

        Assert.False(plan.Unfit);
        Assert.Equal("q8cs", plan.Recipe);
        Assert.Equal(TransferKind.Full, plan.Transfer);
        Assert.Equal(Mib(10.4), plan.Bytes);
        Assert.StartsWith("q8cs: 89.9 %, -0.1 pt, within 0.2 pt of the most accurate", plan.Reason);
        Assert.Contains("(fp32, 90 %) and is smaller (10.4 MiB vs 41.5 MiB)", plan.Reason);
    }

    [Fact]
    public void Plan_TreatsAccuracyDifferencesWithinSamplingNoiseAsTies()
    {
        // 1,000 samples at 90 % give a standard error of the difference of about 1.3 pt: q4b32a's 1-pt loss is noise.
        var measuredOnFewSamples = VisionLadder with { EvalSamples = 1000 };

        var plan = RecipePlanner.Plan(Device(), measuredOnFewSamples, PlanPolicy.Default);

        Assert.Equal("q4b32a", plan.Recipe);
        Assert.Contains("within 1.34 pt of the most accurate", plan.Reason);
        Assert.Equal("q8cs", RecipePlanner.Plan(Device(), VisionLadder with { EvalSamples = 1_000_000 }, PlanPolicy.Default).Recipe);
    }

    [Fact]
    public void Plan_ChoosesSmallerRecipe_WhenBandwidthIsLow()
    {
        var fast = RecipePlanner.Plan(Device(bandwidth: 100_000_000), VisionLadder, PlanPolicy.Default);
        var slow = RecipePlanner.Plan(Device(bandwidth: 100_000), VisionLadder, PlanPolicy.Default);

        Assert.Equal("km4", slow.Recipe);
        Assert.True(slow.Bytes < fast.Bytes);
        Assert.True(slow.Seconds <= PlanPolicy.Default.MaxTransferSeconds);
        Assert.Equal(Math.Round(Mib(5.6) * 8 / 100_000.0, 2), slow.Seconds);
        Assert.Contains("fits 2 GiB and 600 s at 100 kbit/s", slow.Reason);
        Assert.Contains("fp32 needs 3481 s to download", slow.Reason);
    }

    [Fact]
    public void Plan_ChoosesSmallerRecipe_WhenMemoryBudgetIsSmall()
    {
        var plan = RecipePlanner.Plan(Device(budgetMiB: 40), VisionLadder, PlanPolicy.Default);

        Assert.Equal("q4b32a", plan.Recipe);
        Assert.Equal(
            "q4b32a: most accurate (89 %, -1 pt) that fits 40 MiB and 600 s at 100 Mbit/s; "
            + "fp32 needs 100 MiB of runtime memory; full artifact 6 MiB, 0.5 s",
            plan.Reason);
    }

    [Fact]
    public void Plan_IsUnfit_NamingRuntimeMemoryWithNumbers_WhenNothingFitsTheBudget()
    {
        var plan = RecipePlanner.Plan(Device(budgetMiB: 6), VisionLadder, PlanPolicy.Default);

        Assert.True(plan.Unfit);
        Assert.Null(plan.Recipe);
        Assert.Null(plan.Transfer);
        Assert.Equal("unfit: smallest recipe sp50+q4b32a needs 7 MiB of runtime memory, budget 6 MiB", plan.Reason);
    }

    [Fact]
    public void Plan_IsUnfit_NamingDownloadTimeWithNumbers_WhenTheLinkIsTooSlow()
    {
        var plan = RecipePlanner.Plan(Device(bandwidth: 25_000), VisionLadder, PlanPolicy.Default);

        Assert.True(plan.Unfit);
        Assert.Equal("unfit: quickest download sp50+q4b32a (2.5 MiB) needs 839 s at 25 kbit/s, limit 600 s", plan.Reason);
    }

    [Fact]
    public void Plan_KeepsUpdatesWithinTheDataCapShare()
    {
        // 10 % of 40 MB is 4 MB (3.81 MiB): only sp50+q4b32a (2.5 MiB) fits within the accuracy limit.
        var plan = RecipePlanner.Plan(Device(dataCap: 40_000_000), VisionLadder, PlanPolicy.Default);

        Assert.Equal("sp50+q4b32a", plan.Recipe);
        Assert.Contains("within a 3.81 MiB data-cap allowance", plan.Reason);
        Assert.Contains("fp32 needs 41.5 MiB, data-cap allowance 3.81 MiB", plan.Reason);
    }

    [Fact]
    public void Plan_IsUnfit_NamingTheDataCap_WhenEvenTheSmallestUpdateExceedsTheShare()
    {
        var plan = RecipePlanner.Plan(Device(dataCap: 20_000_000), VisionLadder, PlanPolicy.Default);

        Assert.True(plan.Unfit);
        Assert.Equal("unfit: smallest download sp50+q4b32a is 2.5 MiB, but 10 % of the 19.1 MiB/month data cap allows 1.91 MiB", plan.Reason);
    }

    [Fact]
    public void Plan_HonoursALargerDataCapShareFromThePolicy()
    {
        // 30 % of 20 MB is 6 MB: km4 (5.6 MiB) now fits, q4b32a (6 MiB) still does not.
        var policy = PlanPolicy.Default with { MaxDataCapShare = 0.3 };

        var plan = RecipePlanner.Plan(Device(dataCap: 20_000_000), VisionLadder, policy);

        Assert.Equal("km4", plan.Recipe);
    }

    [Fact]
    public void Plan_RejectsRecipesOverTheMaxDrop()
    {
        var strict = PlanPolicy.Default with { MaxAccuracyDrop = 0.005 };

        var plan = RecipePlanner.Plan(Device(budgetMiB: 40), VisionLadder, strict);

        Assert.True(plan.Unfit);
        Assert.Equal("unfit: smallest recipe dq8 needs 46 MiB of runtime memory, budget 40 MiB", plan.Reason);
    }

    [Fact]
    public void Plan_IsUnfit_NamingTheDrop_WhenEveryRecipeLosesTooMuch()
    {
        var ladder = VisionLadder with { Recipes = VisionLadder.Recipes.Where(r => r.Id != "fp32").ToList() };

        var plan = RecipePlanner.Plan(Device(), ladder, PlanPolicy.Default with { MaxAccuracyDrop = 0 });

        Assert.Equal("unfit: every recipe loses more accuracy than allowed: least loss q8cs 0.1 pt, limit 0 pt", plan.Reason);
    }

    [Fact]
    public void Plan_MeetsMinAccuracy_EvenWhenASmallerRecipeIsWithinTolerance()
    {
        var plan = RecipePlanner.Plan(Device(), VisionLadder, PlanPolicy.Default with { MinAccuracy = 0.8995 });

        Assert.Equal("fp32", plan.Recipe);
        Assert.StartsWith("fp32: most accurate (90 %, no loss)", plan.Reason);
    }

    [Fact]
    public void Plan_IsUnfit_NamingMinAccuracy_WhenNoRecipeReachesIt()
    {
        var plan = RecipePlanner.Plan(Device(), VisionLadder, PlanPolicy.Default with { MinAccuracy = 0.95 });

        Assert.Equal("unfit: most accurate recipe fp32 reaches 90 %, minimum 95 %", plan.Reason);
    }

    [Fact]
    public void Plan_PrefersEquallyAccurateFloatRecipe_WhenCpuLacksIntegerDotProduct()
    {
        var withoutDot = RecipePlanner.Plan(Device(budgetMiB: 512, bandwidth: 20_000_000, features: NeonOnly), VisionLadder, PlanPolicy.Default);
        var withDot = RecipePlanner.Plan(Device(budgetMiB: 512, bandwidth: 20_000_000), VisionLadder, PlanPolicy.Default);

        Assert.Equal("fp32", withoutDot.Recipe);
        Assert.Equal("q8cs", withDot.Recipe);
    }

    [Fact]
    public void Plan_ExplainsTheFloatChoice_OnAnArmv7Gateway()
    {
        var gateway = Device(budgetMiB: 8, bandwidth: 250_000, arch: "armv7", features: ["neon", "vfpv4"]);

        var plan = RecipePlanner.Plan(gateway, VisionLadder, PlanPolicy.Default);

        Assert.Equal("sp75", plan.Recipe);
        Assert.Contains("(sp50+q4b32a, 88.1 %) and runs float kernels (armv7 lacks integer dot-product instructions)", plan.Reason);
    }

    [Fact]
    public void Plan_TakesTheSmallerIntegerRecipe_OnTheSameBudgetWithDotProduct()
    {
        var plan = RecipePlanner.Plan(Device(budgetMiB: 8, bandwidth: 250_000, features: ["asimddp"]), VisionLadder, PlanPolicy.Default);

        Assert.Equal("sp50+q4b32a", plan.Recipe);
    }

    [Fact]
    public void Plan_SaysIntegerKernelsAreSlow_WhenNoEquallyAccurateFloatRecipeFits()
    {
        var piZero = Device(budgetMiB: 64, bandwidth: 2_000_000, features: NeonOnly);

        var plan = RecipePlanner.Plan(piZero, VisionLadder, PlanPolicy.Default);

        Assert.Equal("q8cs", plan.Recipe);
        Assert.Contains("integer kernels run slowly on arm64 without dot-product instructions", plan.Reason);
    }

    [Fact]
    public void Plan_BreaksExactTiesByWireBytesThenId()
    {
        var tied = VisionLadder with
        {
            Recipes =
            [
                VisionLadder.Recipes[1] with { Id = "q8ts" },
                VisionLadder.Recipes[1],
                VisionLadder.Recipes[1] with { Id = "q8ca", WireBytes = VisionLadder.Recipes[1].WireBytes + 1 },
            ],
        };

        var plan = RecipePlanner.Plan(Device(), tied, PlanPolicy.Default);

        Assert.Equal("q8cs", plan.Recipe);
    }

    [Fact]
    public void Plan_SendsDelta_WhenDeltaIsSmallerThanTheArtifact()
    {
        var current = new CurrentModel { RecipeId = "q8cs", DeltaBytesByRecipe = new Dictionary<string, long> { ["q8cs"] = Mib(1) } };

        var plan = RecipePlanner.Plan(Device(), VisionLadder, PlanPolicy.Default, current);

        Assert.Equal("q8cs", plan.Recipe);
        Assert.Equal(TransferKind.Delta, plan.Transfer);
        Assert.Equal(Mib(1), plan.Bytes);
        Assert.EndsWith("delta from q8cs: 1 MiB instead of 10.4 MiB, 0.08 s", plan.Reason);
    }

    [Fact]
    public void Plan_SendsFullArtifact_WhenDeltaIsLargerThanTheArtifact()
    {
        var current = new CurrentModel { RecipeId = "fp32", DeltaBytesByRecipe = new Dictionary<string, long> { ["q8cs"] = Mib(20) } };

        var plan = RecipePlanner.Plan(Device(), VisionLadder, PlanPolicy.Default, current);

        Assert.Equal(TransferKind.Full, plan.Transfer);
        Assert.Equal(Mib(10.4), plan.Bytes);
    }

    [Fact]
    public void Plan_KeepsTheMoreAccurateRecipe_WhenItsDeltaFitsASlowLink()
    {
        var current = new CurrentModel { RecipeId = "q8cs", DeltaBytesByRecipe = new Dictionary<string, long> { ["q8cs"] = Mib(2) } };

        var plan = RecipePlanner.Plan(Device(bandwidth: 100_000), VisionLadder, PlanPolicy.Default, current);

        Assert.Equal("q8cs", plan.Recipe);
        Assert.Equal(TransferKind.Delta, plan.Transfer);
    }

    [Fact]
    public void Plan_DependsOnlyOnClassQuantities_NotOnDeviceIdOrTags()
    {
        var a = Device(bandwidth: 260_000, id: "gw-a") with { Tags = new Dictionary<string, string> { ["site"] = "north" } };
        var b = Device(bandwidth: 310_000, id: "gw-b") with { RamBytes = 32L * 1024 * MiB };

        Assert.Equal(RecipePlanner.Plan(a, VisionLadder, PlanPolicy.Default), RecipePlanner.Plan(b, VisionLadder, PlanPolicy.Default));
    }
}
