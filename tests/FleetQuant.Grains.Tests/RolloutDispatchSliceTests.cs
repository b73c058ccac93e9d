using FleetQuant.Grains.Devices;
using FleetQuant.Grains.Fleet;
using FleetQuant.Grains.Hosting;
using FleetQuant.Grains.Planning;
using FleetQuant.Grains.Rollouts;
using FleetQuant.Grains.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Hosting;

namespace FleetQuant.Grains.Tests;

/// <summary>A cluster whose rollouts dispatch one batch of two devices per call or tick.</summary>
public sealed class SlicedDispatchFixture : FleetClusterFixture
{
    protected override void ConfigureSilo(ISiloBuilder silo) => silo.Services.Configure<RolloutOptions>(options =>
    {
        options.DispatchBatchSize = 2;
        options.DispatchSlice = TimeSpan.Zero;
    });
}

/// <summary>
/// A wave too large for one call is dispatched over several ticks: <c>Start()</c> returns after its slice instead of
/// holding the caller until a 100k-device wave is assigned.
/// </summary>
public sealed class RolloutDispatchSliceTests(SlicedDispatchFixture fleet) : IClassFixture<SlicedDispatchFixture>
{
    [Fact]
    public async Task Start_OnAWaveLargerThanOneSlice_ReturnsEarly_AndTicksDispatchTheRest()
    {
        var tags = new Dictionary<string, string> { ["suite"] = "slice" };
        for (var i = 0; i < 7; i++)
        {
            await fleet.ProvisionAsync($"slice-{i}", tags: tags);
        }
        await fleet.ReadyModelAsync("slice-model");
        var rollout = fleet.Client.GetGrain<IRolloutGrain>("slice-rollout");
        await rollout.Create(new RolloutSpec("slice-model", "v1", new TargetSelector(tags, [], []), [WaveSpec.PercentOf(100)],
            1.0, 0.5, FailureAction.Pause, null, null, new PlanPolicyInfo(MaxTransferSeconds: 60, MaxAccuracyDrop: 1.0)));

        var started = await rollout.Start();

        Assert.Equal(RolloutState.Running, started.State);
        Assert.Equal(2, started.Counts[DeviceRolloutStatus.Dispatched]);
        Assert.Equal(5, started.Counts[DeviceRolloutStatus.Waiting]);
        Assert.Contains("dispatching: 2 of this wave's 7 devices", started.Hold);

        var dispatched = new List<int>();
        for (var tick = 0; tick < 3; tick++)
        {
            dispatched.Add((await rollout.Tick()).Counts[DeviceRolloutStatus.Dispatched]);
        }

        Assert.Equal([4, 6, 7], dispatched);
        var view = await rollout.GetView();
        Assert.Equal(0, view.Counts[DeviceRolloutStatus.Waiting]);
        Assert.DoesNotContain("dispatching", view.Hold ?? "");
    }
}
