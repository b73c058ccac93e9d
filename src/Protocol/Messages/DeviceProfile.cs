namespace FleetQuant.Protocol.Messages;

/// <summary>
/// What a device is and can take: what the agent reports in its hello and what the recipe planner reads (one type, so
/// the wire and the planner cannot drift). JSON is camelCase (docs/PLANNER.md has examples, docs/PROTOCOL.md the hello).
/// </summary>
public sealed record DeviceProfile
{
    public required string DeviceId { get; init; }

    /// <summary>A fleet-wide class such as "pi-zero-2"; devices of one class should land on the same few recipes.</summary>
    public required string HardwareClass { get; init; }

    /// <summary>CPU architecture, e.g. "arm64", "armv7", "x86_64".</summary>
    public required string Arch { get; init; }

    /// <summary>The architecture of a device provisioned but not yet heard from.</summary>
    public const string UnknownArch = "unknown";

    public required int CpuCores { get; init; }

    /// <summary>CPU features relevant to inference kernels, e.g. "avx2", "avx512vnni", "neon", "dotprod".</summary>
    public IReadOnlyList<string> CpuFeatures { get; init; } = [];

    public required long RamBytes { get; init; }

    /// <summary>Memory the model may use at run time (what ONNX Runtime really holds).</summary>
    public required long ModelMemoryBudgetBytes { get; init; }

    public required long StorageBytes { get; init; }

    /// <summary>Measured downlink bandwidth.</summary>
    public required long BandwidthBitsPerSecond { get; init; }

    public long? DataCapBytesPerMonth { get; init; }

    public string OrtVersion { get; init; } = "";

    public string AgentVersion { get; init; } = "";

    public IReadOnlyDictionary<string, string> Tags { get; init; } = new Dictionary<string, string>();
}
