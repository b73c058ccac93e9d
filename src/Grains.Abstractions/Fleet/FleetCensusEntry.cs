using FleetQuant.Grains.Devices;

namespace FleetQuant.Grains.Fleet;

/// <summary>How many devices share one (state, hardware class, installed model, version, recipe); feeds the fleet gauges.</summary>
[GenerateSerializer, Immutable, Alias("fq.FleetCensusEntry")]
public sealed record FleetCensusEntry(
    [property: Id(0)] DeviceState State,
    [property: Id(1)] string HardwareClass,
    [property: Id(2)] string? ModelId,
    [property: Id(3)] string? Version,
    [property: Id(4)] string? RecipeId,
    [property: Id(5)] int Devices)
{
    /// <summary>Counts summaries by everything but the device id (and tags, which are unbounded).</summary>
    public static IReadOnlyList<FleetCensusEntry> Of(IEnumerable<FleetCensusEntry> parts) =>
        parts.GroupBy(e => e with { Devices = 0 })
            .Select(g => g.Key with { Devices = g.Sum(e => e.Devices) })
            .ToList();
}
