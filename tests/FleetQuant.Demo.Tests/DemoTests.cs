using System.Text.Json;

namespace FleetQuant.Demo.Tests;

/// <summary>The one-command demo as a process with a small fleet: everything comes up, both rollouts finish, the JSON adds up.</summary>
public sealed class DemoTests
{
    [Fact]
    public async Task Demo_SmallFleet_UpdatesEveryDevice_AndSendsFarLessThanFp32()
    {
        var result = await DemoProcess.RunAsync(TimeSpan.FromMinutes(8), "--devices", "20", "--json");

        Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}; stderr: {result.StdErr}");
        using var json = JsonDocument.Parse(result.StdOut);
        var root = json.RootElement;
        Assert.Equal(20, root.GetProperty("devices").GetInt32());
        Assert.Equal(20, root.GetProperty("updated").GetInt32());
        Assert.Equal(0, root.GetProperty("failed").GetInt32());
        var sent = root.GetProperty("bytesSent").GetInt64();
        var baseline = root.GetProperty("bytesBaseline").GetInt64();
        Assert.Equal(2 * 20 * 941_521L + 20 * 29L, baseline);
        Assert.True(sent > 0 && sent * 10 <= baseline, $"sent {sent} B against a {baseline} B FP32 baseline");
        Assert.Equal(Math.Round((double)baseline / sent, 2), root.GetProperty("savedRatio").GetDouble(), 2);

        var rollouts = root.GetProperty("rollouts").EnumerateArray().ToList();
        Assert.Equal(2, rollouts.Count);
        Assert.All(rollouts, r => Assert.Equal("Completed", r.GetProperty("state").GetString()));
        Assert.Equal(20, rollouts[0].GetProperty("fullTransfers").GetInt32());
        Assert.Equal(20, rollouts[1].GetProperty("deltaTransfers").GetInt32());
        Assert.True(rollouts[1].GetProperty("bytesSent").GetInt64() < rollouts[0].GetProperty("bytesSent").GetInt64() / 2,
            "v2 travels as deltas, far smaller than the v1 artifacts");
        Assert.Equal(20, root.GetProperty("fleet").EnumerateArray().Sum(g => g.GetProperty("devices").GetInt32()));
        Assert.Equal(4, root.GetProperty("fleet").EnumerateArray().Select(g => g.GetProperty("hardwareClass").GetString()).Distinct().Count());
    }

    [Theory]
    [InlineData("--devices must be", new[] { "--devices", "0" })]
    [InlineData("--wave must be", new[] { "--wave", "ten" })]
    [InlineData("--token must be", new[] { "--token", "short" })]
    public async Task OutOfRangeArguments_AreUsageErrors(string expected, string[] args)
    {
        var result = await DemoProcess.RunAsync(TimeSpan.FromMinutes(1), args);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains(expected, result.StdErr);
    }
}
