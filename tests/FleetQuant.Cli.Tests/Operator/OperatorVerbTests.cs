using System.Net.Http.Json;
using System.Text.Json;
using FleetQuant.Compression.Data;
using FleetQuant.TestSupport;

namespace FleetQuant.Cli.Tests.Operator;

/// <summary>The operator verbs as a process against a real all-in-one server: tables, --json, live status, one-line errors.</summary>
public sealed class OperatorVerbTests(OperatorServerFixture fixture) : IClassFixture<OperatorServerFixture>
{
    private static readonly TimeSpan LadderPatience = TimeSpan.FromMinutes(4);

    [Fact]
    public async Task ModelsPush_Wait_PrintsTheMeasuredVersion_AndShowAndListFindIt()
    {
        var pushed = await Run(LadderPatience, "models", "push", SampleData.ModelPath(SampleData.FashionMlpV1), "--model", "cli-push", "--wait", "--json");
        AssertSucceeded(pushed);
        using (var version = JsonDocument.Parse(pushed.StdOut))
        {
            Assert.Equal("Ready", version.RootElement.GetProperty("status").GetString());
            Assert.Equal("1", version.RootElement.GetProperty("version").GetString());
            Assert.Contains(version.RootElement.GetProperty("ladder").GetProperty("rungs").EnumerateArray(), r => r.GetProperty("id").GetString() == "q8cs");
        }

        var show = await Run("models", "show", "cli-push");
        AssertSucceeded(show);
        Assert.Contains("ladder of cli-push v1", show.StdOut);
        Assert.Contains("q8cs", show.StdOut);
        Assert.Contains("FP32 ONNX", show.StdOut);

        var list = await Run("models", "list", "--json");
        AssertSucceeded(list);
        using var ids = JsonDocument.Parse(list.StdOut);
        Assert.Contains(ids.RootElement.GetProperty("modelIds").EnumerateArray(), id => id.GetString() == "cli-push");
    }

    [Fact]
    public async Task Rollouts_CreatePauseResumeAbort_MoveTheStateMachine_AndWatchEndsWithTheOutcome()
    {
        await PushReadyModelAsync("cli-ro");
        await fixture.ProvisionAsync("cli-ro-dev-1", "pi4", "ro-lab");
        await fixture.ProvisionAsync("cli-ro-dev-2", "pi4", "ro-lab");

        // No agent runs, so neither device ever says hello and its assignment fails. A failure threshold of 1 keeps
        // failures from pausing the rollout; the first wave still ends below its success threshold, and the rollout
        // pauses itself to ask the operator instead of waiting forever.
        var created = await Run("rollouts", "create", "--model", "cli-ro", "--version", "1", "--id", "cli-ro-1",
            "--device", "cli-ro-dev-1", "--device", "cli-ro-dev-2", "--wave", "1", "--wave", "100%", "--failure-threshold", "1", "--json");
        AssertSucceeded(created);
        Assert.Equal("Paused", State(created.StdOut));
        Assert.Contains("success threshold; resume to continue past it", created.StdOut);

        var paused = await Run("rollouts", "pause", "cli-ro-1", "--reason", "checking dashboards", "--json");
        AssertSucceeded(paused);
        Assert.Equal("Paused", State(paused.StdOut));

        // Resuming accepts the short first wave; the second wave falls short too and pauses again.
        var resumed = await Run("rollouts", "resume", "cli-ro-1", "--json");
        AssertSucceeded(resumed);
        Assert.Equal("Paused", State(resumed.StdOut));
        Assert.Contains("wave 2 finished", resumed.StdOut);

        AssertSucceeded(await Run("rollouts", "abort", "cli-ro-1", "--reason", "wrong model"));
        var status = await Run("rollouts", "status", "cli-ro-1");
        AssertSucceeded(status);
        Assert.Contains("aborted", status.StdOut);
        Assert.Contains("wrong model", status.StdOut);

        var watch = await Run("rollouts", "status", "cli-ro-1", "--watch");
        AssertOneLineFailure(watch, "ended aborted");

        var list = await Run("rollouts", "list");
        AssertSucceeded(list);
        Assert.Contains("cli-ro-1", list.StdOut);
    }

    [Fact]
    public async Task RolloutsCreate_Watch_ExitsZeroWhenTheRolloutCompletes()
    {
        await PushReadyModelAsync("cli-watch");

        // No device carries this tag: the rollout has no targets and completes at once.
        var watched = await Run("rollouts", "create", "--model", "cli-watch", "--version", "1", "--tag", "site=nowhere", "--watch", "--json");

        AssertSucceeded(watched);
        Assert.Equal("Completed", State(watched.StdOut));
    }

    [Fact]
    public async Task RolloutsList_PagesNewestFirst_AndAllReachesTheOldest()
    {
        await PushReadyModelAsync("cli-page");
        // Created in id order, so newest first is the reverse of the id order an ordinal catalog would list.
        var created = Enumerable.Range(0, 55).Select(i => $"cli-page-{i:00}").ToList();
        foreach (var id in created)
        {
            // No device carries this tag: each rollout completes at once.
            var response = await fixture.Http.PostAsJsonAsync("/api/rollouts",
                new { rolloutId = id, modelId = "cli-page", version = 1, tags = new Dictionary<string, string> { ["site"] = "nowhere" } });
            response.EnsureSuccessStatusCode();
        }
        var newestFirst = Enumerable.Reverse(created).ToList();

        var first = await Run("rollouts", "list", "--json");
        AssertSucceeded(first);
        Assert.Equal(newestFirst.Take(50), RolloutIds(first.StdOut));
        Assert.Equal("cli-page-05", Next(first.StdOut));

        var second = await Run("rollouts", "list", "--after", "cli-page-05", "--take", "5", "--json");
        AssertSucceeded(second);
        Assert.Equal(newestFirst.Skip(50), RolloutIds(second.StdOut));

        var all = await Run("rollouts", "list", "--all", "--take", "20", "--json");
        AssertSucceeded(all);
        var everything = RolloutIds(all.StdOut);
        Assert.Equal(newestFirst, everything.Take(55));
        Assert.Equal(everything.Length, everything.Distinct().Count());
        Assert.Null(Next(all.StdOut));
    }

    [Fact]
    public async Task Devices_ListFiltersByTagClassAndState_AndShowPrintsOneDevice()
    {
        await fixture.ProvisionAsync("cli-dev-a", "jetson", "dev-site");
        await fixture.ProvisionAsync("cli-dev-b", "pi-zero-2", "dev-site");

        var byTag = await Run("devices", "list", "--tag", "site=dev-site", "--json");
        AssertSucceeded(byTag);
        Assert.Equal(["cli-dev-a", "cli-dev-b"], DeviceIds(byTag.StdOut));

        var byClass = await Run("devices", "list", "--tag", "site=dev-site", "--class", "jetson", "--json");
        Assert.Equal(["cli-dev-a"], DeviceIds(byClass.StdOut));

        var upToDate = await Run("devices", "list", "--tag", "site=dev-site", "--state", "UpToDate", "--json");
        Assert.Empty(DeviceIds(upToDate.StdOut));

        var table = await Run("devices", "list", "--tag", "site=dev-site", "--state", "Provisioned");
        AssertSucceeded(table);
        Assert.Contains("cli-dev-a", table.StdOut);
        Assert.Contains("pi-zero-2", table.StdOut);

        var show = await Run("devices", "show", "cli-dev-b");
        AssertSucceeded(show);
        Assert.Contains("cli-dev-b", show.StdOut);
        Assert.Contains("Provisioned", show.StdOut);
    }

    [Fact]
    public async Task UnknownDevice_WrongToken_AndUnreachableServer_FailWithOneLine()
    {
        AssertOneLineFailure(await Run("devices", "show", "no-such-device"), "404");
        AssertOneLineFailure(await OperatorCli.RunAsync("devices", "list", "--server", fixture.Server.Url.ToString(), "--token", "wrong-token-0123456789"), "401");
        AssertOneLineFailure(await OperatorCli.RunAsync("models", "list", "--server", "http://127.0.0.1:1", "--token", "any-token-0123456789"), "cannot reach");
        AssertOneLineFailure(await OperatorCli.RunAsync("rollouts", "list", "--server", fixture.Server.Url.ToString()), "no operator token");
    }

    [Fact]
    public async Task ServerAndToken_FromEnvironment_AreUsed()
    {
        var result = await OperatorCli.RunAsync(TimeSpan.FromMinutes(2), new Dictionary<string, string>
        {
            ["FLEETQUANT_SERVER"] = fixture.Server.Url.ToString(),
            ["FLEETQUANT_TOKEN"] = fixture.Server.Token,
        }, "rollouts", "list", "--json");

        AssertSucceeded(result);
        using var json = JsonDocument.Parse(result.StdOut);
        Assert.Equal(JsonValueKind.Array, json.RootElement.GetProperty("rollouts").ValueKind);
    }

    [Theory]
    [InlineData("--wave 'ten'", new[] { "rollouts", "create", "--model", "m", "--version", "1", "--wave", "ten" })]
    [InlineData("--take must be", new[] { "devices", "list", "--take", "0" })]
    [InlineData("--interval must be", new[] { "rollouts", "status", "r", "--interval", "0" })]
    [InlineData("--take must be", new[] { "rollouts", "list", "--take", "201" })]
    public async Task OutOfRangeArguments_AreUsageErrors(string expected, string[] args)
    {
        var result = await Run(args);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains(expected, result.StdErr);
    }

    private async Task PushReadyModelAsync(string modelId) =>
        AssertSucceeded(await Run(LadderPatience, "models", "push", SampleData.ModelPath(SampleData.FashionMlpV1), "--model", modelId, "--wait", "--json"));

    private Task<ProcessResult> Run(params string[] args) => Run(TimeSpan.FromMinutes(2), args);

    private Task<ProcessResult> Run(TimeSpan timeout, params string[] args) => OperatorCli.RunAsync(timeout, null, [.. args, .. fixture.Connection]);

    private static string? State(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.GetProperty("state").GetString();
    }

    private static string[] RolloutIds(string json)
    {
        using var document = JsonDocument.Parse(json);
        return [.. document.RootElement.GetProperty("rollouts").EnumerateArray().Select(r => r.GetProperty("rolloutId").GetString()!)];
    }

    private static string? Next(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.TryGetProperty("next", out var next) ? next.GetString() : null;
    }

    private static string[] DeviceIds(string json)
    {
        using var document = JsonDocument.Parse(json);
        return [.. document.RootElement.GetProperty("devices").EnumerateArray().Select(d => d.GetProperty("deviceId").GetString()!)];
    }

    private static void AssertSucceeded(ProcessResult result) =>
        Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}; stderr: {result.StdErr}; stdout: {result.StdOut}");

    private static void AssertOneLineFailure(ProcessResult result, string expected)
    {
        Assert.NotEqual(0, result.ExitCode);
        var lines = result.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var line = Assert.Single(lines, l => l.StartsWith("fleetquant: ", StringComparison.Ordinal));
        Assert.Contains(expected, line);
        Assert.DoesNotContain("   at ", result.StdErr);
    }
}
