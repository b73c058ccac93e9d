using FleetQuant.Grains.Planning;
using FleetQuant.Grains.Rollouts;

namespace FleetQuant.Grains.Hosting;

/// <summary>
/// Copies caller-supplied records into plain arrays and dictionaries before a grain persists them. Immutable records
/// reach a grain uncopied from callers in the same process, so an <c>IReadOnlyList</c> built with a collection
/// expression arrives as a compiler-generated type of the caller's assembly; a JSON storage serializer records that
/// type's name and later cannot resolve it, which makes the grain's state unreadable (seen on Redis failover).
/// </summary>
public static class StoredForms
{
    public static RolloutSpec Of(RolloutSpec spec) => spec with
    {
        Selector = new TargetSelector(Map(spec.Selector.Tags), spec.Selector.HardwareClasses.ToArray(), spec.Selector.DeviceIds.ToArray()),
        Waves = spec.Waves.ToArray(),
    };

    public static DeviceProfileInfo Of(DeviceProfileInfo profile) => profile with
    {
        CpuFeatures = profile.CpuFeatures.ToArray(),
        Tags = Map(profile.Tags),
    };

    /// <summary>True when two specs say the same thing (records compare their lists by reference).</summary>
    public static bool SameSpec(RolloutSpec a, RolloutSpec b) =>
        a with { Selector = TargetSelector.All, Waves = [] } == b with { Selector = TargetSelector.All, Waves = [] }
        && a.Waves.SequenceEqual(b.Waves)
        && a.Selector.HardwareClasses.SequenceEqual(b.Selector.HardwareClasses)
        && a.Selector.DeviceIds.SequenceEqual(b.Selector.DeviceIds)
        && a.Selector.Tags.Count == b.Selector.Tags.Count
        && a.Selector.Tags.All(t => b.Selector.Tags.TryGetValue(t.Key, out var v) && v == t.Value);

    private static Dictionary<string, string> Map(IReadOnlyDictionary<string, string> tags) =>
        tags.ToDictionary(t => t.Key, t => t.Value, StringComparer.Ordinal);
}
