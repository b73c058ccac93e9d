namespace FleetQuant.Compression.Ladders;

/// <summary>Which recipes a ladder measures, and how its mixed-precision recipe is chosen.</summary>
public sealed record LadderOptions
{
    /// <summary>
    /// The grid: FP32, 8/4/2-bit, ternary, binary, k-means 16/8/4, pruning, and combinations. k-means 8 and
    /// p25+km3 are the smallest recipes within 1 pt on the sample MLP (docs/BENCHMARKS.md).
    /// </summary>
    public static readonly IReadOnlyList<string> DefaultRecipeIds =
    [
        "fp32", "q8cs", "dq8", "q4b32a", "q4b128a", "q2b32a", "ternary", "binary", "km4", "km3", "km2",
        "p25", "p50", "p75", "p90", "sp25", "sp50", "p50+q8cs", "p50+q4b32a", "p25+km3", "sp25+q8cs", "sp25+p50+q4b32a",
    ];

    public IReadOnlyList<string> RecipeIds { get; init; } = DefaultRecipeIds;

    /// <summary>Adds a mixed-precision recipe chosen from measured per-layer sensitivity.</summary>
    public bool IncludeMixedPrecision { get; init; } = true;

    /// <summary>Where every layer of the mixed recipe starts.</summary>
    public string MixedLowStep { get; init; } = "q2b32a";

    /// <summary>
    /// What sensitive layers are raised to. 4-bit block-128 rather than 8-bit: at a budget of a tenth of the FP32
    /// size an 8-bit layer costs so much that too few layers can be raised (measured on the sample MLP, docs/BENCHMARKS.md).
    /// </summary>
    public string MixedHighStep { get; init; } = "q4b128a";

    /// <summary>Wire-byte budget of the mixed recipe; null means <see cref="MixedBudgetFraction"/> of the FP32 ONNX size.</summary>
    public long? MixedBudgetBytes { get; init; }

    /// <summary>Default budget: 1/10 of the FP32 ONNX size, the size target for a recipe within 1 pt.</summary>
    public double MixedBudgetFraction { get; init; } = 1.0 / 10;

    /// <summary>Samples of the evaluation set given to steps that measure activations (sp25a).</summary>
    public int CalibrationSamples { get; init; } = 256;

    /// <summary>Measure runtime bytes and latency (off for quick quality-only ladders).</summary>
    public bool MeasureRuntime { get; init; } = true;
}
