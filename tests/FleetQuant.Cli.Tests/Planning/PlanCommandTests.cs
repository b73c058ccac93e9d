using System.Text.Json.Nodes;
using FleetQuant.Compression.Data;
using FleetQuant.Compression.Ladders;
using FleetQuant.TestSupport;

namespace FleetQuant.Cli.Tests.Planning;

public sealed class PlanCommandTests : IDisposable
{
    private const long MiB = 1 << 20;

    private readonly string _dir = Directory.CreateTempSubdirectory("fq-plan").FullName;
    private readonly string _ladder;

    public PlanCommandTests()
    {
        // fp32 and q8cs are within the 0.2 pt tolerance; only sp75 fits an 8 MiB budget.
        var ladder = new Ladder(
            Ladder.AccuracyMetric,
            new LadderBaseline(40 * MiB, 100 * MiB, 0.90, 30),
            [
                new LadderEntry("fp32", 32, 0, 40 * MiB, 100 * MiB, 0.900, 0, 30, true),
                new LadderEntry("q8cs", 8, 0, 10 * MiB, 48 * MiB, 0.899, 0.001, 26, true),
                new LadderEntry("sp75", 32, 0.75, 5 * MiB, 7 * MiB, 0.885, 0.015, 9, true),
            ]);
        _ladder = Path.Combine(_dir, "ladder.json");
        File.WriteAllText(_ladder, ladder.ToJson());
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void PlanJson_PrintsRecipeTransferBytesSecondsAndReason()
    {
        var result = CliProcess.Run("plan", "--ladder", _ladder, "--profile", Profile("jetson"), "--json");

        Assert.Equal(0, result.ExitCode);
        var plan = JsonNode.Parse(result.StdOut)!.AsObject();
        Assert.Equal(["recipe", "transfer", "bytes", "seconds", "reason"], plan.Select(p => p.Key));
        Assert.Equal("q8cs", (string?)plan["recipe"]);
        Assert.Equal("full", (string?)plan["transfer"]);
        Assert.Equal(10 * MiB, (long?)plan["bytes"]);
        Assert.Equal(0.84, (double?)plan["seconds"]);
        Assert.StartsWith("q8cs: ", (string?)plan["reason"]);
    }

    [Fact]
    public void PlanJson_ReportsDelta_WhenCurrentRecipeAndDeltaSizeAreGiven()
    {
        var result = CliProcess.Run(
            "plan", "--ladder", _ladder, "--profile", Profile("jetson"), "--current", "q8cs", "--delta", "q8cs=4096", "--json");

        var plan = JsonNode.Parse(result.StdOut)!.AsObject();
        Assert.Equal("delta", (string?)plan["transfer"]);
        Assert.Equal(4096, (long?)plan["bytes"]);
    }

    [Fact]
    public void PlanJson_PrintsUnfitWithTheReason_AndExitsZero()
    {
        var policy = Path.Combine(_dir, "policy.json");
        File.WriteAllText(policy, """{ "maxAccuracyDrop": 0.01 }""");

        var result = CliProcess.Run("plan", "--ladder", _ladder, "--profile", Profile("mcu-gateway"), "--policy", policy, "--json");

        Assert.Equal(0, result.ExitCode);
        var plan = JsonNode.Parse(result.StdOut)!.AsObject();
        Assert.Equal(["unfit", "reason"], plan.Select(p => p.Key));
        Assert.True((bool?)plan["unfit"]);
        Assert.Equal("unfit: smallest recipe q8cs needs 48 MiB of runtime memory, budget 8 MiB", (string?)plan["reason"]);
    }

    [Fact]
    public void Plan_WithoutJson_PrintsAHumanSummary()
    {
        var result = CliProcess.Run("plan", "--ladder", _ladder, "--profile", Profile("mcu-gateway"));

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("recipe    sp75", result.StdOut);
        Assert.Contains("transfer  full", result.StdOut);
    }

    [Fact]
    public void Plan_BadInput_ExitsNonZeroWithOneLine()
    {
        var zeroBandwidth = Path.Combine(_dir, "zero.json");
        File.WriteAllText(zeroBandwidth, File.ReadAllText(Profile("pi-4")).Replace("\"bandwidthBitsPerSecond\": 20000000", "\"bandwidthBitsPerSecond\": 0"));
        var badPolicy = Path.Combine(_dir, "bad-policy.json");
        File.WriteAllText(badPolicy, """{ "maxAccuracyDrop": 3 }""");

        AssertOneLineFailure(CliProcess.Run("plan", "--ladder", _ladder, "--profile", zeroBandwidth), "bandwidthBitsPerSecond must be positive, got 0");
        AssertOneLineFailure(CliProcess.Run("plan", "--ladder", _ladder, "--profile", Profile("pi-4"), "--policy", badPolicy), "maxAccuracyDrop");
        AssertOneLineFailure(CliProcess.Run("plan", "--ladder", Path.Combine(_dir, "none.json"), "--profile", Profile("pi-4")), "ladder file not found");
        AssertOneLineFailure(CliProcess.Run("plan", "--ladder", _ladder, "--profile", Profile("pi-4"), "--delta", "q8cs=1"), "--delta needs --current");
    }

    private static string Profile(string name) => Path.Combine(SampleData.SamplesDirectory(), "profiles", name + ".json");

    private static void AssertOneLineFailure(ProcessResult result, string expected)
    {
        Assert.NotEqual(0, result.ExitCode);
        var lines = result.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, $"expected one line on stderr, got:\n{result.StdErr}");
        Assert.Contains(expected, lines[0]);
        Assert.Equal("", result.StdOut);
    }
}
