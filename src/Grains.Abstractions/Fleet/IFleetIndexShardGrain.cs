using FleetQuant.Grains.Rollouts;

namespace FleetQuant.Grains.Fleet;

/// <summary>
/// One shard of the fleet index (integer key 0..<see cref="FleetShards.Count"/>-1) holding the summaries of the
/// devices that hash to it. Device grains keep their own summary current.
/// </summary>
[Alias("fq.IFleetIndexShardGrain")]
public interface IFleetIndexShardGrain : IGrainWithIntegerKey
{
    [Alias("Upsert")]
    Task Upsert(DeviceSummary summary);

    [Alias("Remove")]
    Task Remove(string deviceId);

    /// <summary>Summaries matching the selector, ordered by id, starting after <paramref name="afterId"/>, at most <paramref name="take"/>.</summary>
    [Alias("Query")]
    Task<IReadOnlyList<DeviceSummary>> Query(TargetSelector selector, string? afterId, int take);

    [Alias("Count")]
    Task<int> Count(TargetSelector selector);

    /// <summary>Ids of all matching devices, ordered.</summary>
    [Alias("Select")]
    Task<IReadOnlyList<string>> Select(TargetSelector selector);

    /// <summary>Device counts of this shard grouped by state, class and installed model (no ids).</summary>
    [Alias("Census")]
    Task<IReadOnlyList<FleetCensusEntry>> Census();
}

/// <summary>
/// Fleet-wide listing and selection: queries every index shard in parallel and merges. Stateless, so any silo
/// serves it and no single grain is hot.
/// </summary>
[Alias("fq.IFleetQueryGrain")]
public interface IFleetQueryGrain : IGrainWithIntegerKey
{
    /// <summary>Devices matching the selector ordered by id; <paramref name="afterId"/> continues a listing.</summary>
    [Alias("List")]
    Task<DevicePage> List(TargetSelector selector, string? afterId, int take);

    /// <summary>Ids of every device matching the selector, ordered by id.</summary>
    [Alias("Select")]
    Task<IReadOnlyList<string>> Select(TargetSelector selector);

    /// <summary>Device counts of the whole fleet grouped by state, class and installed model (no ids).</summary>
    [Alias("Census")]
    Task<IReadOnlyList<FleetCensusEntry>> Census();
}
