using FleetQuant.Grains.Devices;
using FleetQuant.Grains.Models;
using FleetQuant.Grains.Planning;
using FleetQuant.Grains.Tests.Support;

namespace FleetQuant.Grains.Tests;

public sealed class DeviceGrainTests(FleetClusterFixture fleet) : IClassFixture<FleetClusterFixture>
{
    private static readonly PlanPolicyInfo Lenient = new(MaxTransferSeconds: 1, MaxAccuracyDrop: 1.0);

    [Fact]
    public async Task VerifyCredentials_AcceptsOnlyTheProvisionedSecret()
    {
        var device = await fleet.ProvisionAsync("cred-1", secret: "s3cret-s3cret-s3cret");
        var generated = await fleet.Device("cred-2").Provision(new ProvisionRequest(FleetClusterFixture.Profile("cred-2"), null));

        Assert.True(await device.VerifyCredentials("s3cret-s3cret-s3cret"));
        Assert.False(await device.VerifyCredentials("s3cret-s3cret-s3creT"));
        Assert.False(await fleet.Device("cred-never").VerifyCredentials("s3cret-s3cret-s3cret"));
        Assert.True(await fleet.Device("cred-2").VerifyCredentials(generated.Secret));
    }

    [Fact]
    public async Task Hello_UnprovisionedDevice_Throws()
    {
        await Assert.ThrowsAsync<DeviceNotProvisionedException>(() =>
            fleet.Device("ghost").Hello(new DeviceHello(FleetClusterFixture.Profile("ghost"), null)));
    }

    [Fact]
    public async Task Hello_CannotChangeHardwareClassOrTags_ButUpdatesTheMeasuredProfile()
    {
        var tags = new Dictionary<string, string> { ["site"] = "north" };
        var device = await fleet.ProvisionAsync("owner-1", "pi-4", 50_000_000, tags);
        var claimed = FleetClusterFixture.Profile("owner-1", new string('x', 200_000), 10_000_000,
            new Dictionary<string, string> { ["site"] = "south", ["canary"] = "yes" });

        await device.Hello(new DeviceHello(claimed, null));
        await device.Hello(new DeviceHello(claimed with { HardwareClass = "jetson" }, null));
        var profile = (await device.GetView()).Profile!;

        Assert.Equal("pi-4", profile.HardwareClass);
        Assert.Equal(tags, profile.Tags);
        Assert.Equal(10_000_000, profile.BandwidthBitsPerSecond);
    }

    [Theory]
    [InlineData("pi 4")]
    [InlineData("pi-4{le=\"x\"}")]
    [InlineData("")]
    [InlineData("0123456789012345678901234567890123456789012345678901234567890123x")]
    public async Task Provision_RefusesAHardwareClassThatCannotBeAMetricLabel(string hardwareClass)
    {
        var request = new ProvisionRequest(FleetClusterFixture.Profile("owner-bad", hardwareClass), null);

        await Assert.ThrowsAsync<InvalidDeviceRequestException>(() => fleet.Device("owner-bad").Provision(request));
    }

    [Fact]
    public async Task Provision_RefusesA200KbClassAndUnboundedTags_AcceptsA64CharClass()
    {
        await Assert.ThrowsAsync<InvalidDeviceRequestException>(() =>
            fleet.Device("owner-huge").Provision(new ProvisionRequest(FleetClusterFixture.Profile("owner-huge", new string('x', 200_000)), null)));
        await Assert.ThrowsAsync<InvalidDeviceRequestException>(() => fleet.Device("owner-tag").Provision(new ProvisionRequest(
            FleetClusterFixture.Profile("owner-tag", tags: new Dictionary<string, string> { ["k"] = new string('v', 65) }), null)));

        await fleet.ProvisionAsync("owner-64", new string('c', 64));
    }

    [Fact]
    public async Task ReportTelemetry_AggregatesPercentilesConfidenceAndBandwidth()
    {
        var device = await fleet.ProvisionAsync("telemetry-1");

        await device.ReportTelemetry(new TelemetryReport([.. Enumerable.Range(1, 100).Select(i => (double)i)], 2, 1000, 0.8, 1_000_000));
        await device.ReportTelemetry(new TelemetryReport([], 1, 3000, null, 3_000_000));
        var t = await device.GetTelemetry();

        Assert.Equal(2, t.Reports);
        Assert.Equal(100, t.Inferences);
        Assert.Equal(3, t.Errors);
        Assert.Equal(50, t.LatencyP50Ms);
        Assert.Equal(95, t.LatencyP95Ms);
        Assert.Equal(3000, t.PeakMemoryBytes);
        Assert.Equal(0.8, t.MeanTop1Confidence!.Value, 6);
        Assert.Equal(2_000_000, t.DownloadBitsPerSecond);

        // A negative latency is out of bounds: dropped, the report kept (DeviceBoundsTests pins the rest).
        await device.ReportTelemetry(new TelemetryReport([-1], 0, 0, null, null));
        Assert.Equal(50, (await device.GetTelemetry()).LatencyP50Ms);
    }

    [Fact]
    public async Task ReportTelemetry_OldReportsLeaveTheWindow()
    {
        var device = await fleet.ProvisionAsync("telemetry-2");
        await device.ReportTelemetry(new TelemetryReport([5], 0, 100, 0.5, null));

        fleet.Time.Advance(TimeSpan.FromHours(1));

        Assert.Equal(0, (await device.GetTelemetry()).Reports);
    }

    [Fact]
    public async Task Assign_DevicesOfDifferentClasses_GetDifferentRecipes_AndUnfitIsExplained()
    {
        var version = await fleet.ReadyModelAsync("plan-model");
        var ladder = version.Ladder!;
        var smallest = ladder.Rungs.MinBy(r => r.WireBytes)!;
        // With a one-second transfer limit, the slow class can only take about the smallest recipe.
        var slowBits = smallest.WireBytes * 8 * 3 / 2;
        var fast1 = await fleet.ProvisionAsync("plan-fast-1", "jetson", 100_000_000);
        var fast2 = await fleet.ProvisionAsync("plan-fast-2", "jetson", 100_000_000);
        var slow = await fleet.ProvisionAsync("plan-slow", "lora-gw", slowBits);
        var hopeless = await fleet.ProvisionAsync("plan-hopeless", "sensor", 8);
        var assignment = new ModelAssignment("plan-model", "v1", Lenient, null, null);

        var fastPlan1 = await fast1.Assign(assignment);
        var fastPlan2 = await fast2.Assign(assignment);
        var slowPlan = await slow.Assign(assignment);
        var hopelessPlan = await hopeless.Assign(assignment);

        Assert.False(fastPlan1.Plan.Unfit);
        Assert.Equal(fastPlan1.Plan.RecipeId, fastPlan2.Plan.RecipeId);
        Assert.False(slowPlan.Plan.Unfit);
        Assert.NotEqual(fastPlan1.Plan.RecipeId, slowPlan.Plan.RecipeId);
        Assert.True(slowPlan.Plan.Bytes < fastPlan1.Plan.Bytes);
        Assert.True(slowPlan.Plan.Seconds <= 1.0);
        Assert.True(hopelessPlan.Plan.Unfit);
        Assert.Contains("unfit", hopelessPlan.Plan.Reason);
        Assert.Null(hopelessPlan.Desired);
        Assert.Equal(DeviceState.Unfit, (await hopeless.GetView()).State);

        var desired = fastPlan1.Desired!;
        Assert.Equal(1, desired.Release);
        Assert.Equal((await fleet.Client.GetGrain<IModelGrain>("plan-model").GetArtifact("v1", desired.RecipeId)).Hash, desired.ArtifactHash);
        Assert.Equal(desired, await fast1.GetDesiredState());
    }

    [Fact]
    public async Task ReportUpdate_StaleOrRepeatedRelease_IsIgnored()
    {
        await fleet.ReadyModelAsync("plan-model");
        var device = await fleet.ProvisionAsync("update-1");
        var desired = (await device.Assign(new ModelAssignment("plan-model", "v1", Lenient, null, null))).Desired!;

        await device.ReportUpdate(new UpdateProgress(desired.Release - 1, UpdateStatus.Failed, 0, "old"));
        Assert.Equal(DeviceState.Updating, (await device.GetView()).State);

        await fleet.DeliverAsync("update-1", desired);
        await device.ReportUpdate(new UpdateProgress(desired.Release, UpdateStatus.Succeeded, desired.ArtifactBytes, null));
        await device.ReportUpdate(new UpdateProgress(desired.Release, UpdateStatus.Failed, 0, "late duplicate"));
        var view = await device.GetView();

        Assert.Equal(DeviceState.UpToDate, view.State);
        Assert.Equal(desired.ArtifactHash, view.CurrentArtifactHash);
        Assert.Single(view.History);
    }

    [Fact]
    public async Task Assign_SameRolloutAgainWhileUpdating_ReturnsTheUpdateAlreadyOnItsWay()
    {
        await fleet.ReadyModelAsync("plan-model");
        var device = await fleet.ProvisionAsync("reassign-1");
        var assignment = new ModelAssignment("plan-model", "v1", Lenient, "reassign-rollout", null);
        var first = (await device.Assign(assignment)).Desired!;

        var again = await device.Assign(assignment);

        Assert.False(again.AlreadyCurrent);
        Assert.Equal(first, again.Desired);
        Assert.Equal(first, await device.GetDesiredState());

        // Once it is installed, the same assignment finds it already current.
        await fleet.DeliverAsync("reassign-1", first);
        await device.ReportUpdate(new UpdateProgress(first.Release, UpdateStatus.Succeeded, first.ArtifactBytes, null));
        var installed = await device.Assign(assignment);
        Assert.True(installed.AlreadyCurrent);
        Assert.Equal(first.Release, (await device.GetDesiredState())!.Release);
    }
}
