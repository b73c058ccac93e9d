using FleetQuant.Compression.Recipes;

namespace FleetQuant.Compression.Pipeline;

/// <summary>The one place that maps recipe steps to the code that performs them.</summary>
internal static class StepTransforms
{
    public static IModelTransform ModelTransform(RecipeStep step) => step switch
    {
        _ => throw new RecipeException($"step '{step.Id}' is not implemented yet"),
    };

    public static IWeightCoder WeightCoder(RecipeStep step) => step switch
    {
        _ => throw new RecipeException($"step '{step.Id}' is not implemented yet"),
    };
}
