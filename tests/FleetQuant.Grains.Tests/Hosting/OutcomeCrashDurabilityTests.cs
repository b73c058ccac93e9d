using FleetQuant.Grains.Devices;
using FleetQuant.Grains.Models;
using FleetQuant.Grains.Planning;
using FleetQuant.Grains.Rollouts;
using FleetQuant.Grains.Tests.Support;
using FleetQuant.TestSupport;
using Microsoft.Data.Sqlite;
using Orleans.TestingHost;

namespace FleetQuant.Grains.Tests.Hosting;

/// <summary>
/// Outcomes reported (and acknowledged: <see cref="IDeviceGrain.ReportUpdate"/> returned) just before the silo is
/// killed, so no grain deactivates and nothing buffered is written, are all counted by the rollout after a restart on
/// the same SQLite directory, including late ones that arrived after the rollout had completed.
/// </summary>
public sealed class OutcomeCrashDurabilityTests : IDisposable
{
    private const int DeviceCount = 10;
    private const string ModelId = "crash-model";
    private const string Secret = "crash-secret-0123456789";
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(90);

    private readonly TemporaryDataDirectory _directory = new();
    private readonly string _serviceId = "outcome-crash-" + Guid.NewGuid().ToString("N");

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task AcknowledgedOutcomes_AreAllCounted_AfterTheSiloIsKilledWithoutDeactivation()
    {
        var rolloutId = "crash-rollout-" + Guid.NewGuid().ToString("N")[..8];
        var ids = Enumerable.Range(0, DeviceCount).Select(i => $"crash-{i:D3}").ToArray();
        var tags = new Dictionary<string, string> { ["site"] = "crash" };

        var first = await StartClusterAsync();
        try
        {
            var grains = first.Client;
            foreach (var id in ids)
            {
                await grains.GetGrain<IDeviceGrain>(id).Provision(new ProvisionRequest(FleetClusterFixture.Profile(id, tags: tags), Secret));
            }
            var model = grains.GetGrain<IModelGrain>(ModelId);
            await model.AddVersion(new ModelVersionUpload("v1", TestModels.TinyMlp(3), [new DataFile("eval.npy", TestModels.TinyEvalSet(32, 3))]));
            await Eventually.Until(() => model.GetVersion("v1"), v => v!.Status == ModelStatus.Ready, "ladder ready", TimeSpan.FromMinutes(3));

            // One wave with a 50 % success threshold: the rollout completes after half the devices, and the rest report late.
            var rollout = grains.GetGrain<IRolloutGrain>(rolloutId);
            await rollout.Create(new RolloutSpec(ModelId, "v1", new TargetSelector(tags, [], []), [WaveSpec.PercentOf(100)], 0.5, 1.0,
                FailureAction.Pause, null, null, new PlanPolicyInfo(MaxTransferSeconds: 60, MaxAccuracyDrop: 1.0)));
            await rollout.Start();
            await Eventually.Until(rollout.GetView, v => v.Counts[DeviceRolloutStatus.Dispatched] == DeviceCount, "all dispatched", Deadline);

            foreach (var id in ids[..5])
            {
                await ReportSucceededAsync(grains, id);
            }
            await Eventually.Until(rollout.GetView, v => v.State == RolloutState.Completed, "rollout completed", Deadline);
            // Late outcomes: each acknowledged once ReportUpdate returns; the one-way count may still be in flight.
            foreach (var id in ids[5..])
            {
                await ReportSucceededAsync(grains, id);
            }
            await first.KillSiloAsync(first.Silos[0]);
        }
        finally
        {
            await first.DisposeAsync();
        }
        SqliteConnection.ClearAllPools();

        await using var second = await StartClusterAsync();
        var after = second.Client;
        // The very first view after activation already counts every acknowledged outcome: nothing waits for a tick.
        var view = await after.GetGrain<IRolloutGrain>(rolloutId).GetView();
        Assert.Equal(RolloutState.Completed, view.State);
        Assert.Equal(DeviceCount, view.Counts[DeviceRolloutStatus.Succeeded]);
        Assert.Equal(0, view.Counts[DeviceRolloutStatus.Dispatched]);
        foreach (var id in ids)
        {
            var device = await after.GetGrain<IDeviceGrain>(id).GetView();
            Assert.Equal(DeviceState.UpToDate, device.State);
            Assert.Single(device.History, h => h.RolloutId == rolloutId && h.Succeeded);
        }
    }

    private static async Task ReportSucceededAsync(IGrainFactory grains, string id)
    {
        var device = grains.GetGrain<IDeviceGrain>(id);
        var desired = (await device.GetDesiredState())!;
        await device.RecordChunkServed(desired.Delta?.DeltaHash ?? desired.ArtifactHash, 0, desired.TransferBytes);
        await device.ReportUpdate(new UpdateProgress(desired.Release, UpdateStatus.Succeeded, desired.TransferBytes, null));
    }

    private Task<InProcessTestCluster> StartClusterAsync() => SqliteFleetCluster.StartAsync(_serviceId, _directory.Path);
}
