using System.Diagnostics;
using FleetQuant.Grains.Hosting;
using FleetQuant.Grains.Rollouts;

namespace FleetQuant.Grains.Fleet;

/// <summary>Persistent state of one fleet index shard.</summary>
[GenerateSerializer, Alias("fq.FleetIndexShardState")]
public sealed class FleetIndexShardState
{
    [Id(0)]
    public Dictionary<string, DeviceSummary> Devices { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>
/// One shard of the device index. Writes are batched: changes mark the shard dirty and a timer (and
/// deactivation) persists them, so registering many devices does not rewrite the shard once per device. A flush
/// rewrites the whole shard, so under sustained change the timer flushes at most once per
/// <see cref="FlushCostRatio"/> times the last flush's duration: persisting stays a bounded share of the shard's
/// time as the fleet grows, instead of rewriting the whole index every second.
/// The index is derived data — device grains re-publish their summary on every change — so a change lost in
/// a crash is repaired by the device's next one.
/// </summary>
public sealed class FleetIndexShardGrain(
    [PersistentState("shard", StorageNames.FleetIndex)] IPersistentState<FleetIndexShardState> state) : Grain, IFleetIndexShardGrain
{
    private static readonly TimeSpan FlushPeriod = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxFlushPeriod = TimeSpan.FromSeconds(30);
    private const int FlushCostRatio = 20;
    private bool _dirty;
    private long _lastFlushAt;
    private TimeSpan _lastFlushCost;
    private string[]? _sortedIds;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        this.RegisterGrainTimer(FlushWhenDueAsync, new GrainTimerCreationOptions(FlushPeriod, FlushPeriod) { KeepAlive = false });
        return Task.CompletedTask;
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken) => FlushAsync(cancellationToken);

    public Task Upsert(DeviceSummary summary)
    {
        if (!state.State.Devices.TryGetValue(summary.DeviceId, out var existing) || existing != summary)
        {
            if (existing is null)
            {
                _sortedIds = null;
            }
            state.State.Devices[summary.DeviceId] = summary;
            _dirty = true;
        }
        return Task.CompletedTask;
    }

    public Task Remove(string deviceId)
    {
        if (state.State.Devices.Remove(deviceId))
        {
            _sortedIds = null;
            _dirty = true;
        }
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<DeviceSummary>> Query(TargetSelector selector, string? afterId, int take)
    {
        var ids = SortedIds();
        var start = afterId is null ? 0 : FirstAfter(ids, afterId);
        var page = new List<DeviceSummary>(Math.Clamp(take, 0, 1000));
        for (var i = start; i < ids.Length && page.Count < take; i++)
        {
            var summary = state.State.Devices[ids[i]];
            if (summary.Matches(selector))
            {
                page.Add(summary);
            }
        }
        return Task.FromResult<IReadOnlyList<DeviceSummary>>(page);
    }

    public Task<int> Count(TargetSelector selector) => Task.FromResult(state.State.Devices.Values.Count(d => d.Matches(selector)));

    public Task<IReadOnlyList<string>> Select(TargetSelector selector) =>
        Task.FromResult<IReadOnlyList<string>>(SortedIds().Where(id => state.State.Devices[id].Matches(selector)).ToList());

    public Task<IReadOnlyList<FleetCensusEntry>> Census() =>
        Task.FromResult(FleetCensusEntry.Of(state.State.Devices.Values.Select(d => new FleetCensusEntry(d.State, d.HardwareClass, d.ModelId, d.Version, d.RecipeId, 1))));

    private string[] SortedIds()
    {
        if (_sortedIds is null)
        {
            _sortedIds = [.. state.State.Devices.Keys];
            Array.Sort(_sortedIds, StringComparer.Ordinal);
        }
        return _sortedIds;
    }

    private static int FirstAfter(string[] sorted, string afterId)
    {
        var index = Array.BinarySearch(sorted, afterId, StringComparer.Ordinal);
        return index >= 0 ? index + 1 : ~index;
    }

    private Task FlushWhenDueAsync(CancellationToken cancellationToken)
    {
        var wait = TimeSpan.FromTicks(Math.Clamp(_lastFlushCost.Ticks * FlushCostRatio, FlushPeriod.Ticks, MaxFlushPeriod.Ticks));
        return Stopwatch.GetElapsedTime(_lastFlushAt) < wait ? Task.CompletedTask : FlushAsync(cancellationToken);
    }

    private async Task FlushAsync(CancellationToken cancellationToken)
    {
        if (_dirty)
        {
            _dirty = false;
            var started = Stopwatch.GetTimestamp();
            await state.WriteStateAsync(cancellationToken);
            _lastFlushAt = Stopwatch.GetTimestamp();
            _lastFlushCost = Stopwatch.GetElapsedTime(started, _lastFlushAt);
        }
    }
}
