using FleetQuant.Protocol.Messages;

namespace FleetQuant.Compression.Planning;

/// <summary>One hardware class of a fleet: its profile file (relative to the mix file) and its share of devices.</summary>
public sealed record FleetMixClass
{
    public required string Profile { get; init; }

    public required double Weight { get; init; }
}

/// <summary>
/// A fleet as a weighted list of hardware-class profiles (samples/profiles/fleet-mix.json), used to simulate a
/// fleet and to check that devices of a class land on few recipes. Format in docs/PLANNER.md.
/// </summary>
public sealed record FleetMix
{
    private const int MaxClasses = 1000;

    public required IReadOnlyList<FleetMixClass> Classes { get; init; }

    /// <summary>Loads the mix and each class's profile; weights are returned normalised to sum to 1.</summary>
    public static IReadOnlyList<(DeviceProfile Profile, double Share)> Load(string path)
    {
        var mix = PlanningJson.Deserialize<FleetMix>(PlanningJson.ReadBounded(path, "fleet mix"), "fleet mix");
        if (mix.Classes.Count == 0 || mix.Classes.Count > MaxClasses)
        {
            throw new ProfileException($"fleet mix {path} needs 1 to {MaxClasses} classes, got {mix.Classes.Count}");
        }
        if (mix.Classes.Any(c => !double.IsFinite(c.Weight) || c.Weight <= 0))
        {
            throw new ProfileException($"fleet mix {path}: every class needs a positive weight");
        }
        var directory = Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".";
        var total = mix.Classes.Sum(c => c.Weight);
        var classes = mix.Classes
            .Select(c => (Profile: PlanningJson.LoadProfile(Path.Combine(directory, c.Profile)), Share: c.Weight / total))
            .ToList();
        var duplicate = classes.GroupBy(c => c.Profile.HardwareClass, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new ProfileException($"fleet mix {path} lists hardware class '{duplicate.Key}' twice");
        }
        return classes;
    }
}
