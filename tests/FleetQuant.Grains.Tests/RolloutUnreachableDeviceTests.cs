using System.Collections.Concurrent;
using FleetQuant.Grains.Devices;
using FleetQuant.Grains.Hosting;
using FleetQuant.Grains.Planning;
using FleetQuant.Grains.Rollouts;
using FleetQuant.Grains.Tests.Support;
using FleetQuant.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Orleans;
using Orleans.Hosting;
using Orleans.Runtime;

namespace FleetQuant.Grains.Tests;

/// <summary>A cluster in which chosen device grains cannot be reached: their Assign calls fail as a leaving silo's do.</summary>
public sealed class UnreachableDevicesFixture : FleetClusterFixture
{
    public static readonly TimeSpan Grace = TimeSpan.FromMinutes(2);

    public ConcurrentDictionary<string, bool> Unreachable { get; } = new(StringComparer.Ordinal);

    protected override void ConfigureSilo(ISiloBuilder silo)
    {
        silo.Services.Configure<RolloutOptions>(o => o.UnreachableGrace = Grace);
        silo.AddIncomingGrainCallFilter(context =>
        {
            if (context.InterfaceMethod.Name == nameof(IDeviceGrain.Assign) && Unreachable.ContainsKey(context.TargetId.Key.ToString()!))
            {
                throw new SiloUnavailableException($"test: {context.TargetId} is unreachable");
            }
            return context.Invoke();
        });
    }
}

/// <summary>
/// Devices the cluster cannot reach while a rollout dispatches (a silo leaving) are retried on later ticks, not counted
/// as failed devices; only past the grace period do they count, and then the failure threshold applies as usual.
/// </summary>
public sealed class RolloutUnreachableDeviceTests(UnreachableDevicesFixture fleet) : IClassFixture<UnreachableDevicesFixture>
{
    [Fact]
    public async Task UnreachableDevices_AreRetried_NotFailed()
    {
        var rollout = await CreateAsync("retry", devices: 4, unreachable: 2);

        var started = await rollout.Start();

        Assert.Equal(RolloutState.Running, started.State);
        Assert.Equal(0, started.Counts[DeviceRolloutStatus.Failed]);
        Assert.Equal(2, started.Counts[DeviceRolloutStatus.Dispatched]);
        Assert.Equal(2, started.Counts[DeviceRolloutStatus.Waiting]);
        Assert.Contains("2 devices could not be reached", started.Hold);

        fleet.Unreachable.Clear();
        var ticked = await rollout.Tick();

        Assert.Equal(RolloutState.Running, ticked.State);
        Assert.Equal(4, ticked.Counts[DeviceRolloutStatus.Dispatched]);
        Assert.Equal(0, ticked.Counts[DeviceRolloutStatus.Waiting]);
        var desired = await Task.WhenAll(Enumerable.Range(0, 4).Select(i => fleet.Device($"retry-{i}").GetDesiredState()));
        Assert.All(desired, d => Assert.Equal("retry-rollout", d!.RolloutId));
    }

    [Fact]
    public async Task DevicesUnreachablePastTheGrace_CountAsFailed_AndTripTheThreshold()
    {
        var rollout = await CreateAsync("grace", devices: 4, unreachable: 1);
        var started = await rollout.Start();
        Assert.Equal(0, started.Counts[DeviceRolloutStatus.Failed]);

        fleet.Time.Advance(UnreachableDevicesFixture.Grace - TimeSpan.FromSeconds(1));
        var within = await rollout.Tick();
        Assert.Equal(RolloutState.Running, within.State);
        Assert.Equal(1, within.Counts[DeviceRolloutStatus.Waiting]);

        fleet.Time.Advance(TimeSpan.FromSeconds(2));
        var past = await rollout.Tick();

        Assert.Equal(1, past.Counts[DeviceRolloutStatus.Failed]);
        Assert.Equal(3, past.Counts[DeviceRolloutStatus.Dispatched]);
        Assert.Equal(RolloutState.Paused, past.State);
        Assert.Contains("1 of 4 devices failed", past.Reason);
    }

    [Fact]
    public async Task AWaveWithUnreachableDevices_DoesNotComplete_EvenPastItsSuccessThreshold()
    {
        var rollout = await CreateAsync("advance", devices: 4, unreachable: 1, successThreshold: 0.5);
        await rollout.Start();

        await ReportSucceededAsync(["advance-1", "advance-2", "advance-3"]);
        var held = await Eventually.Until(rollout.Tick, v => v.Counts[DeviceRolloutStatus.Succeeded] == 3, "three outcomes counted");

        Assert.Equal(RolloutState.Running, held.State);
        Assert.Equal(1, held.Counts[DeviceRolloutStatus.Waiting]);
        Assert.Contains("could not be reached", held.Hold);

        fleet.Unreachable.Clear();
        await rollout.Tick();
        await ReportSucceededAsync(["advance-0"]);
        var done = await Eventually.Until(rollout.Tick, v => v.State != RolloutState.Running, "the rollout to finish");

        Assert.Equal(RolloutState.Completed, done.State);
        Assert.Equal(4, done.Counts[DeviceRolloutStatus.Succeeded]);
    }

    private async Task ReportSucceededAsync(IEnumerable<string> ids)
    {
        foreach (var id in ids)
        {
            var desired = (await fleet.Device(id).GetDesiredState())!;
            await fleet.DeliverAsync(id, desired);
            await fleet.Device(id).ReportUpdate(new UpdateProgress(desired.Release, UpdateStatus.Succeeded, desired.TransferBytes, null));
        }
    }

    private async Task<IRolloutGrain> CreateAsync(string name, int devices, int unreachable, double successThreshold = 1.0)
    {
        var tags = new Dictionary<string, string> { ["suite"] = name };
        for (var i = 0; i < devices; i++)
        {
            await fleet.ProvisionAsync($"{name}-{i}", tags: tags);
        }
        for (var i = 0; i < unreachable; i++)
        {
            fleet.Unreachable[$"{name}-{i}"] = true;
        }
        await fleet.ReadyModelAsync($"{name}-model");
        var rollout = fleet.Client.GetGrain<IRolloutGrain>($"{name}-rollout");
        await rollout.Create(new RolloutSpec($"{name}-model", "v1", new TargetSelector(tags, [], []), [WaveSpec.PercentOf(100)],
            successThreshold, 0.2, FailureAction.Pause, null, null, new PlanPolicyInfo(MaxTransferSeconds: 60, MaxAccuracyDrop: 1.0)));
        return rollout;
    }
}
