using FleetQuant.Compression.Onnx;
using FleetQuant.Compression.Pipeline;
using FleetQuant.Compression.Recipes;

namespace FleetQuant.Compression.Pruning;

/// <summary>
/// Structured pruning (<c>sp25</c>, <c>sp25a</c>): removes whole output channels of Conv layers and neurons of
/// Gemm/MatMul layers, cutting every per-channel tensor up to the next layer's weight, so the model really has
/// fewer parameters, FLOPs and activations. Layers it cannot rewire safely are left whole, with the reason noted.
/// </summary>
public sealed class StructuredPruner(StructuredPruneStep step) : IModelTransform
{
    public void Apply(CompressionContext context)
    {
        if (step.Ratio is <= 0 or >= 1 || double.IsNaN(step.Ratio))
        {
            throw new RecipeException($"'{step.Id}': prune ratio must be between 0 and 1 (exclusive)");
        }
        if (step.Importance == ChannelImportance.Activation && context.Calibration is null)
        {
            throw new RecipeException($"'{step.Id}' ranks channels by their activations and needs calibration data; give an evaluation set, or use '{new StructuredPruneStep(step.Ratio, ChannelImportance.WeightNorm).Id}' (weight norm)");
        }

        var (layers, skipped) = PrunableLayerFinder.Find(context.Model);
        foreach (var layer in skipped)
        {
            context.Note(layer.Weight, TensorAction.KeptExact, $"structured pruning left this layer whole: {layer.Reason}");
        }
        if (layers.Count == 0)
        {
            return;
        }

        var importance = step.Importance == ChannelImportance.Activation
            ? ActivationImportance.Measure(context.Model, context.Calibration!, layers)
            : layers.Select(ChannelRanking.WeightNorms).ToArray();

        var resized = new HashSet<string>(StringComparer.Ordinal);
        var reshapedInitializers = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < layers.Count; i++)
        {
            var layer = layers[i];
            // A tiny epsilon keeps ratios such as 0.29 (28.999… channels of 100) from losing one to rounding.
            var remove = Math.Min(layer.Channels - 1, (int)Math.Floor(step.Ratio * layer.Channels + 1e-9));
            if (remove == 0)
            {
                context.Note(layer.Name, TensorAction.KeptExact, $"structured pruning left this layer whole: {layer.Channels} channels are too few to remove {step.Ratio:P0}");
                continue;
            }

            var kept = ChannelRanking.Keep(importance[i], remove);
            foreach (var slice in layer.Slices)
            {
                ChannelSlicer.Apply(slice, kept);
                reshapedInitializers.Add(slice.Tensor.Name);
                context.Forget(slice.Tensor.Name);
            }
            resized.UnionWith(layer.ResizedValues);
            var by = step.Importance == ChannelImportance.Activation ? "mean activation" : "weight norm";
            context.Note(layer.Name, TensorAction.Pruned,
                $"structured pruning by {by}: kept {kept.Length} of {layer.Channels} output channels; cut {layer.Slices.Count - 1} dependent tensors up to '{layer.NextWeight}'");
        }

        RefreshShapes(context.Model.Graph, resized, reshapedInitializers);
    }

    /// <summary>
    /// Drops declared shapes that are now stale (ONNX Runtime re-infers them) and restates the shapes of cut
    /// initializers that old models (IR &lt; 4) also list as graph inputs.
    /// </summary>
    private static void RefreshShapes(GraphProto graph, HashSet<string> resizedValues, HashSet<string> reshapedInitializers)
    {
        var stale = graph.ValueInfo.Where(v => resizedValues.Contains(v.Name)).ToList();
        foreach (var info in stale)
        {
            graph.ValueInfo.Remove(info);
        }

        var initializers = graph.Initializer.Where(t => reshapedInitializers.Contains(t.Name)).ToDictionary(t => t.Name);
        foreach (var input in graph.Input)
        {
            if (initializers.TryGetValue(input.Name, out var tensor) && input.Type?.TensorType?.Shape is { } shape)
            {
                shape.Dim.Clear();
                shape.Dim.AddRange(tensor.Dims.Select(d => new TensorShapeProto.Types.Dimension { DimValue = d }));
            }
        }
    }
}
