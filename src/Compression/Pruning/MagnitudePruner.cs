using System.Globalization;
using FleetQuant.Compression.Onnx;
using FleetQuant.Compression.Pipeline;
using FleetQuant.Compression.Recipes;

namespace FleetQuant.Compression.Pruning;

/// <summary>
/// Unstructured magnitude pruning (<c>p50</c>, <c>p50g</c>): zeroes the smallest-magnitude values of every
/// compressible weight, per layer or under one global threshold. Tensors stay FLOAT; later steps see the zeros.
/// </summary>
public sealed class MagnitudePruner(PruneStep step) : IModelTransform
{
    public void Apply(CompressionContext context)
    {
        if (step.Ratio is <= 0 or >= 1 || double.IsNaN(step.Ratio))
        {
            throw new RecipeException($"'{step.Id}': prune ratio must be between 0 and 1 (exclusive)");
        }

        // A layer's weights only: an operand (an embedding added to activations, gate rows a Slice cuts out) has no
        // layer whose training makes its small values expendable.
        var weights = context.Weights().Where(w => w.Role != WeightRole.Operand).ToList();
        var values = weights.Select(w => TensorData.ReadFloats(w.Tensor)).ToArray();
        if (step.Scope == PruneScope.Global)
        {
            MagnitudeSelection.ZeroSmallest(values, ZeroCount(values.Sum(v => (long)v.Length)));
        }
        else
        {
            foreach (var tensor in values)
            {
                MagnitudeSelection.ZeroSmallest(tensor, ZeroCount(tensor.Length));
            }
        }

        var scope = step.Scope == PruneScope.Global ? "global" : "per-layer";
        for (var i = 0; i < weights.Count; i++)
        {
            TensorData.WriteFloats(weights[i].Tensor, values[i]);
            var zeros = values[i].Count(v => v == 0);
            var sparsity = (double)zeros / Math.Max(1, values[i].Length);
            context.Note(weights[i].Name, TensorAction.Pruned,
                string.Create(CultureInfo.InvariantCulture, $"magnitude pruning {scope} {step.Ratio:P0}: {zeros} of {values[i].Length} values zero ({sparsity:P1} sparse)"));
        }
    }

    private long ZeroCount(long length) => (long)Math.Round(length * step.Ratio, MidpointRounding.AwayFromZero);
}
