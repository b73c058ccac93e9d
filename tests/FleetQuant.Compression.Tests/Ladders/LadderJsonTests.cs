using System.Text.Json.Nodes;
using FleetQuant.Compression.Ladders;

namespace FleetQuant.Compression.Tests.Ladders;

public sealed class LadderJsonTests
{
    [Fact]
    public void ToJson_UsesTheIssuesFieldNames_AndRoundTrips()
    {
        var ladder = new Ladder(Ladder.AccuracyMetric, new LadderBaseline(1000, 5000, 0.9, 1.5),
        [
            new LadderEntry("q8cs", 8, 0, 250, 3000, 0.899, 0.001, 1.2, Pareto: true) { Cosine = 0.9999 },
            new LadderEntry("q2b32a@mp1234abcd", 2, 0.5, 90, 2000, 0.85, 0.05, 1.1, Pareto: true) { RecipeJson = "{\"steps\":[\"q2b32a\"]}" },
            new LadderEntry("km2", 2, 0, 0, 0, 0, 0, 0, Pareto: false) { Error = "step 'km2' is not implemented yet" },
        ]);

        var json = ladder.ToJson();
        var root = JsonNode.Parse(json)!.AsObject();

        Assert.Equal(1000, root["baseline"]!["wireBytes"]!.GetValue<long>());
        Assert.Equal(0.9, root["baseline"]!["accuracy"]!.GetValue<double>());
        var first = root["recipes"]![0]!.AsObject();
        foreach (var field in new[] { "id", "weightBits", "pruneRatio", "wireBytes", "runtimeBytes", "accuracy", "accuracyDrop", "latencyMs", "pareto" })
        {
            Assert.True(first.ContainsKey(field), $"missing '{field}' in {first.ToJsonString()}");
        }
        Assert.False(first.ContainsKey("error"));
        Assert.False(first.ContainsKey("failed"));
        Assert.Equal("step 'km2' is not implemented yet", root["recipes"]![2]!["error"]!.GetValue<string>());

        var back = Ladder.FromJson(json);
        Assert.Equal(ladder.Baseline, back.Baseline);
        Assert.Equal(ladder.Recipes, back.Recipes);
    }
}
