namespace FleetQuant.Grains.Hosting;

/// <summary>The background compression service's sizing and ladder settings. Bound from "FleetQuant:Compression".</summary>
public sealed class CompressionOptions
{
    public const string Section = "FleetQuant:Compression";

    /// <summary>Worker count; 0 means one per core.</summary>
    public int Parallelism { get; set; }

    /// <summary>Jobs that may wait in the queue before callers are made to wait for room.</summary>
    public int QueueCapacity { get; set; } = 256;

    /// <summary>
    /// Recipe ids the ladder is built from; empty means the ladder builder's default list. Tests set a short
    /// list so a ladder takes seconds.
    /// </summary>
    public List<string> LadderRecipes { get; set; } = [];

    /// <summary>Whether the ladder adds a mixed-precision recipe (slower: it measures per-layer sensitivity).</summary>
    public bool LadderMixedPrecision { get; set; } = true;

    /// <summary>Samples of the eval set used per ladder measurement; 0 uses all.</summary>
    public int LadderEvalSamples { get; set; }

    public int EffectiveParallelism => Parallelism > 0 ? Parallelism : Environment.ProcessorCount;
}
