using System.Text;
using FleetQuant.Compression.Planning;
using FleetQuant.DeviceAgent.Profiles;
using FleetQuant.Protocol.Messages;

namespace FleetQuant.DeviceAgent.Simulation;

/// <summary>One simulated device before it starts: its id, class, the profile it reports and the faults it injects.</summary>
public sealed record SimulatedDeviceSpec(string DeviceId, string HardwareClass, ProfileOverrides Profile, FaultPlan Faults);

/// <summary>
/// Turns a fleet mix into concrete devices: class counts by largest remainder (so they sum to exactly N), ids that
/// say the class, each class's profile as overrides of what the host machine would report, and faults spread evenly
/// over a share of every class.
/// </summary>
public static class FleetComposition
{
    public const int MaxDevices = 100_000;

    public static IReadOnlyList<SimulatedDeviceSpec> Create(string mixPath, int devices, string idPrefix, FaultPlan faults, double faultShare)
    {
        if (devices is < 1 or > MaxDevices)
        {
            throw new SimulatorException($"--devices must be 1 to {MaxDevices}, got {devices}");
        }
        if (!double.IsFinite(faultShare) || faultShare is < 0 or > 1)
        {
            throw new SimulatorException($"--fault-share must be between 0 and 1, got {faultShare}");
        }
        IReadOnlyList<(DeviceProfile Profile, double Share)> mix;
        try
        {
            mix = FleetMix.Load(mixPath);
        }
        catch (Exception ex) when (ex is ProfileException or IOException or UnauthorizedAccessException)
        {
            throw new SimulatorException($"cannot load fleet mix {mixPath}: {ex.Message}", ex);
        }

        var counts = Apportion(mix.Select(c => c.Share).ToList(), devices);
        var specs = new List<SimulatedDeviceSpec>(devices);
        for (var c = 0; c < mix.Count; c++)
        {
            var profile = mix[c].Profile;
            var classId = SafeIdPart(profile.HardwareClass);
            for (var i = 0; i < counts[c]; i++)
            {
                var id = $"{idPrefix}-{classId}-{i + 1:D4}";
                if (id.Length > 64)
                {
                    throw new SimulatorException($"device id '{id}' is longer than 64 characters: use a shorter --id-prefix");
                }
                // Evenly spread: device i is faulty when the running count of faulty devices steps up at i.
                var faulty = Math.Floor((i + 1) * faultShare) > Math.Floor(i * faultShare);
                specs.Add(new SimulatedDeviceSpec(id, profile.HardwareClass, Overrides(profile), faulty ? faults : FaultPlan.None));
            }
        }
        return specs;
    }

    /// <summary>Largest-remainder apportionment: the counts sum to <paramref name="total"/> and follow the shares.</summary>
    public static int[] Apportion(IReadOnlyList<double> shares, int total)
    {
        var exact = shares.Select(s => s * total).ToArray();
        var counts = exact.Select(e => (int)Math.Floor(e)).ToArray();
        var left = total - counts.Sum();
        foreach (var index in Enumerable.Range(0, shares.Count).OrderByDescending(i => exact[i] - counts[i]).ThenBy(i => i).Take(left))
        {
            counts[index]++;
        }
        return counts;
    }

    private static ProfileOverrides Overrides(DeviceProfile profile) => new()
    {
        HardwareClass = profile.HardwareClass,
        Arch = profile.Arch,
        CpuFeatures = profile.CpuFeatures,
        CpuCores = profile.CpuCores,
        RamBytes = profile.RamBytes,
        StorageBytes = profile.StorageBytes,
        ModelMemoryBudgetBytes = profile.ModelMemoryBudgetBytes,
        BandwidthBitsPerSecond = profile.BandwidthBitsPerSecond,
        DataCapBytesPerMonth = profile.DataCapBytesPerMonth,
        Tags = new Dictionary<string, string>(profile.Tags) { ["simulated"] = "true" },
    };

    /// <summary>Device ids allow only A–Z a–z 0–9 . _ -; anything else in a class name becomes '-'.</summary>
    private static string SafeIdPart(string hardwareClass)
    {
        var builder = new StringBuilder(hardwareClass.Length);
        foreach (var ch in hardwareClass)
        {
            builder.Append(char.IsAsciiLetterOrDigit(ch) || ch is '.' or '_' or '-' ? ch : '-');
        }
        return builder.ToString();
    }
}
