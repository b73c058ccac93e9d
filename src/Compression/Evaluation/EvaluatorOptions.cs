namespace FleetQuant.Compression.Evaluation;

/// <summary>How <see cref="ModelEvaluator"/> runs models and how hard it measures.</summary>
public sealed record EvaluatorOptions
{
    /// <summary>Samples per run for accuracy and fidelity (models with a symbolic batch axis).</summary>
    public int BatchSize { get; init; } = 256;

    /// <summary>Timed single-sample runs for latency; the median is reported.</summary>
    public int LatencyRuns { get; init; } = 20;

    /// <summary>Untimed runs before timing, so one-off allocations and lazy initialisation do not count.</summary>
    public int WarmupRuns { get; init; } = 3;

    /// <summary>Session loads for the runtime-memory measurement; the median is reported.</summary>
    public int MemoryRepeats { get; init; } = 3;

    /// <summary>ONNX Runtime intra-op threads for accuracy runs (0 = its default, all cores).</summary>
    public int BatchThreads { get; init; }
}
