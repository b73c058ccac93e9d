namespace FleetQuant.Compression.Planning;

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
