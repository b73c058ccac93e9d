using FleetQuant.Compression.Recipes;

namespace FleetQuant.Compression.Pipeline;

/// <summary>The one place that maps recipe steps to the code that performs them.</summary>
internal static class StepTransforms
{
    public static IModelTransform ModelTransform(RecipeStep step) => step switch
    {
        PruneStep prune => new Pruning.MagnitudePruner(prune),
        StructuredPruneStep structured => new Pruning.StructuredPruner(structured),
        _ => throw new RecipeException($"step '{step.Id}' is not implemented yet"),
    };

    public static IWeightCoder WeightCoder(RecipeStep step) => step switch
    {
        QuantizeStep quantize => new Quantization.IntegerQuantizeCoder(quantize),
        DynamicQuantizeStep => new Quantization.DynamicQuantizeCoder(),
        TernaryStep => new Quantization.SignCoder(ternary: true),
        BinaryStep => new Quantization.SignCoder(ternary: false),
        WeightSharingStep sharing => new WeightSharing.WeightSharingCoder(sharing),
        _ => throw new RecipeException($"step '{step.Id}' is not implemented yet"),
    };
}
