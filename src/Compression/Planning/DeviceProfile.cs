namespace FleetQuant.Compression.Planning;

/// <summary>
/// What a device is and can take: the planner's input. JSON is camelCase (docs/PLANNER.md has examples).
/// </summary>
public sealed record DeviceProfile
{
    public required string DeviceId { get; init; }

    /// <summary>A fleet-wide class such as "pi-zero-2"; devices of one class should land on the same few recipes.</summary>
    public required string HardwareClass { get; init; }

    /// <summary>CPU architecture, e.g. "arm64", "armv7", "x86_64".</summary>
    public required string Arch { get; init; }

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

/// <summary>The operator's limits for choosing a recipe.</summary>
public sealed record PlanPolicy
{
    public static readonly PlanPolicy Default = new();

    /// <summary>Longest acceptable download at the device's bandwidth.</summary>
    public double MaxTransferSeconds { get; init; } = 600;

    /// <summary>Largest acceptable accuracy loss against the FP32 baseline, as a fraction (0.01 = 1 pt).</summary>
    public double MaxAccuracyDrop { get; init; } = 0.02;

    /// <summary>Lowest acceptable accuracy, as a fraction; null for no floor.</summary>
    public double? MinAccuracy { get; init; }

    /// <summary>Share of a device's monthly data cap one update may use (0.10 = 10 %), when the device has a cap.</summary>
    public double MaxDataCapShare { get; init; } = 0.10;

    /// <summary>
    /// Accuracy differences up to this fraction count as a tie (0.002 = 0.2 pt, about the noise of a 10k-sample
    /// test set): within it the planner prefers kernels the CPU runs fast, then fewer wire bytes.
    /// </summary>
    public double AccuracyTolerance { get; init; } = 0.002;
}

public enum TransferKind
{
    Full,
    Delta,
}

/// <summary>The planner's answer for one device: a recipe and how it travels, or unfit with the reason.</summary>
public sealed record Plan
{
    public bool Unfit { get; init; }

    public string? Recipe { get; init; }

    public TransferKind? Transfer { get; init; }

    public long Bytes { get; init; }

    public double Seconds { get; init; }

    public required string Reason { get; init; }
}
