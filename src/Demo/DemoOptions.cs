using FleetQuant.Api.Contracts;

namespace FleetQuant.Demo;

/// <summary>What the demo runs: fleet size and mix, the ladder it measures, how each rollout is staged.</summary>
public sealed record DemoOptions
{
    public const int MaxDevices = 10_000;

    public int Devices { get; init; } = 1000;

    /// <summary>A fleet mix file; null uses samples/profiles/fleet-mix.json.</summary>
    public string? ProfilesPath { get; init; }

    /// <summary>
    /// The compressed recipes an operator offers a constrained fleet. FP32 is left out on purpose: the planner gives CPUs
    /// without integer dot-product an equally accurate float recipe, so with FP32 on the ladder most of the sample fleet
    /// would download the uncompressed model. The mixed-precision recipe is off by default: its v1→v2 deltas are
    /// nearly as large as its artifacts (measured 79 KB vs 88 KB), while q4b128a's are 16.6 KB against 115.7 KB.
    /// </summary>
    public IReadOnlyList<string> LadderRecipes { get; init; } = ["q8cs", "q4b128a", "q4b32a", "km4", "q2b32a"];

    /// <summary>Adds the sensitivity-driven mixed-precision recipe to the ladder.</summary>
    public bool LadderMixedPrecision { get; init; }

    /// <summary>Wave sizes (each a share of the targets, not cumulative): a canary, then the rest in two steps.</summary>
    public IReadOnlyList<WaveSpec> Waves { get; init; } = [WaveSpec.PercentOf(10), WaveSpec.PercentOf(30), WaveSpec.PercentOf(60)];

    public PlanPolicyInfo Policy { get; init; } = new();

    /// <summary>How long one rollout may take before the demo gives up on it.</summary>
    public TimeSpan RolloutTimeout { get; init; } = TimeSpan.FromMinutes(15);
}

/// <summary>Progress of one demo stage, for a progress bar: <paramref name="Value"/> of <paramref name="Max"/>.</summary>
public sealed record DemoStep(string Key, string Description, double Value, double Max);
