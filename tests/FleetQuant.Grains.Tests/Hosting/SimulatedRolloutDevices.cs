using System.Collections.Concurrent;
using FleetQuant.Grains.Devices;

namespace FleetQuant.Grains.Tests.Hosting;

/// <summary>
/// Plays the devices of one rollout as the Gateway would drive them: when a device's desired state from the rollout
/// appears, its update result is reported through <see cref="IDeviceGrain.ReportUpdate"/>. Optionally reports twice,
/// like a Gateway retrying after a lost acknowledgement, so tests can show a repeated report is not counted again.
/// </summary>
internal sealed class SimulatedRolloutDevices(string rolloutId, IReadOnlyList<string> deviceIds)
{
    private readonly ConcurrentDictionary<string, long> _reported = new(StringComparer.Ordinal);

    /// <summary>Devices whose outcome has been reported, with the release they reported on.</summary>
    public IReadOnlyDictionary<string, long> Reported => _reported;

    /// <summary>Reports success for every device whose desired state from the rollout appeared since the last call; returns how many.</summary>
    public async Task<int> ReportAppearedAsync(IGrainFactory grains, bool reportTwice = false)
    {
        var pending = deviceIds.Where(id => !_reported.ContainsKey(id)).ToList();
        var desired = await Task.WhenAll(pending.Select(id => grains.GetGrain<IDeviceGrain>(id).GetDesiredState()));
        var appeared = pending.Zip(desired).Where(p => p.Second?.RolloutId == rolloutId).ToList();
        await Task.WhenAll(appeared.Select(async p =>
        {
            var device = grains.GetGrain<IDeviceGrain>(p.First);
            await device.RecordChunkServed(p.Second!.Delta?.DeltaHash ?? p.Second.ArtifactHash, 0, p.Second.TransferBytes);
            var report = new UpdateProgress(p.Second!.Release, UpdateStatus.Succeeded, p.Second.TransferBytes, null);
            await device.ReportUpdate(report);
            if (reportTwice)
            {
                await device.ReportUpdate(report);
            }
            _reported[p.First] = p.Second.Release;
        }));
        return appeared.Count;
    }

    /// <summary>Reports again, for the same releases, every outcome already reported (a Gateway replaying its queue).</summary>
    public Task ReplayReportedAsync(IGrainFactory grains) =>
        Task.WhenAll(_reported.Select(r => grains.GetGrain<IDeviceGrain>(r.Key).ReportUpdate(new UpdateProgress(r.Value, UpdateStatus.Succeeded, 0, null))));

    /// <summary>Keeps reporting until every device has reported or <paramref name="stop"/> fires; call failures are retried next round.</summary>
    public async Task RunAsync(Func<IGrainFactory> grains, CancellationToken stop)
    {
        while (_reported.Count < deviceIds.Count && !stop.IsCancellationRequested)
        {
            try
            {
                await ReportAppearedAsync(grains(), reportTwice: true);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // A silo leaving mid-call fails some calls; a real device simply retries on its next round too.
            }
            await Task.Delay(50, stop).ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }
}
