using FleetQuant.Grains.Devices;
using FleetQuant.Grains.Fleet;
using FleetQuant.Grains.Models;
using FleetQuant.Grains.Planning;
using FleetQuant.Grains.Rollouts;
using FleetQuant.Grains.Tests.Support;
using FleetQuant.TestSupport;
using Microsoft.Data.Sqlite;
using Orleans.TestingHost;

namespace FleetQuant.Grains.Tests.Hosting;

/// <summary>
/// A rollout is mid-flight when the whole single-node cluster stops; a new cluster on the same SQLite file finishes it
/// by itself (its reminder), with every device's state intact and every device counted exactly once.
/// </summary>
public sealed class RolloutRestartDurabilityTests : IDisposable
{
    private const int DeviceCount = 50;
    private const string ModelId = "restart-model";
    private const string Secret = "restart-secret-0123456789";
    private static readonly TimeSpan Soak = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(90);

    private readonly TemporaryDataDirectory _directory = new();
    private readonly string _serviceId = "rollout-restart-" + Guid.NewGuid().ToString("N");
    private readonly ManualTimeProvider _time = new(new DateTimeOffset(2025, 3, 1, 0, 0, 0, TimeSpan.Zero));

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task RolloutInProgress_ResumesByItselfAfterAFullRestart_AndCompletesWithEveryDeviceCountedOnce()
    {
        var rolloutId = "restart-rollout-" + Guid.NewGuid().ToString("N")[..8];
        var ids = Enumerable.Range(0, DeviceCount).Select(i => $"restart-{i:D3}").ToArray();
        var devices = new SimulatedRolloutDevices(rolloutId, ids);
        var tags = new Dictionary<string, string> { ["site"] = "restart" };
        RolloutView beforeStop;

        await using (var first = await StartClusterAsync())
        {
            var grains = first.Client;
            foreach (var id in ids)
            {
                await grains.GetGrain<IDeviceGrain>(id).Provision(new ProvisionRequest(FleetClusterFixture.Profile(id, tags: tags), Secret));
            }
            var model = grains.GetGrain<IModelGrain>(ModelId);
            await model.AddVersion(new ModelVersionUpload("v1", TestModels.TinyMlp(3), [new DataFile("eval.npy", TestModels.TinyEvalSet(32, 3))]));
            await Eventually.Until(() => model.GetVersion("v1"), v => v!.Status == ModelStatus.Ready, "ladder ready", TimeSpan.FromMinutes(3));

            var rollout = grains.GetGrain<IRolloutGrain>(rolloutId);
            await rollout.Create(new RolloutSpec(ModelId, "v1", new TargetSelector(tags, [], []),
                [WaveSpec.Devices(5), WaveSpec.Devices(15), WaveSpec.PercentOf(100)], 1.0, 0.2, FailureAction.Pause,
                new HealthGate(Soak, null, null), null, new PlanPolicyInfo(MaxTransferSeconds: 60, MaxAccuracyDrop: 1.0)));
            await rollout.Start();

            // Wave 1 succeeds and soaks; moving the clock past the soak lets the driver (not the test) advance it.
            Assert.Equal(5, await devices.ReportAppearedAsync(grains));
            await WaitAsync(rollout, v => v.CurrentWave == 0 && v.Hold?.Contains("soaking") == true, "wave 1 soaking");
            _time.Advance(Soak + TimeSpan.FromMinutes(1));
            await WaitAsync(rollout, v => v.CurrentWave == 1 && v.Counts[DeviceRolloutStatus.Dispatched] == 15, "wave 2 dispatched");

            Assert.Equal(15, await devices.ReportAppearedAsync(grains));
            beforeStop = await WaitAsync(rollout, v => v.CurrentWave == 1 && v.Counts[DeviceRolloutStatus.Succeeded] == 20
                && v.Hold?.Contains("soaking") == true, "wave 2 soaking");
            await first.StopAllSilosAsync();
        }

        Assert.Equal(RolloutState.Running, beforeStop.State);
        Assert.Equal(30, beforeStop.Counts[DeviceRolloutStatus.Waiting]);
        SqliteConnection.ClearAllPools();
        _time.Advance(Soak + TimeSpan.FromMinutes(1));

        await using var second = await StartClusterAsync();
        var after = second.Client;

        // Nothing calls the rollout grain here: only its reminder, loaded from SQLite, can dispatch the last wave.
        await Eventually.Until(async () => (await Task.WhenAll(ids.Select(id => after.GetGrain<IDeviceGrain>(id).GetDesiredState())))
                .Count(d => d?.RolloutId == rolloutId),
            n => n == DeviceCount, "the last wave dispatched by the resumed rollout", Deadline);

        Assert.Equal(30, await devices.ReportAppearedAsync(after, reportTwice: true));
        await devices.ReplayReportedAsync(after);
        // The last wave soaks too before the rollout may call itself complete.
        await WaitAsync(after.GetGrain<IRolloutGrain>(rolloutId), v => v.Counts[DeviceRolloutStatus.Succeeded] == DeviceCount
            && v.Hold?.Contains("soaking") == true, "last wave soaking");
        _time.Advance(Soak + TimeSpan.FromMinutes(1));
        var done = await WaitAsync(after.GetGrain<IRolloutGrain>(rolloutId), v => v.State == RolloutState.Completed, "rollout completed");

        Assert.Equal(DeviceCount, done.Targets);
        Assert.Equal(DeviceCount, done.Counts[DeviceRolloutStatus.Succeeded]);
        Assert.Equal(DeviceCount, done.Counts.Values.Sum());
        var artifactHashes = new HashSet<string>(StringComparer.Ordinal);
        foreach (var id in ids)
        {
            var view = await after.GetGrain<IDeviceGrain>(id).GetView();
            Assert.Equal(FleetClusterFixture.Profile(id, tags: tags).HardwareClass, view.Profile!.HardwareClass);
            Assert.Equal("restart", view.Profile.Tags["site"]);
            Assert.True(await after.GetGrain<IDeviceGrain>(id).VerifyCredentials(Secret), $"{id} lost its credentials");
            Assert.Equal(DeviceState.UpToDate, view.State);
            // Assigned exactly once (release 1), settled exactly once, and now running what it was told to.
            Assert.Equal(1, view.Desired!.Release);
            Assert.Equal(rolloutId, view.Desired.RolloutId);
            Assert.Single(view.History, h => h.RolloutId == rolloutId && h.Succeeded);
            Assert.Equal(view.Desired.ArtifactHash, view.CurrentArtifactHash);
            artifactHashes.Add(view.CurrentArtifactHash!);
        }
        Assert.Single(artifactHashes);

        var listed = await Eventually.Until(() => after.GetGrain<IFleetQueryGrain>(0).List(new TargetSelector(tags, [], []), null, 100),
            page => page.Devices.All(d => d.State == DeviceState.UpToDate && d.Version == "v1"), "fleet index up to date", Deadline);
        Assert.Equal(DeviceCount, listed.Total);
    }

    private static Task<RolloutView> WaitAsync(IRolloutGrain rollout, Func<RolloutView, bool> condition, string what) =>
        Eventually.Until(rollout.GetView, condition, what, Deadline);

    private Task<InProcessTestCluster> StartClusterAsync() => SqliteFleetCluster.StartAsync(_serviceId, _directory.Path, _time);
}
