using FleetQuant.Grains.Devices;
using FleetQuant.Grains.Models;
using FleetQuant.Grains.Planning;
using FleetQuant.Grains.Rollouts;
using FleetQuant.Grains.Tests.Support;
using FleetQuant.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Orleans;
using Orleans.Runtime;

namespace FleetQuant.Grains.Tests.Hosting;

/// <summary>
/// Three silos on Redis (clustering, grain state, reminders); the silo hosting a rollout stops while devices are
/// reporting; the rollout completes elsewhere with no device state lost and no device counted twice.
/// </summary>
[Trait("Category", "Redis")]
public sealed class RolloutFailoverTests
{
    private const int DeviceCount = 300;
    private const string Secret = "failover-secret-0123456789";
    private static readonly TimeSpan ReminderPeriod = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task StoppingTheRolloutsSilo_MidRollout_CompletesWithNoDeviceLostOrCountedTwice()
    {
        // Artifacts must live where every silo reads them (OPERATIONS.md: a shared volume in cluster mode).
        using var shared = new TemporaryDataDirectory();
        await using var cluster = await RedisTestCluster.StartAsync(3, ReminderPeriod, new Dictionary<string, string?>
        {
            ["FleetQuant:Artifacts:Path"] = Path.Combine(shared.Path, "artifacts"),
            ["FleetQuant:Rollouts:ReminderPeriod"] = ReminderPeriod.ToString(),
            ["FleetQuant:Rollouts:TickPeriod"] = "00:00:00.250",
            ["FleetQuant:Rollouts:DispatchBatchSize"] = "40",
            ["FleetQuant:Compression:LadderRecipes:0"] = "fp32",
            ["FleetQuant:Compression:LadderRecipes:1"] = "q8cs",
            ["FleetQuant:Compression:LadderMixedPrecision"] = "false",
            ["FleetQuant:Compression:Parallelism"] = "1",
        });
        var run = Guid.NewGuid().ToString("N")[..8];
        var rolloutId = $"failover-{run}";
        var tags = new Dictionary<string, string> { ["run"] = run };
        var ids = Enumerable.Range(0, DeviceCount).Select(i => $"{run}-dev-{i:D3}").ToArray();
        var grains = cluster.GrainFactory(0);

        await Task.WhenAll(ids.Select(id => grains.GetGrain<IDeviceGrain>(id)
            .Provision(new ProvisionRequest(FleetClusterFixture.Profile(id, i(id) % 2 == 0 ? "pi-4" : "nuc", tags: tags), Secret))));
        var model = grains.GetGrain<IModelGrain>($"failover-model-{run}");
        await model.AddVersion(new ModelVersionUpload("v1", TestModels.TinyMlp(5), [new DataFile("eval.npy", TestModels.TinyEvalSet(32, 5))]));
        await Eventually.Until(() => model.GetVersion("v1"), v => v!.Status == ModelStatus.Ready, "ladder ready", TimeSpan.FromMinutes(3));

        var rollout = grains.GetGrain<IRolloutGrain>(rolloutId);
        await rollout.Create(new RolloutSpec(model.GetPrimaryKeyString(), "v1", new TargetSelector(tags, [], []),
            [WaveSpec.PercentOf(10), WaveSpec.PercentOf(30), WaveSpec.PercentOf(100)], 1.0, 0.2, FailureAction.Pause, null, null,
            new PlanPolicyInfo(MaxTransferSeconds: 60, MaxAccuracyDrop: 1.0)));
        await rollout.Start();

        // Stop the silo that hosts the rollout, and talk to the cluster through another one.
        var host = await HostIndexAsync(cluster, rollout);
        var survivor = Enumerable.Range(0, 3).First(s => s != host);
        var devices = new SimulatedRolloutDevices(rolloutId, ids);
        using var stop = new CancellationTokenSource();
        var simulator = devices.RunAsync(() => cluster.GrainFactory(survivor), stop.Token);
        try
        {
            var survivorRollout = cluster.GrainFactory(survivor).GetGrain<IRolloutGrain>(rolloutId);
            var middle = await Eventually.Until(survivorRollout.GetView,
                v => v.CurrentWave >= 1 && v.Counts[DeviceRolloutStatus.Succeeded] >= DeviceCount / 5, "rollout in its second wave", Deadline);
            Assert.NotEqual(RolloutState.Completed, middle.State);
            await cluster.StopSiloAsync(host);

            var done = await Eventually.Until(survivorRollout.GetView, v => v.State != RolloutState.Running,
                $"rollout finished ({devices.Reported.Count} devices reported)", Deadline);
            Assert.Equal(RolloutState.Completed, done.State);
            Assert.Equal(DeviceCount, done.Targets);
            Assert.Equal(DeviceCount, done.Counts[DeviceRolloutStatus.Succeeded]);
            Assert.Equal(DeviceCount, done.Counts.Values.Sum());
            Assert.NotEqual(host, await HostIndexAsync(cluster, survivorRollout, survivor));
        }
        finally
        {
            await stop.CancelAsync();
            await simulator;
        }

        var after = cluster.GrainFactory(survivor);
        var views = await Task.WhenAll(ids.Select(id => after.GetGrain<IDeviceGrain>(id).GetView()));
        var credentials = await Task.WhenAll(ids.Select(id => after.GetGrain<IDeviceGrain>(id).VerifyCredentials(Secret)));
        Assert.All(credentials, Assert.True);
        foreach (var view in views)
        {
            Assert.Equal(run, view.Profile!.Tags["run"]);
            Assert.Equal(DeviceState.UpToDate, view.State);
            // One assignment (release 1), one settled outcome although every report was sent twice, and it runs the target.
            Assert.Equal(1, view.Desired!.Release);
            Assert.Equal(rolloutId, view.Desired.RolloutId);
            Assert.Single(view.History, h => h.RolloutId == rolloutId && h.Succeeded);
            Assert.Equal(view.Desired.ArtifactHash, view.CurrentArtifactHash);
            Assert.Equal(view.Desired.Release, devices.Reported[view.DeviceId]);
        }

        static int i(string id) => int.Parse(id[(id.LastIndexOf('-') + 1)..]);
    }

    /// <summary>Index of the silo hosting the rollout's activation (the call first makes sure it is active).</summary>
    private static async Task<int> HostIndexAsync(RedisTestCluster cluster, IRolloutGrain rollout, int via = 0)
    {
        await rollout.GetView();
        var management = cluster.GrainFactory(via).GetGrain<IManagementGrain>(0);
        var address = await management.GetActivationAddress(rollout);
        for (var s = 0; s < cluster.Silos.Count; s++)
        {
            if (cluster.Silos[s].Services.GetRequiredService<ILocalSiloDetails>().SiloAddress.Equals(address))
            {
                return s;
            }
        }
        throw new InvalidOperationException($"rollout {rollout.GetPrimaryKeyString()} is active on {address}, which is none of the test's silos");
    }
}
