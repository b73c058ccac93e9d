using FleetQuant.Compression.Data;
using FleetQuant.Compression.Planning;
using static FleetQuant.Compression.Tests.Planning.PlanningFixtures;

namespace FleetQuant.Compression.Tests.Planning;

public class FleetStabilityTests
{
    [Fact]
    public void Plan_MapsAThousandJitteredDevicesPerClass_OntoAHandfulOfRecipes()
    {
        var classes = FleetMix.Load(Path.Combine(SampleData.SamplesDirectory(), "profiles", "fleet-mix.json"));
        var random = new Random(2024);
        var outcomes = new Dictionary<string, HashSet<string>>();

        foreach (var (template, _) in classes)
        {
            var seen = outcomes[template.HardwareClass] = [];
            for (var i = 0; i < 1000; i++)
            {
                // Measurements jitter from device to device; the configured budget only ever grows with spare RAM.
                var device = template with
                {
                    DeviceId = $"{template.HardwareClass}-{random.Next():x8}",
                    BandwidthBitsPerSecond = (long)(template.BandwidthBitsPerSecond * (0.8 + 0.7 * random.NextDouble())),
                    ModelMemoryBudgetBytes = (long)(template.ModelMemoryBudgetBytes * (1 + 0.2 * random.NextDouble())),
                    RamBytes = template.RamBytes * 2,
                    StorageBytes = (long)(template.StorageBytes * (0.5 + random.NextDouble())),
                    DataCapBytesPerMonth = template.DataCapBytesPerMonth is { } cap ? (long)(cap * (1 + random.NextDouble())) : null,
                    Tags = new Dictionary<string, string> { ["site"] = $"site-{random.Next(100)}" },
                };
                var plan = RecipePlanner.Plan(device, VisionLadder, PlanPolicy.Default);
                seen.Add(plan.Recipe ?? "unfit");
            }
        }

        Assert.All(outcomes.Values, recipes => Assert.InRange(recipes.Count, 1, 2));
        Assert.InRange(outcomes.Values.SelectMany(r => r).Distinct().Count(), 1, 5);
        Assert.Equal(["sp75"], outcomes["mcu-gateway"]);
        Assert.Equal(["fp32"], outcomes["pi-4"]);
        Assert.Equal(["q8cs"], outcomes["jetson"]);
    }
}
