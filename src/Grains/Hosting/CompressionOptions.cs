using System.ComponentModel.DataAnnotations;
using FleetQuant.Compression.Recipes;

namespace FleetQuant.Grains.Hosting;

/// <summary>The background compression service's sizing and ladder settings. Bound from "FleetQuant:Compression".</summary>
public sealed class CompressionOptions : IValidatableObject
{
    public const string Section = "FleetQuant:Compression";

    /// <summary>Worker count; 0 means one per core.</summary>
    [Range(0, 1024, ErrorMessage = Section + ":Parallelism must be between {1} and {2} (0 means one per core).")]
    public int Parallelism { get; set; }

    /// <summary>Jobs that may wait in the queue before callers are made to wait for room.</summary>
    [Range(1, 1_000_000, ErrorMessage = Section + ":QueueCapacity must be between {1} and {2}.")]
    public int QueueCapacity { get; set; } = 256;

    /// <summary>
    /// Recipe ids the ladder is built from; empty means the ladder builder's default list. Tests set a short
    /// list so a ladder takes seconds.
    /// </summary>
    public List<string> LadderRecipes { get; set; } = [];

    /// <summary>Whether the ladder adds a mixed-precision recipe (slower: it measures per-layer sensitivity).</summary>
    public bool LadderMixedPrecision { get; set; } = true;

    /// <summary>Samples of the eval set used per ladder measurement; 0 uses all.</summary>
    [Range(0, int.MaxValue, ErrorMessage = Section + ":LadderEvalSamples must not be negative (0 uses all).")]
    public int LadderEvalSamples { get; set; }

    public int EffectiveParallelism => Parallelism > 0 ? Parallelism : Environment.ProcessorCount;

    /// <summary>A recipe id that does not parse would otherwise fail every ladder build, long after start-up.</summary>
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var id in LadderRecipes)
        {
            string? problem = null;
            try
            {
                Recipe.Parse(id);
            }
            catch (RecipeException ex)
            {
                problem = ex.Message;
            }
            if (problem is not null)
            {
                yield return new ValidationResult($"{Section}:LadderRecipes entry '{id}' is not a recipe: {problem}", [nameof(LadderRecipes)]);
            }
        }
    }
}
