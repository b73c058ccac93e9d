using FleetQuant.Grains.Devices;
using FleetQuant.Grains.Rollouts;

namespace FleetQuant.Grains.Fleet;

/// <summary>What the fleet index keeps per device: enough to list and select without waking device grains.</summary>
[GenerateSerializer, Immutable, Alias("fq.DeviceSummary")]
public sealed record DeviceSummary(
    [property: Id(0)] string DeviceId,
    [property: Id(1)] string HardwareClass,
    [property: Id(2)] IReadOnlyDictionary<string, string> Tags,
    [property: Id(3)] DeviceState State,
    [property: Id(4)] string? ModelId,
    [property: Id(5)] string? Version,
    [property: Id(6)] string? RecipeId)
{
    public bool Matches(TargetSelector selector)
    {
        if (selector.DeviceIds.Contains(DeviceId))
        {
            return true;
        }
        var hasCriteria = selector.Tags.Count > 0 || selector.HardwareClasses.Count > 0;
        if (!hasCriteria)
        {
            return selector.DeviceIds.Count == 0;
        }
        if (selector.HardwareClasses.Count > 0 && !selector.HardwareClasses.Contains(HardwareClass))
        {
            return false;
        }
        foreach (var (key, value) in selector.Tags)
        {
            if (!Tags.TryGetValue(key, out var actual) || actual != value)
            {
                return false;
            }
        }
        return true;
    }
}

/// <summary>A page of a listing: device summaries ordered by id, and the total that matched.</summary>
[GenerateSerializer, Immutable, Alias("fq.DevicePage")]
public sealed record DevicePage(
    [property: Id(0)] IReadOnlyList<DeviceSummary> Devices,
    [property: Id(1)] int Total);

/// <summary>Maps device ids to index shards with a hash that is stable across processes and restarts.</summary>
public static class FleetShards
{
    public const int Count = 64;

    public static int ShardOf(string deviceId)
    {
        // FNV-1a over UTF-16 code units: string.GetHashCode is randomised per process.
        var hash = 2166136261u;
        foreach (var c in deviceId)
        {
            hash = (hash ^ c) * 16777619u;
        }
        return (int)(hash % Count);
    }
}
