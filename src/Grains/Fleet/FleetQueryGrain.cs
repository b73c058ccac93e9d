using FleetQuant.Grains.Rollouts;
using Orleans.Concurrency;

namespace FleetQuant.Grains.Fleet;

/// <summary>Fans listing and selection out to every index shard in parallel and merges the ordered results.</summary>
[StatelessWorker]
public sealed class FleetQueryGrain : Grain, IFleetQueryGrain
{
    public const int MaxPage = 1000;

    public async Task<DevicePage> List(TargetSelector selector, string? afterId, int take)
    {
        take = Math.Clamp(take, 0, MaxPage);
        var shards = Shards();
        var pages = Task.WhenAll(shards.Select(s => s.Query(selector, afterId, take)));
        var counts = Task.WhenAll(shards.Select(s => s.Count(selector)));
        var merged = (await pages).SelectMany(p => p).OrderBy(d => d.DeviceId, StringComparer.Ordinal).Take(take).ToList();
        return new DevicePage(merged, (await counts).Sum());
    }

    public async Task<IReadOnlyList<string>> Select(TargetSelector selector)
    {
        var parts = await Task.WhenAll(Shards().Select(s => s.Select(selector)));
        var all = new List<string>(parts.Sum(p => p.Count));
        foreach (var part in parts)
        {
            all.AddRange(part);
        }
        all.Sort(StringComparer.Ordinal);
        return all;
    }

    public async Task<IReadOnlyList<FleetCensusEntry>> Census() =>
        FleetCensusEntry.Of((await Task.WhenAll(Shards().Select(s => s.Census()))).SelectMany(p => p));

    private IFleetIndexShardGrain[] Shards() =>
        Enumerable.Range(0, FleetShards.Count).Select(i => GrainFactory.GetGrain<IFleetIndexShardGrain>(i)).ToArray();
}
