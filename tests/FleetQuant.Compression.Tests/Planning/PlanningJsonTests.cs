using System.Text.Json.Nodes;
using FleetQuant.Compression.Data;
using FleetQuant.Compression.Planning;
using static FleetQuant.Compression.Tests.Planning.PlanningFixtures;

namespace FleetQuant.Compression.Tests.Planning;

public class PlanningJsonTests
{
    private const string MinimalProfile = """
        {
          "deviceId": "d1", "hardwareClass": "pi-4", "arch": "arm64", "cpuCores": 4,
          "ramBytes": 4294967296, "modelMemoryBudgetBytes": 536870912, "storageBytes": 34359738368,
          "bandwidthBitsPerSecond": 20000000
        }
        """;

    [Fact]
    public void ParseProfile_ReadsCamelCaseAndDefaultsOptionalFields()
    {
        var profile = PlanningJson.ParseProfile(MinimalProfile);

        Assert.Equal("pi-4", profile.HardwareClass);
        Assert.Equal(512 * MiB, profile.ModelMemoryBudgetBytes);
        Assert.Empty(profile.CpuFeatures);
        Assert.Null(profile.DataCapBytesPerMonth);
        Assert.Empty(profile.Tags);
    }

    [Fact]
    public void ParseProfile_RoundTripsEveryField()
    {
        var original = Device(dataCap: 123_000_000) with { Tags = new Dictionary<string, string> { ["site"] = "x" }, OrtVersion = "1.31.1" };

        var parsed = PlanningJson.ParseProfile(PlanningJson.ToJson(original));

        Assert.Equal(PlanningJson.ToJson(original), PlanningJson.ToJson(parsed));
        Assert.Equal(original.CpuFeatures, parsed.CpuFeatures);
        Assert.Equal("x", parsed.Tags["site"]);
        Assert.Equal(123_000_000, parsed.DataCapBytesPerMonth);
    }

    [Theory]
    [InlineData("\"deviceId\": \"d1\", ", "", "missing required properties including: 'deviceId'")]
    [InlineData("\"cpuCores\": 4", "\"cpuCores\": 4, \"gpu\": true", "'gpu' could not be mapped")]
    [InlineData("\"cpuCores\": 4", "\"cpuCores\": \"four\"", "(at $.cpuCores)")]
    [InlineData("\"bandwidthBitsPerSecond\": 20000000", "\"bandwidthBitsPerSecond\": 0", "bandwidthBitsPerSecond must be positive")]
    [InlineData("\"arch\": \"arm64\"", "\"arch\": null", "arch")]
    public void ParseProfile_ReportsTheFieldThatIsWrong(string from, string to, string expected)
    {
        var ex = Assert.Throws<ProfileException>(() => PlanningJson.ParseProfile(MinimalProfile.Replace(from, to)));

        Assert.Contains(expected, ex.Message);
        Assert.DoesNotContain("FleetQuant.Compression", ex.Message);
    }

    [Theory]
    [InlineData("null")]
    [InlineData("[]")]
    [InlineData("{")]
    [InlineData("")]
    public void ParseProfile_RejectsJsonThatIsNotAProfileObject(string json)
    {
        Assert.Throws<ProfileException>(() => PlanningJson.ParseProfile(json));
    }

    [Fact]
    public void ParseProfile_RejectsDeeplyNestedInputWithoutCrashing()
    {
        var hostile = "{\"tags\":" + new string('[', 10_000) + new string(']', 10_000) + "}";

        Assert.Throws<ProfileException>(() => PlanningJson.ParseProfile(hostile));
    }

    [Fact]
    public void LoadProfile_RefusesOversizedFiles()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, new string(' ', (int)PlanningJson.MaxFileBytes + 1));

            var ex = Assert.Throws<ProfileException>(() => PlanningJson.LoadProfile(path));

            Assert.Contains("a profile is at most", ex.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void ParsePolicy_AppliesDefaultsAndRejectsUnknownFields()
    {
        var policy = PlanningJson.ParsePolicy("""{ "maxTransferSeconds": 120, "minAccuracy": 0.85 }""");

        Assert.Equal(120, policy.MaxTransferSeconds);
        Assert.Equal(0.85, policy.MinAccuracy);
        Assert.Equal(PlanPolicy.Default.MaxAccuracyDrop, policy.MaxAccuracyDrop);
        Assert.Equal(0.10, policy.MaxDataCapShare);
        Assert.Contains("'maxDrop' could not be mapped", Assert.Throws<ProfileException>(() => PlanningJson.ParsePolicy("""{ "maxDrop": 0.1 }""")).Message);
        Assert.Contains("maxAccuracyDrop is a fraction", Assert.Throws<ProfileException>(() => PlanningJson.ParsePolicy("""{ "maxAccuracyDrop": 2 }""")).Message);
    }

    [Fact]
    public void SampleProfilesAndFleetMix_LoadAndValidate()
    {
        var directory = Path.Combine(SampleData.SamplesDirectory(), "profiles");

        var mix = FleetMix.Load(Path.Combine(directory, "fleet-mix.json"));
        var policy = PlanningJson.LoadPolicy(Path.Combine(directory, "policy-default.json"));

        Assert.Equal(["mcu-gateway", "pi-zero-2", "pi-4", "jetson"], mix.Select(c => c.Profile.HardwareClass));
        Assert.Equal(1.0, mix.Sum(c => c.Share), 9);
        Assert.Equal(8 * MiB, mix[0].Profile.ModelMemoryBudgetBytes);
        Assert.Equal(250_000, mix[0].Profile.BandwidthBitsPerSecond);
        Assert.Equal(PlanPolicy.Default, policy);
    }

    [Fact]
    public void PlanToJson_WritesTheCliFields()
    {
        var fit = JsonNode.Parse(PlanningJson.ToJson(new Plan { Recipe = "q8cs", Transfer = TransferKind.Delta, Bytes = 42, Seconds = 1.5, Reason = "r" }))!.AsObject();
        var unfit = JsonNode.Parse(PlanningJson.ToJson(new Plan { Unfit = true, Reason = "unfit: x" }))!.AsObject();

        Assert.Equal(["recipe", "transfer", "bytes", "seconds", "reason"], fit.Select(p => p.Key));
        Assert.Equal("delta", (string?)fit["transfer"]);
        Assert.Equal(42, (long?)fit["bytes"]);
        Assert.Equal(["unfit", "reason"], unfit.Select(p => p.Key));
        Assert.True((bool?)unfit["unfit"]);
    }
}
