using System.Runtime.InteropServices;
using FleetQuant.Protocol.Messages;

namespace FleetQuant.DeviceAgent.Profiles;

/// <summary>Settings that override what the agent detects (a configured value always wins).</summary>
public sealed record ProfileOverrides
{
    public string? HardwareClass { get; init; }

    /// <summary>CPU architecture to report instead of this machine's (a simulated device of another class).</summary>
    public string? Arch { get; init; }

    /// <summary>CPU features to report instead of this machine's; they decide which kernels the planner counts as fast.</summary>
    public IReadOnlyList<string>? CpuFeatures { get; init; }

    public int? CpuCores { get; init; }

    public long? RamBytes { get; init; }

    public long? StorageBytes { get; init; }

    public long? ModelMemoryBudgetBytes { get; init; }

    public long? BandwidthBitsPerSecond { get; init; }

    public long? DataCapBytesPerMonth { get; init; }

    public IReadOnlyDictionary<string, string> Tags { get; init; } = new Dictionary<string, string>();
}

/// <summary>Reads the device's hardware profile from Linux: /proc/meminfo, /proc/cpuinfo, the disk, the runtime.</summary>
public static class ProfileDetector
{
    /// <summary>Without a configured budget the model may use a quarter of RAM.</summary>
    private const int DefaultBudgetShare = 4;

    /// <summary>Until a download has been measured, assume a modest link.</summary>
    private const long DefaultBandwidthBitsPerSecond = 1_000_000;

    /// <summary>The architecture the device reports: the override (a simulated board), else the runtime's.</summary>
    public static string Architecture(ProfileOverrides overrides) => overrides.Arch ?? RuntimeInformation.ProcessArchitecture switch
    {
        System.Runtime.InteropServices.Architecture.X64 => "x86_64",
        System.Runtime.InteropServices.Architecture.Arm64 => "arm64",
        System.Runtime.InteropServices.Architecture.Arm => "armv7",
        var other => other.ToString().ToLowerInvariant(),
    };

    public static DeviceProfile Detect(string deviceId, string stateDirectory, string agentVersion, ProfileOverrides overrides, long? measuredBandwidth)
    {
        var ram = overrides.RamBytes ?? ReadMemTotalBytes() ?? GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        var arch = Architecture(overrides);
        return new DeviceProfile
        {
            DeviceId = deviceId,
            HardwareClass = overrides.HardwareClass ?? $"{arch}-{ram / (1024 * 1024 * 1024.0):0}g",
            Arch = arch,
            CpuCores = overrides.CpuCores ?? Environment.ProcessorCount,
            CpuFeatures = overrides.CpuFeatures ?? ReadCpuFeatures(),
            RamBytes = ram,
            ModelMemoryBudgetBytes = overrides.ModelMemoryBudgetBytes ?? ram / DefaultBudgetShare,
            StorageBytes = overrides.StorageBytes ?? new DriveInfo(Path.GetFullPath(stateDirectory)).AvailableFreeSpace,
            BandwidthBitsPerSecond = overrides.BandwidthBitsPerSecond ?? measuredBandwidth ?? DefaultBandwidthBitsPerSecond,
            DataCapBytesPerMonth = overrides.DataCapBytesPerMonth,
            OrtVersion = typeof(Microsoft.ML.OnnxRuntime.InferenceSession).Assembly.GetName().Version?.ToString(3) ?? "",
            AgentVersion = agentVersion,
            Tags = overrides.Tags,
        };
    }

    private static long? ReadMemTotalBytes()
    {
        const string path = "/proc/meminfo";
        if (!File.Exists(path))
        {
            return null;
        }
        var line = File.ReadLines(path).FirstOrDefault(l => l.StartsWith("MemTotal:", StringComparison.Ordinal));
        var parts = line?.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return parts is { Length: >= 2 } && long.TryParse(parts[1], out var kib) ? kib * 1024 : null;
    }

    /// <summary>The flags that matter for inference kernels, from "flags" (x86) or "Features" (ARM).</summary>
    private static IReadOnlyList<string> ReadCpuFeatures()
    {
        const string path = "/proc/cpuinfo";
        if (!File.Exists(path))
        {
            return [];
        }
        var relevant = new HashSet<string>(StringComparer.Ordinal) { "avx2", "avx512f", "avx512_vnni", "avx_vnni", "fma", "neon", "asimd", "asimddp", "dotprod", "i8mm", "sve" };
        var line = File.ReadLines(path).FirstOrDefault(l => l.StartsWith("flags", StringComparison.Ordinal) || l.StartsWith("Features", StringComparison.Ordinal));
        var flags = line?.Split(':', 2).ElementAtOrDefault(1)?.Split(' ', StringSplitOptions.RemoveEmptyEntries) ?? [];
        return flags.Where(relevant.Contains).Order(StringComparer.Ordinal).ToList();
    }
}
