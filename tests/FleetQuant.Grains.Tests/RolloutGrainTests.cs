using FleetQuant.Grains.Devices;
using FleetQuant.Grains.Models;
using FleetQuant.Grains.Planning;
using FleetQuant.Grains.Rollouts;
using FleetQuant.Grains.Tests.Support;
using FleetQuant.TestSupport;

namespace FleetQuant.Grains.Tests;

public sealed class RolloutGrainTests(FleetClusterFixture fleet) : IClassFixture<FleetClusterFixture>
{
    private const string Model = "rollout-model";
    private static readonly PlanPolicyInfo Lenient = new(MaxTransferSeconds: 60, MaxAccuracyDrop: 1.0);

    [Fact]
    public async Task Waves_AdvanceWhenSuccessThresholdIsMet_ThenComplete()
    {
        var ids = await ProvisionSuiteAsync("waves", 10);
        var rollout = await StartAsync("waves", [WaveSpec.Devices(2), WaveSpec.PercentOf(100)], success: 0.5);

        var first = await rollout.GetView();
        Assert.Equal(RolloutState.Running, first.State);
        Assert.Equal(2, first.Counts[DeviceRolloutStatus.Dispatched]);
        Assert.Equal(8, first.Counts[DeviceRolloutStatus.Waiting]);

        await SucceedAsync(ids[..1]);
        await WaitForAsync(rollout, v => v.Counts[DeviceRolloutStatus.Succeeded] == 1);
        var advanced = await rollout.Tick();
        Assert.Equal(1, advanced.CurrentWave);
        Assert.Equal(9, advanced.Counts[DeviceRolloutStatus.Dispatched]);

        await SucceedAsync(ids);
        await WaitForAsync(rollout, v => v.Counts[DeviceRolloutStatus.Succeeded] == 10);
        var done = await rollout.Tick();
        Assert.Equal(RolloutState.Completed, done.State);
        foreach (var id in ids)
        {
            Assert.Equal(DeviceState.UpToDate, (await fleet.Device(id).GetView()).State);
        }
    }

    [Fact]
    public async Task Failures_OverThreshold_PauseTheRollout()
    {
        var ids = await ProvisionSuiteAsync("pause", 4);
        var rollout = await StartAsync("pause", [WaveSpec.PercentOf(100)], failure: 0.25, onFailure: FailureAction.Pause);

        await FailAsync(ids[..1]);
        var afterOne = await WaitForAsync(rollout, v => v.Counts[DeviceRolloutStatus.Failed] == 1);
        Assert.Equal(RolloutState.Running, afterOne.State);
        await FailAsync(ids[1..2]);
        var paused = await WaitForAsync(rollout, v => v.State == RolloutState.Paused);

        Assert.Contains("2 of 4 devices failed", paused.Reason);
        Assert.Equal(RolloutState.Paused, (await rollout.Tick()).State);
    }

    [Fact]
    public async Task WaveSettledBelowSuccessThreshold_Pauses_AndResumeAcceptsIt()
    {
        var ids = await ProvisionSuiteAsync("short", 4);
        var rollout = await StartAsync("short", [WaveSpec.PercentOf(100)], success: 1.0, failure: 0.5, onFailure: FailureAction.Pause);

        await SucceedAsync(ids[..3]);
        await FailAsync(ids[3..]);
        // Outcomes are one-way calls; once all four have landed the next tick sees a settled, short wave.
        await WaitForAsync(rollout, v => v.Counts[DeviceRolloutStatus.Succeeded] == 3 && v.Counts[DeviceRolloutStatus.Failed] == 1);
        var paused = await rollout.Tick();

        Assert.Equal(RolloutState.Paused, paused.State);
        Assert.Contains("3 of 4 devices updated", paused.Reason);
        var resumed = await rollout.Resume();
        Assert.Equal(RolloutState.Completed, resumed.State);
        Assert.Contains("accepted below its success threshold", resumed.Reason);
    }

    [Fact]
    public async Task Failures_OverThreshold_AbortWhenConfigured_AndStopDispatching()
    {
        var ids = await ProvisionSuiteAsync("abort", 6);
        var rollout = await StartAsync("abort", [WaveSpec.Devices(2), WaveSpec.PercentOf(100)], failure: 0.4, onFailure: FailureAction.Abort);

        await FailAsync(ids[..1]);
        var aborted = await WaitForAsync(rollout, v => v.State == RolloutState.Aborted);

        Assert.StartsWith("aborted", aborted.Reason);
        Assert.Equal(4, (await rollout.Tick()).Counts[DeviceRolloutStatus.Waiting]);
    }

    [Fact]
    public async Task HealthGate_HoldsTheWaveUntilSoakTimePasses()
    {
        var ids = await ProvisionSuiteAsync("soak", 6);
        var rollout = await StartAsync("soak", [WaveSpec.Devices(2), WaveSpec.PercentOf(100)], health: new HealthGate(TimeSpan.FromMinutes(10), null, null));

        await SucceedAsync(ids[..2]);
        await WaitForAsync(rollout, v => v.Counts[DeviceRolloutStatus.Succeeded] == 2);
        var held = await rollout.Tick();
        Assert.Equal(0, held.CurrentWave);
        Assert.Contains("soaking", held.Hold);

        fleet.Time.Advance(TimeSpan.FromMinutes(9));
        Assert.Equal(0, (await rollout.Tick()).CurrentWave);
        fleet.Time.Advance(TimeSpan.FromMinutes(2));
        var advanced = await rollout.Tick();

        Assert.Equal(1, advanced.CurrentWave);
        Assert.Null(advanced.Hold);
        Assert.Equal(4, advanced.Counts[DeviceRolloutStatus.Dispatched]);
    }

    [Fact]
    public async Task HealthGate_CanarySendingOverflowingTelemetry_DoesNotFreezeTheRollout()
    {
        var ids = await ProvisionSuiteAsync("overflow", 6);
        foreach (var id in ids[2..])
        {
            await fleet.Device(id).ReportTelemetry(new TelemetryReport([10, 10, 10, 10], 0, 1000, 0.9, null));
        }
        var rollout = await StartAsync("overflow", [WaveSpec.Devices(2), WaveSpec.PercentOf(100)],
            health: new HealthGate(TimeSpan.Zero, MaxLatencyRegression: 0.2, MaxConfidenceDrop: 0.05));

        await SucceedAsync(ids[..2]);
        await WaitForAsync(rollout, v => v.Counts[DeviceRolloutStatus.Succeeded] == 2);
        for (var i = 0; i < 5; i++)
        {
            await fleet.Device(ids[0]).ReportTelemetry(new TelemetryReport([10, 10], 0, long.MaxValue, 0.9, long.MaxValue));
            await fleet.Device(ids[1]).ReportTelemetry(new TelemetryReport([1.7e308, 10], 0, 1000, double.NaN, 1_000_000));
        }
        var advanced = await rollout.Tick();

        Assert.Null(advanced.Hold);
        Assert.Equal(1, advanced.CurrentWave);
    }

    [Fact]
    public async Task ReportUpdate_SucceededWithoutFetchingTheRelease_IsFlaggedCountedAndNotARolloutSuccess()
    {
        using var rejections = new MetricCapture("fleetquant.rejected");
        var ids = await ProvisionSuiteAsync("unverified", 4);
        var rollout = await StartAsync("unverified", [WaveSpec.PercentOf(100)], success: 0.25, failure: 1.0);
        var desired = await Task.WhenAll(ids.Select(id => fleet.Device(id).GetDesiredState()));

        // 0: claims success, fetched nothing. 1: fetched the first half twice (repeats are not new bytes).
        // 2: says hello with the new hash, fetched nothing. 3: fetched it all.
        await fleet.Device(ids[0]).ReportUpdate(new UpdateProgress(desired[0]!.Release, UpdateStatus.Succeeded, desired[0]!.TransferBytes, null));
        await fleet.Device(ids[1]).RecordChunkServed(desired[1]!.ArtifactHash, 0, desired[1]!.ArtifactBytes / 2 + 1);
        await fleet.Device(ids[1]).RecordChunkServed(desired[1]!.ArtifactHash, 0, desired[1]!.ArtifactBytes / 2 + 1);
        await fleet.Device(ids[1]).ReportUpdate(new UpdateProgress(desired[1]!.Release, UpdateStatus.Succeeded, desired[1]!.TransferBytes, null));
        await fleet.Device(ids[2]).Hello(new DeviceHello(FleetClusterFixture.Profile(ids[2], tags: new Dictionary<string, string> { ["suite"] = "unverified" }),
            desired[2]!.ArtifactHash));
        await SucceedAsync(ids[3..]);
        var view = await WaitForAsync(rollout, v => v.Counts[DeviceRolloutStatus.Failed] == 3 && v.Counts[DeviceRolloutStatus.Succeeded] == 1);

        Assert.Equal(1, view.Counts[DeviceRolloutStatus.Succeeded]);
        foreach (var id in ids[..3])
        {
            var device = await fleet.Device(id).GetView();
            Assert.Equal(DeviceState.Failed, device.State);
            var entry = Assert.Single(device.History);
            Assert.False(entry.Succeeded);
            Assert.StartsWith("unverified success", entry.Error);
        }
        Assert.True((await fleet.Device(ids[3]).GetView()).History.Single().Succeeded);
        Assert.True(rejections.Where("reason", "unverified-success").Sum() >= 3);
    }

    [Fact]
    public async Task HealthGate_HoldsTheWaveWhileCanaryLatencyRegresses()
    {
        var ids = await ProvisionSuiteAsync("canary", 6);
        foreach (var id in ids[2..])
        {
            await fleet.Device(id).ReportTelemetry(new TelemetryReport([10, 10, 10, 10], 0, 1000, 0.9, null));
        }
        var rollout = await StartAsync("canary", [WaveSpec.Devices(2), WaveSpec.PercentOf(100)],
            health: new HealthGate(TimeSpan.Zero, MaxLatencyRegression: 0.2, MaxConfidenceDrop: 0.05));

        await SucceedAsync(ids[..2]);
        await WaitForAsync(rollout, v => v.Counts[DeviceRolloutStatus.Succeeded] == 2);
        Assert.Contains("waiting for telemetry", (await rollout.Tick()).Hold);
        foreach (var id in ids[..2])
        {
            await fleet.Device(id).ReportTelemetry(new TelemetryReport([20, 20, 20, 20], 0, 1000, 0.9, null));
        }
        var held = await rollout.Tick();
        Assert.Equal(0, held.CurrentWave);
        Assert.Contains("latency", held.Hold);

        // The canaries settle: many fast inferences push their p95 back to the baseline.
        foreach (var id in ids[..2])
        {
            await fleet.Device(id).ReportTelemetry(new TelemetryReport([.. Enumerable.Repeat(10.0, 400)], 0, 1000, 0.9, null));
        }
        var advanced = await rollout.Tick();

        Assert.Equal(1, advanced.CurrentWave);
    }

    [Fact]
    public async Task BandwidthBudget_PacesDispatchSoPlannedBytesPerMinuteStayUnderIt()
    {
        var ids = await ProvisionSuiteAsync("budget", 10);
        var probe = await fleet.ProvisionAsync("budget-probe", "budget-class");
        var bytesPerDevice = (await probe.Assign(new ModelAssignment(Model, "v1", Lenient, null, null))).Desired!.TransferBytes;
        var budget = 3 * bytesPerDevice;
        var rollout = await StartAsync("budget", [WaveSpec.PercentOf(100)], bandwidth: budget);

        var start = await rollout.GetView();
        Assert.Equal(3, start.Counts[DeviceRolloutStatus.Dispatched]);
        Assert.Equal(3 * bytesPerDevice, start.PlannedBytes);
        Assert.Contains("bandwidth", start.Hold);

        Assert.Equal(3, (await rollout.Tick()).Counts[DeviceRolloutStatus.Dispatched]);
        fleet.Time.Advance(TimeSpan.FromSeconds(30));
        var half = await rollout.Tick();
        Assert.Equal(4, half.Counts[DeviceRolloutStatus.Dispatched]);
        fleet.Time.Advance(TimeSpan.FromSeconds(30));
        var minute = await rollout.Tick();
        Assert.Equal(6, minute.Counts[DeviceRolloutStatus.Dispatched]);
        Assert.True(minute.PlannedBytes <= budget * 2);

        // Idle time does not bank more than one minute of budget.
        fleet.Time.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(9, (await rollout.Tick()).Counts[DeviceRolloutStatus.Dispatched]);
        fleet.Time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(10, (await rollout.Tick()).Counts[DeviceRolloutStatus.Dispatched]);
        Assert.Equal(ids.Length, (await rollout.GetView()).Targets);
    }

    [Fact]
    public async Task RollBack_SendsDevicesToThePreviousVersion_AsADelta()
    {
        var (ids, toV2, v1Artifact) = await RollOutV1ThenV2Async("rollback");
        var v2Desired = (await fleet.Device(ids[0]).GetDesiredState())!;
        Assert.Equal("v2", v2Desired.Version);
        Assert.NotNull(v2Desired.Delta);

        var rolledBack = await toV2.RollBack("operator saw bad predictions");

        Assert.Equal(RolloutState.RolledBack, rolledBack.State);
        Assert.Equal(3, rolledBack.Counts[DeviceRolloutStatus.RolledBack]);
        foreach (var id in ids)
        {
            var desired = (await fleet.Device(id).GetDesiredState())!;
            Assert.Equal("v1", desired.Version);
            Assert.Equal(v1Artifact, desired.ArtifactHash);
            Assert.True(desired.Release > v2Desired.Release - 1);
            Assert.NotNull(desired.Delta);
            Assert.Equal(v2Desired.ArtifactHash, desired.Delta!.BaseHash);
            Assert.True(desired.Delta.DeltaBytes < desired.ArtifactBytes);
        }
        Assert.Null((await fleet.Device(ids[0]).RollBack("rollback-rollout-v2")).Desired);
    }

    [Fact]
    public async Task RollBack_LeavesADeviceThatMovedOnToAnotherRollout_AndReportsItSkipped()
    {
        var (ids, toV2, _) = await RollOutV1ThenV2Async("moved-on");
        // A later rollout takes the first device elsewhere before the operator rolls the v2 rollout back.
        var later = await fleet.Device(ids[0]).Assign(new ModelAssignment(Model, "v1", Lenient, "moved-on-rollout-later", null));
        Assert.NotNull(later.Desired);

        var rolledBack = await toV2.RollBack("operator saw bad predictions");

        Assert.Equal(RolloutState.RolledBack, rolledBack.State);
        Assert.Equal(2, rolledBack.Counts[DeviceRolloutStatus.RolledBack]);
        Assert.Equal(1, rolledBack.Counts[DeviceRolloutStatus.RollbackSkipped]);
        Assert.Contains("2 devices rolled back; 1 skipped (moved on to rollout 'moved-on-rollout-later'", rolledBack.Reason);
        Assert.Equal(later.Desired, await fleet.Device(ids[0]).GetDesiredState());
        foreach (var id in ids[1..])
        {
            var desired = (await fleet.Device(id).GetDesiredState())!;
            Assert.Equal(("v1", "moved-on-rollout-v2"), (desired.Version, desired.RolloutId));
        }
    }

    /// <summary>
    /// Three devices of <paramref name="suite"/> moved to v1 and then to v2, each by a rollout they all complete; returns
    /// the v2 rollout and v1's artifact.
    /// </summary>
    private async Task<(string[] Ids, IRolloutGrain ToV2, string V1Artifact)> RollOutV1ThenV2Async(string suite)
    {
        var ids = await ProvisionSuiteAsync(suite, 3);
        var toV1 = await StartAsync(suite, [WaveSpec.PercentOf(100)], suffix: "-v1");
        await SucceedAsync(ids);
        await WaitForAsync(toV1, v => v.Counts[DeviceRolloutStatus.Succeeded] == 3);
        Assert.Equal(RolloutState.Completed, (await toV1.Tick()).State);
        var v1Artifact = (await fleet.Device(ids[0]).GetView()).CurrentArtifactHash!;

        await fleet.ReadyModelAsync(Model, "v2", seed: 1, retrain: 7);
        var toV2 = await StartAsync(suite, [WaveSpec.PercentOf(100)], version: "v2", suffix: "-v2");
        await SucceedAsync(ids);
        await WaitForAsync(toV2, v => v.Counts[DeviceRolloutStatus.Succeeded] == 3);
        return (ids, toV2, v1Artifact);
    }

    private async Task<string[]> ProvisionSuiteAsync(string suite, int count)
    {
        await fleet.ReadyModelAsync(Model);
        var ids = Enumerable.Range(0, count).Select(i => $"{suite}-{i:D3}").ToArray();
        var tags = new Dictionary<string, string> { ["suite"] = suite };
        foreach (var id in ids)
        {
            await fleet.ProvisionAsync(id, "pi-4", tags: tags);
        }
        return ids;
    }

    private async Task<IRolloutGrain> StartAsync(string suite, IReadOnlyList<WaveSpec> waves, double success = 1.0, double failure = 0.5,
        FailureAction onFailure = FailureAction.Pause, HealthGate? health = null, long? bandwidth = null, string version = "v1", string suffix = "")
    {
        var rollout = fleet.Client.GetGrain<IRolloutGrain>($"{suite}-rollout{suffix}");
        var selector = new TargetSelector(new Dictionary<string, string> { ["suite"] = suite }, [], []);
        await rollout.Create(new RolloutSpec(Model, version, selector, waves, success, failure, onFailure, health, bandwidth, Lenient));
        await rollout.Start();
        return rollout;
    }

    private async Task SucceedAsync(IEnumerable<string> ids)
    {
        foreach (var id in ids)
        {
            var desired = await fleet.Device(id).GetDesiredState();
            if (desired is not null)
            {
                await fleet.DeliverAsync(id, desired);
                await fleet.Device(id).ReportUpdate(new UpdateProgress(desired.Release, UpdateStatus.Succeeded, desired.TransferBytes, null));
            }
        }
    }

    private async Task FailAsync(IEnumerable<string> ids)
    {
        foreach (var id in ids)
        {
            var desired = (await fleet.Device(id).GetDesiredState())!;
            await fleet.Device(id).ReportUpdate(new UpdateProgress(desired.Release, UpdateStatus.Failed, 0, "checksum mismatch"));
        }
    }

    private static Task<RolloutView> WaitForAsync(IRolloutGrain rollout, Func<RolloutView, bool> condition) =>
        Eventually.Until(rollout.GetView, condition, "rollout state");
}
