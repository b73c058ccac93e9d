using System.Text.Json.Nodes;
using FleetQuant.Compression.Data;
using FleetQuant.Compression.Ladders;
using FleetQuant.Compression.Planning;

namespace FleetQuant.Cli.Tests.Output;

/// <summary>An accuracy drop reads the same wherever it is printed: ladder tables, plan reasons (and so <c>devices show</c>).</summary>
public sealed class AccuracyChangeTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fq-acc").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData(0.004, "-0.4 pt")]
    [InlineData(-0.004, "+0.4 pt")]
    [InlineData(0.0123, "-1.23 pt")]
    [InlineData(0, "no loss")]
    [InlineData(-0.0000001, "no loss")]
    public void AccuracyChange_IsTheSignedChangeOfAccuracy(double drop, string expected)
    {
        Assert.Equal(expected, HumanUnits.AccuracyChange(drop));
    }

    [Fact]
    public void LadderTableAndPlanReason_PrintTheChosenRecipesDropTheSameWay()
    {
        var json = Path.Combine(_dir, "ladder.json");
        var ladder = CliProcess.Run("ladder", "--model", SampleData.ModelPath(SampleData.FashionMlpV1), "--data", SampleData.FindCommittedEvalSet(),
            "--recipes", "q8cs,q4b32a", "--no-mixed", "--latency-runs", "2", "--json", json);
        Assert.True(ladder.ExitCode == 0, ladder.StdErr);
        var plan = CliProcess.Run("plan", "--ladder", json, "--profile", Path.Combine(SampleData.SamplesDirectory(), "profiles", "jetson.json"), "--json");
        Assert.True(plan.ExitCode == 0, plan.StdErr);

        var chosen = (string)JsonNode.Parse(plan.StdOut)!["recipe"]!;
        var expected = HumanUnits.AccuracyChange(Ladder.FromJson(File.ReadAllText(json)).Recipes.Single(r => r.Id == chosen).AccuracyDrop);
        Assert.Contains(expected, (string)JsonNode.Parse(plan.StdOut)!["reason"]!);
        var row = ladder.StdOut.Split('\n').Single(line => line.Contains($" {chosen} ", StringComparison.Ordinal));
        Assert.Contains(expected, row);
    }
}
